#!/usr/bin/env bash
# End-to-end check of the Gradescope autograder zip, run by `./lab test` with
# the grader's other end-to-end checks. It unpacks `./lab gradescope`'s zip
# into a temporary folder laid out like Gradescope's ($AUTOGRADER/source,
# submission/, results/), runs setup.sh once, then run_autograder on:
#   the reference's files (full marks), the skeleton's (zero), a hostile
#   zip whose files are symlinks to the hidden tests (zero, nothing of the
#   hidden tests in results.json), and a whole repository uploaded from
#   GitHub with the reference's files (full marks, no "ignored" lines).
# Attacks through the student's code itself are the grader's adversarial
# suite's business (docs/instructors/grader-security.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
E2E_NAME=gradescope_test
source grader/e2e_lib.sh
tmp="$(e2e_tmpdir gradescope-test)"
export AUTOGRADER="$tmp/autograder"
cleanup() {
  shutdown_bazel "$AUTOGRADER/staging" "$AUTOGRADER/source/course"
  rm -rf "$tmp"
}
trap cleanup EXIT

step "the zip"
./lab gradescope "$tmp/autograder.zip" || fail "./lab gradescope failed"
unzip -Z1 "$tmp/autograder.zip" >"$tmp/listing"
grep -qx 'setup.sh' "$tmp/listing" && grep -qx 'run_autograder' "$tmp/listing" ||
  fail "setup.sh or run_autograder is not at the zip's root"
grep -q '^course/grader/hidden/' "$tmp/listing" || fail "the hidden tests are not in the zip"
! grep -qE '^course/(solution|grader/mutants|\.ci)/' "$tmp/listing" || fail "instructor-only files in the zip"
mkdir -p "$AUTOGRADER/source" "$AUTOGRADER/results"
unzip -q "$tmp/autograder.zip" -d "$AUTOGRADER/source"

step "setup.sh (packages, and one warm-up grading)"
(cd "$AUTOGRADER/source" && bash ./setup.sh) >"$tmp/setup.log" 2>&1 ||
  { tail -30 "$tmp/setup.log" >&2; fail "setup.sh failed"; }
tail -1 "$tmp/setup.log" >&2

# run_autograder NAME: grades $AUTOGRADER/submission, keeps the results.
run() {
  rm -rf "$AUTOGRADER/results"
  mkdir -p "$AUTOGRADER/results"
  "$AUTOGRADER/source/run_autograder" >"$tmp/$1.log" 2>&1 ||
    { tail -30 "$tmp/$1.log" >&2; fail "run_autograder exited non-zero for $1"; }
  [[ -f "$AUTOGRADER/results/results.json" ]] || fail "$1: no results.json"
  cp "$AUTOGRADER/results/results.json" "$tmp/$1.json"
  sed -n '/^Lab /,/^Total/p' "$tmp/$1.log" >&2
}
submit() {  # submit DIR: makes DIR's contents the submission
  rm -rf "$AUTOGRADER/submission"
  cp -a "$1" "$AUTOGRADER/submission"
}

step "the reference scores full marks"
mkdir -p "$tmp/ref"
while IFS= read -r f; do cp "solution/${f#skeleton/}" "$tmp/ref/"; done < <(lab_files)
submit "$tmp/ref"
run ref
read -r score max < <(score_of "$tmp/ref.json")
[[ "$max" != 0 && "$score" == "$max" ]] || fail "the reference scored $score of $max"

step "the skeleton scores zero"
mkdir -p "$tmp/skel"
while IFS= read -r f; do cp "$f" "$tmp/skel/"; done < <(lab_files)
submit "$tmp/skel"
run skel
read -r score max < <(score_of "$tmp/skel.json")
[[ "$score" == 0 ]] || fail "the skeleton scored $score"

step "a hostile submission (symlinks to the hidden tests) scores zero and leaks nothing"
hidden_src="$AUTOGRADER/source/course/grader/hidden/quorum_kv/hidden_test.cc"
mkdir -p "$tmp/hostile"
while IFS= read -r f; do ln -s "$hidden_src" "$tmp/hostile/$(basename "$f")"; done < <(lab_files)
ln -s "$AUTOGRADER/source/course/grader/rubric.textproto" "$tmp/hostile/rubric.textproto"
(cd "$tmp/hostile" && zip -q -y -r "$tmp/hostile.zip" .)
rm -rf "$AUTOGRADER/submission"
mkdir -p "$AUTOGRADER/submission"
(cd "$AUTOGRADER/submission" && unzip -q "$tmp/hostile.zip")  # as Gradescope unpacks uploads
run hostile
read -r score max < <(score_of "$tmp/hostile.json")
[[ "$score" == 0 ]] || fail "the hostile submission scored $score"
# A distinctive line of the hidden tests, and hidden test names' details.
secret="$(grep -m1 -E '^TEST' "$hidden_src")"
! grep -qF -- "$secret" "$tmp/hostile.json" || fail "results.json quotes the hidden tests"
! grep -q 'hidden: true' "$tmp/hostile.json" || fail "results.json quotes the rubric"

step "a whole repository (GitHub upload) is graded from the rubric's files, quietly"
repo="$tmp/repo/auroralab-student"
mkdir -p "$repo"
git ls-files | grep -vE '^(solution|grader/hidden|grader/mutants)/' | while IFS= read -r f; do
  mkdir -p "$repo/$(dirname "$f")"
  cp "$f" "$repo/$f"
done
while IFS= read -r f; do cp "solution/${f#skeleton/}" "$repo/$f"; done < <(lab_files)
submit "$tmp/repo"
run repo
read -r score max < <(score_of "$tmp/repo.json")
[[ "$score" == "$max" ]] || fail "the repository upload scored $score of $max"
grep -q 'a whole repository was uploaded' "$tmp/repo.log" || fail "the upload was not seen as a repository"
! grep -q 'ignored' "$tmp/repo.json" || fail "results.json lists ignored files of the repository"

step "the Gradescope autograder passed"
