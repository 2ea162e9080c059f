#!/usr/bin/env bash
# The grader's adversarial suite, run by grader/e2e_test.sh (and by hand:
# bash grader/adversarial/run.sh [NAME...]).
#
# Each grader/adversarial/NAME.cc is an attack: the skeleton's client.cc with
# the file's code appended is submitted, and the file's "// expect:" line is
# an extended regular expression that results.json or the grader's console
# output must match (the refusal message, or how the tests failed); an
# optional "// grade-flags:" line adds options to ./lab grade. Two more
# attacks are archives built here: a symlink entry named like unzip's log,
# and a zip bomb. For every attack the suite checks that the grader
#   - exits 0 and writes a results.json that is valid JSON,
#   - scores it 0 and says why (the expect pattern),
#   - leaks nothing: no line of the reference solution or of the hidden
#     tests appears in results.json or the logs,
#   - touches nothing outside the job (the course tree is unchanged),
#   - leaves no process behind.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
E2E_NAME=adversarial
source grader/e2e_lib.sh
tmp="$(e2e_tmpdir adversarial)"
# A fixed staging folder, so that its Bazel output base is reused from run to
# run; its Bazel server is stopped at the end.
staging="${HOME:-/tmp}/.cache/auroralab/adversarial-workspace"
cleanup() {
  shutdown_bazel "$staging"
  rm -rf "$tmp"
}
trap cleanup EXIT

# Lines that must never reach a student: substantial lines of the reference
# that the skeleton does not share, and of the hidden tests.
secrets="$tmp/secrets.txt"
: >"$secrets"
while IFS= read -r src; do
  twin="skeleton/${src#solution/}"
  [[ -f "$twin" ]] || twin=/dev/null
  awk 'NR == FNR { shared = shared "\n" $0; next }
       { line = $0; sub(/^[ \t]+/, "", line)
         if (length(line) >= 30 && line !~ /^(\/\/|#|TEST)/ && index(shared, line) == 0) print line }' \
    "$twin" "$src" >>"$secrets"
done < <(find solution grader/hidden -type f -name '*.cc' | sort)
[[ -s "$secrets" ]] || fail "found no reference or hidden-test lines to look for"

tree_state() { git status --porcelain --untracked-files=all 2>/dev/null | grep -v '^?? grade-out/' || true; }

# The grader's test processes of this suite: the grader runs with TMPDIR
# inside $tmp, so each test's folder (auroralab-test-*) is in it, and a test
# process names it in its command line (bubblewrap) or its mounts (the
# sandboxed binary). Other graders on the machine (another checkout's tests,
# batch jobs) are not this suite's business.
grader_tmp="$tmp/grader-tmp"
mkdir -p "$grader_tmp"
leftovers() {
  local marker pid
  marker="$(basename "$tmp")/grader-tmp/auroralab-test-"
  for pid in $(pgrep -f '/job/bin/test|auroralab-test-' 2>/dev/null || true); do
    [[ "$pid" == "$$" ]] && continue
    if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$marker" ||
       grep -qF -- "$marker" "/proc/$pid/mountinfo" 2>/dev/null; then
      echo "$pid"
    fi
  done
}

# attack NAME SUBMISSION EXPECT [GRADE_FLAG...]: grade SUBMISSION and check it
# as described.
attack() {
  local name="$1" submission="$2" expect="$3" out="$tmp/out-$1" status=0 start=$SECONDS
  local before
  before="$(tree_state)"
  TMPDIR="$grader_tmp" ./lab grade --submission="$submission" --staging="$staging" \
    --out="$out" "${@:4}" \
    >"$out.log" 2>&1 || status=$?
  if ((status != 0)); then
    tail -20 "$out.log" >&2
    fail "$name: the grader exited with status $status"
  fi
  [[ -f "$out/results.json" ]] || fail "$name: no results.json"
  if command -v python3 >/dev/null; then
    python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$out/results.json" ||
      fail "$name: results.json is not valid JSON"
  fi
  local score max
  read -r score max < <(score_of "$out/results.json")
  [[ "$score" == 0 ]] || fail "$name: scored $score (expected 0)"
  grep -qE -- "$expect" "$out/results.json" "$out.log" ||
    fail "$name: neither results.json nor the output says /$expect/"
  if grep -rqF -f "$secrets" "$out/results.json" "$out/logs" "$out.log"; then
    grep -rnF -f "$secrets" "$out/results.json" "$out/logs" "$out.log" | head -5 >&2
    fail "$name: reference or hidden-test code leaked"
  fi
  [[ "$(tree_state)" == "$before" ]] || fail "$name: the course tree changed"
  local left
  left="$(leftovers)"
  [[ -z "$left" ]] || fail "$name: processes left behind: $left"
  printf 'adversarial:   %-34s %3ss  %s\n' "$name" "$((SECONDS - start))" \
    "$(grep -ohE -- "$expect" "$out/results.json" "$out.log" | head -1)" >&2
}

# A submission folder: the skeleton's student files, with `code` appended to
# client.cc.
skeleton_with() {
  local dir="$1" code="$2"
  mkdir -p "$dir"
  cp skeleton/quorum_kv/client.h skeleton/quorum_kv/client.cc skeleton/quorum_kv/replica.h \
    skeleton/quorum_kv/replica.cc "$dir/"
  printf '\n' >>"$dir/client.cc"
  cat "$code" >>"$dir/client.cc"
}

wanted=("$@")
selected() {
  ((${#wanted[@]} == 0)) && return 0
  local w
  for w in "${wanted[@]}"; do [[ "$w" == "$1" ]] && return 0; done
  return 1
}

count=0
for code in grader/adversarial/*.cc; do
  name="$(basename "$code" .cc)"
  selected "$name" || continue
  expect="$(sed -n 's|^// expect: \(.*\)$|\1|p' "$code" | head -1)"
  [[ -n "$expect" ]] || fail "$code has no '// expect:' line"
  read -ra flags < <(sed -n 's|^// grade-flags: \(.*\)$|\1|p' "$code" | head -1) || true
  skeleton_with "$tmp/sub-$name" "$code"
  attack "$name" "$tmp/sub-$name" "$expect" "${flags[@]}"
  count=$((count + 1))
done

if selected zip_symlink_named_like_the_log; then
  # The zip's client.cc is a symlink to the reference, next to a symlink
  # named like unzip's old log file.
  mkdir -p "$tmp/zip-link"
  ln -s "$ROOT/solution/quorum_kv/client.cc" "$tmp/zip-link/client.cc"
  ln -s "$ROOT/grader/hidden/quorum_kv/hidden_test.cc" "$tmp/zip-link/.unzip.log"
  (cd "$tmp/zip-link" && zip -q -y ../link.zip client.cc .unzip.log)
  attack zip_symlink_named_like_the_log "$tmp/link.zip" "is a symbolic link"
  count=$((count + 1))
fi
if selected zip_bomb; then
  # 600 MB of zeros compress to well under a megabyte.
  mkdir -p "$tmp/zip-bomb"
  truncate -s 600M "$tmp/zip-bomb/client.cc"
  (cd "$tmp/zip-bomb" && zip -q ../bomb.zip client.cc)
  rm -rf "$tmp/zip-bomb"
  attack zip_bomb "$tmp/bomb.zip" "zip bomb"
  count=$((count + 1))
fi

((count > 0)) || fail "no attack selected"
say "all $count attacks refused; nothing leaked, nothing left behind"
