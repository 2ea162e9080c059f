#!/usr/bin/env bash
# End-to-end check of `./lab new-lab`, run by `./lab test` (instructors'
# repository only). In a throwaway copy of the repository it scaffolds a lab
# and checks that:
#   1. the scaffold refuses to overwrite an existing lab;
#   2. the lab builds and its reference passes its public and hidden tests;
#   3. the grader picks it up: the reference gets full marks, the skeleton
#      zero with every visible failure saying "not implemented", and the
#      generated mutant loses points on a hidden test;
#   4. the handout builder picks it up: the release has the lab's interface,
#      skeleton, handout page and public rubric entries, and nothing of its
#      reference, hidden tests or mutants.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_NAME="new-lab test"
source "$ROOT/grader/e2e_lib.sh"
lab=scaffold_check
tmp="$(e2e_tmpdir new-lab)"
copy="$tmp/repo"
cleanup() {
  # The copy is a workspace of its own, with its own Bazel server.
  shutdown_bazel "$copy"
  rm -rf "$tmp"
}
trap cleanup EXIT

# grade_lab OUT [ARG...]: grades the scaffolded lab in the copy.
grade_lab() {
  local out="$1"
  shift
  (cd "$copy" && grade "$out" --lab="$lab" "$@") || exit 1
}

step "copying the repository and scaffolding lab '$lab'"
cd "$ROOT"
mkdir -p "$copy"
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  mkdir -p "$copy/$(dirname "$f")"
  cp -p "$f" "$copy/$f"
done < <(git ls-files --cached --others --exclude-standard)
(cd "$copy" && ./lab new-lab "$lab" --title="Scaffold check" >"$tmp/new-lab.log" 2>&1) || {
  cat "$tmp/new-lab.log" >&2
  fail "./lab new-lab $lab failed"
}

step "1. it refuses to overwrite"
if (cd "$copy" && ./lab new-lab "$lab" >"$tmp/again.log" 2>&1); then
  fail "a second ./lab new-lab $lab succeeded"
fi
grep -q "already" "$tmp/again.log" || fail "the refusal does not say why: $(cat "$tmp/again.log")"

step "2. it builds and the reference passes its public and hidden tests"
(cd "$copy" && ./lab test "//labs/$lab/..." "//grader/hidden/$lab/..." --impl=solution \
  >"$tmp/test.log" 2>&1) || {
  tail -40 "$tmp/test.log" >&2
  fail "the scaffolded reference does not pass its tests"
}

step "3. the grader picks it up"
grade_lab "$tmp/ref" --impl=solution
read -r score max < <(score_of "$tmp/ref/results.json")
[[ "$max" != 0 && "$score" == "$max" ]] || fail "the reference scored $score of $max"
grade_lab "$tmp/skel" --impl=skeleton
read -r score max < <(score_of "$tmp/skel/results.json")
[[ "$score" == 0 ]] || fail "the skeleton scored $score"
visible=$(grep -c '"output": "Failed' "$tmp/skel/results.json" || true)
explained=$(grep '"output": "Failed' "$tmp/skel/results.json" | grep -c 'not implemented' || true)
((visible > 0 && explained == visible)) ||
  fail "$explained of $visible visible skeleton failures say 'not implemented'"
# Every generated mutant applies to the generated reference and is caught,
# by the same self-check instructors run (./lab mutants).
(cd "$copy" && ./lab mutants --lab="$lab" >"$tmp/mutants.log" 2>&1) || {
  cat "$tmp/mutants.log" >&2
  fail "the scaffold's mutants are not all killed (./lab mutants --lab=$lab)"
}
grep -E '^mutants: ' "$tmp/mutants.log" | sed 's/^/new-lab test:   /' >&2 || true

step "4. the handout builder picks it up"
# The handout ships git-tracked files only: track the scaffolded copy.
(cd "$copy" && git init -q && git add -A &&
  git -c user.name=new-lab-test -c user.email=new-lab-test@localhost commit -qm scaffold) ||
  fail "cannot make the copy a git repository"
(cd "$copy" && ./lab handout "$tmp/handout" --no-check >"$tmp/handout.log" 2>&1) || {
  cat "$tmp/handout.log" >&2
  fail "./lab handout failed"
}
for f in "labs/$lab/$lab.h" "labs/$lab/${lab}_test.cc" "skeleton/$lab/server.cc" \
         "skeleton/$lab/BUILD" "docs/labs/$lab.md"; do
  [[ -f "$tmp/handout/$f" ]] || fail "the handout lacks $f"
done
for f in "solution/$lab" "grader/hidden/$lab" "grader/mutants/$lab" "tools/new_lab"; do
  [[ ! -e "$tmp/handout/$f" ]] || fail "the handout contains $f"
done
public=$(grep -c "//labs/$lab:${lab}_test" "$tmp/handout/grader/rubric.textproto" || true)
hidden=$(grep -c "//grader/hidden/$lab:" "$tmp/handout/grader/rubric.textproto" || true)
((public == 2 && hidden == 0)) ||
  fail "the handout's rubric has $public public and $hidden hidden entries of $lab (want 2 and 0)"

step "./lab new-lab makes a lab that builds, grades and ships"
