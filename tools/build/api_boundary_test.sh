#!/usr/bin/env bash
# End-to-end check of the framework's API boundary, run by `./lab test`:
# student code (skeleton/ and solution/) may use //labs/framework:api only,
# never the engine that runs the simulation (labs/framework/BUILD,
# docs/framework.md "What a node may use"). In a throwaway copy of the
# repository it breaks the lab 1 skeleton in each way a student could reach
# past the API and checks that the build fails, saying why:
#   1. including an engine header (world.h) or an internal engine header
#      (internal/sim_rpc_endpoint.h): the header is not among the
#      library's inputs, so it does not compile;
#   2. a cc_library in skeleton/ that names //labs/framework:engine:
#      Bazel's visibility check refuses it;
#   3. lab_impl() given an engine dependency: the macro refuses it with a
#      message naming //labs/framework:api.
# A control build first shows that the unchanged skeleton, and one that
# includes an API header it did not use before, do build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d /tmp/auroralab-api-boundary.XXXXXX)"
copy="$tmp/repo"
cleanup() {
  # The copy is a workspace of its own, with its own Bazel server.
  if [[ -d "$copy" ]]; then (cd "$copy" && bazel shutdown >/dev/null 2>&1) || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

say() { printf 'api-boundary test: %s\n' "$*" >&2; }
fail() { printf 'api-boundary test: FAILED: %s\n' "$*" >&2; exit 1; }

lab=quorum_kv
pkg="skeleton/$lab"
target="//$pkg:all"

cd "$ROOT"
mkdir -p "$copy"
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  mkdir -p "$copy/$(dirname "$f")"
  cp -p "$f" "$copy/$f"
done < <(git ls-files --cached --others --exclude-standard)
cp -p "$copy/$pkg/client.cc" "$tmp/client.cc.orig"
cp -p "$copy/$pkg/BUILD" "$tmp/BUILD.orig"
restore() {
  cp -p "$tmp/client.cc.orig" "$copy/$pkg/client.cc"
  cp -p "$tmp/BUILD.orig" "$copy/$pkg/BUILD"
}

# build LOG: builds the skeleton in the copy (the shared disk cache makes
# this mostly cache hits); returns Bazel's status.
build() {
  (cd "$copy" && bazel build --disk_cache="${HOME:-/tmp}/.cache/auroralab/disk-cache" \
    --curses=no --color=no -- "$target") >"$1" 2>&1
}
# check_refused WHAT LOG PATTERN...: the build whose output is LOG failed,
# and LOG matches every extended regular expression given.
check_refused() {
  local what="$1" log="$2" pattern
  shift 2
  for pattern in "$@"; do
    grep -Eq -- "$pattern" "$log" || {
      tail -30 "$log" >&2
      fail "$what: the build failed, but its output does not say /$pattern/ (log above)"
    }
  done
  say "$what: refused with: $(grep -Em1 -- "$1" "$log")"
}
# expect_failure WHAT LOG PATTERN...: builds, which must fail (check_refused).
expect_failure() {
  if build "$2"; then
    fail "$1: the build succeeded; student code reached past //labs/framework:api"
  fi
  check_refused "$@"
}

say "control: the skeleton as it is, and with an API header added, builds"
build "$tmp/control.log" || {
  tail -30 "$tmp/control.log" >&2
  fail "the unchanged skeleton does not build"
}
sed -i 's|^#include "quorum_kv/client.h"$|&\n#include "labs/framework/record_log.h"|' "$copy/$pkg/client.cc"
grep -q 'labs/framework/record_log.h' "$copy/$pkg/client.cc" || fail "could not edit $pkg/client.cc"
build "$tmp/control-api.log" || {
  tail -30 "$tmp/control-api.log" >&2
  fail "the skeleton with an API header (record_log.h) does not build"
}
restore

for header in labs/framework/world.h labs/framework/internal/sim_rpc_endpoint.h; do
  sed -i "s|^#include \"quorum_kv/client.h\"\$|&\\n#include \"$header\"|" "$copy/$pkg/client.cc"
  grep -q "$header" "$copy/$pkg/client.cc" || fail "could not edit $pkg/client.cc"
  expect_failure "1. $pkg/client.cc including $header" "$tmp/include.log" \
    "client\\.cc.*$header: No such file or directory|undeclared inclusion.*$header"
  restore
done
# What a student sees from ./lab test: the compiler's error and why.
sed -i 's|^#include "quorum_kv/client.h"$|&\n#include "labs/framework/world.h"|' "$copy/$pkg/client.cc"
if (cd "$copy" && ./lab test "//labs/$lab:${lab}_test" --impl=skeleton --no-e2e) \
  >"$tmp/lab-test.log" 2>&1; then
  fail "./lab test built a skeleton that includes labs/framework/world.h"
fi
check_refused "1. ./lab test of a skeleton including labs/framework/world.h" "$tmp/lab-test.log" \
  "may include only the framework API \\(//labs/framework:api\\)" "docs/framework.md"
restore

cat >>"$copy/$pkg/BUILD" <<'BUILD'

cc_library(
    name = "peek",
    srcs = ["client.cc"],
    deps = ["//labs/framework:engine"],
)
BUILD
expect_failure "2. a cc_library in $pkg naming //labs/framework:engine" "$tmp/visibility.log" \
  "target '//labs/framework:engine' is not visible from target '//$pkg:peek'"
restore

sed -i 's|^lab_impl(deps = \[$|&\n    "//labs/framework:engine",|' "$copy/$pkg/BUILD"
grep -q 'labs/framework:engine' "$copy/$pkg/BUILD" || fail "could not edit $pkg/BUILD"
expect_failure "3. lab_impl() given //labs/framework:engine" "$tmp/lab_impl.log" \
  "//labs/framework:engine is not for student code" "may use only //labs/framework:api"
restore

say "student code can use //labs/framework:api and nothing else of the framework"
