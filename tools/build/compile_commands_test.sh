#!/usr/bin/env bash
# End-to-end check of editor support, run by `./lab test`: the
# compile_commands.json that `./lab compile-commands` writes lets Debian's
# clangd resolve every include of a skeleton file (generated *.pb.h and the
# "quorum_kv/..." headers of the chosen tree included) with no errors, and
# follows the implementation switch. Writes into a temp dir, so the
# compile_commands.json of the checkout is left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
tmp="$(mktemp -d /tmp/auroralab-clangd.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { printf 'compile-commands test: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'compile-commands test: %s\n' "$*" >&2; }

# -I<tree> replaces Bazel's virtual include dir of the lab's implementation.
expect_tree() {
  local db="$1" file="$2" tree="$3"
  jq -e --arg f "$ROOT/$file" --arg i "-I$tree" \
    'any(.[]; .file == $f and (.arguments | index($i) != null))' "$db" >/dev/null ||
    fail "$db: no entry for $file with $tree's headers (-I$tree)"
}

if [[ -d solution ]]; then
  mkdir -p "$tmp/solution"
  ./lab compile-commands --impl=solution --out="$tmp/solution" || fail "./lab compile-commands --impl=solution failed"
  expect_tree "$tmp/solution/compile_commands.json" labs/quorum_kv/cluster.cc solution
fi

mkdir -p "$tmp/skeleton"
./lab compile-commands --impl=skeleton --out="$tmp/skeleton" || fail "./lab compile-commands --impl=skeleton failed"
db="$tmp/skeleton/compile_commands.json"
expect_tree "$db" labs/quorum_kv/cluster.cc skeleton
expect_tree "$db" skeleton/quorum_kv/client.cc skeleton

for file in skeleton/quorum_kv/client.cc skeleton/quorum_kv/replica.cc; do
  log="$tmp/clangd-$(basename "$file").log"
  clangd --compile-commands-dir="$tmp/skeleton" --check="$file" >"$log" 2>&1 || true
  if grep -q 'pp_file_not_found' "$log"; then
    grep 'pp_file_not_found' "$log" >&2
    fail "clangd cannot resolve an include of $file"
  fi
  grep -q 'All checks completed, 0 errors' "$log" || {
    grep -E '^E\[|error' "$log" | head -20 >&2
    fail "clangd --check=$file reports errors (log above)"
  }
  say "clangd --check=$file: every include resolved, 0 errors"
done
