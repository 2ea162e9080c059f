#!/usr/bin/env bash
# End-to-end checks of the grader and the handout builder, run by `./lab test`
# after the Bazel tests (instructors' repository only; not in the handout).
#
#   1. The reference gets full marks, and the same marks on a second run.
#   2. The skeleton gets zero, every visible failure saying "not implemented".
#   3. A submission (zip) of the reference's student files of every lab, at
#      their repository paths, gets full marks in each lab; a stray file in it
#      is ignored with a warning.
#   4. A submission of the first lab that does not compile gets zero with the
#      compiler's errors in results.json, and the grader still exits 0.
#   5. Every mutant in grader/mutants/<lab>/*.patch loses points and builds,
#      and docs/instructors/kill-matrix-<lab>.md matches what was measured.
#      A mutant that does not build or that the grader's source and symbol
#      checks refuse is a broken check, not a caught mutant.
#   6. The adversarial suite (grader/adversarial/run.sh): every attack on
#      the grader scores zero or is refused with a clear message, leaks
#      nothing, changes nothing outside the job and leaves no process.
#   7. `./lab handout` writes a release that builds, runs its public tests
#      (which fail as stubs) and contains no solution or hidden-test code.
#   8. Grading a lab that builds on an earlier one, CUMULATIVE and ISOLATED
#      (grader/earlier_labs_test.sh, with a scaffolded throwaway lab).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
E2E_NAME=e2e
source grader/e2e_lib.sh
tmp="$(e2e_tmpdir e2e)"
trap 'rm -rf "$tmp"' EXIT

step "1. the reference solution gets full marks, reproducibly"
grade "$tmp/ref"
read -r score max < <(score_of "$tmp/ref/results.json")
[[ "$max" != 0 && "$score" == "$max" ]] || fail "reference scored $score of $max"
start=$SECONDS
grade "$tmp/ref2"
elapsed=$((SECONDS - start))
build_seconds="$(sed -nE 's/.*building .* ok \(([0-9]+)\.[0-9]s\)$/\1/p' "$tmp/ref2.log" | awk '{ s += $1 } END { print s + 0 }')"
after_build=$((elapsed - build_seconds))
# A measurement, not a check: on a shared 2-core machine a time limit here
# fails for reasons that have nothing to do with the grader. The figure
# quoted in docs/instructors/README.md ("Time budget") comes from this line.
printf 'e2e:   grading the reference took %ss, %ss of it after the build\n' "$elapsed" \
  "$after_build" >&2
diff <(grep -E '"(name|score|status)"' "$tmp/ref/results.json") \
     <(grep -E '"(name|score|status)"' "$tmp/ref2/results.json") >/dev/null ||
  fail "two gradings of the reference differ"

step "2. the skeleton gets zero, failing with 'not implemented'"
grade "$tmp/skel" --impl=skeleton
read -r score max < <(score_of "$tmp/skel/results.json")
[[ "$score" == 0 ]] || fail "skeleton scored $score"
visible_failures=$(grep -c '"output": "Failed' "$tmp/skel/results.json" || true)
explained=$(grep '"output": "Failed' "$tmp/skel/results.json" | grep -c 'not implemented' || true)
((visible_failures > 0 && explained == visible_failures)) ||
  fail "$explained of $visible_failures visible skeleton failures say 'not implemented'"

step "3. a zip of every lab's reference student files gets full marks in each lab"
# Each lab's files at their repository paths (labs may share file names),
# as a student's repository holds them.
mapfile -t labs < <(rubric_labs)
((${#labs[@]} > 0)) || fail "the rubric has no labs"
for lab in "${labs[@]}"; do
  while IFS= read -r f; do
    mkdir -p "$tmp/sub/$(dirname "$f")"
    cp "solution/${f#skeleton/}" "$tmp/sub/$f"
  done < <(lab_files "$lab")
done
echo "notes" > "$tmp/sub/NOTES.txt"
(cd "$tmp/sub" && zip -q -r ../submission.zip .)
grade "$tmp/zip" --submission="$tmp/submission.zip"
read -r score max < <(score_of "$tmp/zip/results.json")
[[ "$score" == "$max" ]] || fail "reference files as a submission scored $score of $max"
for lab in "${labs[@]}"; do
  while IFS= read -r f; do
    grep -qF "using $f as $f" "$tmp/zip.log" || fail "$lab: the submitted $f was not used"
  done < <(lab_files "$lab")
done
grep -q 'ignored: .*NOTES.txt' "$tmp/zip.log" || fail "the stray NOTES.txt was not reported as ignored"

step "4. a submission that does not compile scores zero, with the compiler errors"
first_lab="${labs[0]}"
mkdir -p "$tmp/broken"
while IFS= read -r f; do cp "solution/${f#skeleton/}" "$tmp/broken/"; done < <(lab_files "$first_lab")
broken_file="$(lab_files "$first_lab" | grep -m1 '\.cc$')"
echo "this is not C++;" >> "$tmp/broken/$(basename "$broken_file")"
grade "$tmp/bad" --submission="$tmp/broken" --lab="$first_lab"
read -r score max < <(score_of "$tmp/bad/results.json")
[[ "$score" == 0 ]] || fail "a submission that does not compile scored $score"
grep -q 'error' "$tmp/bad/results.json" || fail "results.json does not show the compiler errors"

step "5. every mutant of the reference loses points; the kill matrix is current"
# grader/mutants/kill_matrix.sh (./lab mutants) grades each mutant once; a
# mutant that survives, does not apply or does not build fails the check.
./lab mutants --check || fail "the mutant self-check failed (see above)"

step "6. every attack in the adversarial suite is refused, leaks nothing and leaves nothing"
bash grader/adversarial/run.sh || fail "the adversarial suite failed"

step "7. the student handout builds, runs its public tests, and leaks nothing"
./lab handout "$tmp/handout" || fail "./lab handout failed"

step "8. a lab built on an earlier one is graded with the submission's or the reference's earlier lab"
bash grader/earlier_labs_test.sh || fail "grading across labs failed"

step "all end-to-end checks passed"
