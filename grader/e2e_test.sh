#!/usr/bin/env bash
# End-to-end checks of the grader and the handout builder, run by `./lab test`
# after the Bazel tests (instructors' repository only; not in the handout).
#
#   1. The reference gets full marks, and the same marks on a second run.
#   2. The skeleton gets zero, every visible failure saying "not implemented".
#   3. A submission (zip) of the reference's files gets full marks; a stray
#      file in it is ignored with a warning.
#   4. A submission that does not compile gets zero with the compiler's
#      errors in results.json, and the grader still exits 0.
#   5. Every mutant in grader/mutants/<lab>/*.patch loses points and builds,
#      and docs/instructors/kill-matrix-<lab>.md matches what was measured.
#      A mutant that does not build or that the grader's source and symbol
#      checks refuse is a broken check, not a caught mutant.
#   6. The adversarial suite (grader/adversarial/run.sh): every attack on
#      the grader scores zero or is refused with a clear message, leaks
#      nothing, changes nothing outside the job and leaves no process.
#   7. `./lab handout` writes a release that builds, runs its public tests
#      (which fail as stubs) and contains no solution or hidden-test code.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
tmp="$(mktemp -d /tmp/auroralab-e2e.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

step() { printf '\ne2e: %s\n' "$*" >&2; }
fail() { printf 'e2e: FAILED: %s\n' "$*" >&2; exit 1; }

# "score max" of a results.json (one field per line, as the grader writes it).
score_of() {
  awk '/^  "score":/ { gsub(/,/, "", $2); s = $2 }
       /"max_score":/ { gsub(/,/, "", $2); m += $2 }
       END { printf "%s %s\n", s, m }' "$1"
}
# The grader prints a progress line per test; keep the log, show the table.
grade() {
  local out="$1"
  shift
  ./lab grade --out="$out" "$@" >"$out.log" 2>&1 || {
    tail -40 "$out.log" >&2
    fail "./lab grade $* exited with an error"
  }
  sed -n '/^Lab /,/^Total/p' "$out.log" >&2
}
lab_files() { sed -n 's/^ *student_files: "\(.*\)"/\1/p' grader/rubric.textproto; }

step "1. the reference solution gets full marks, reproducibly"
grade "$tmp/ref"
read -r score max < <(score_of "$tmp/ref/results.json")
[[ "$max" != 0 && "$score" == "$max" ]] || fail "reference scored $score of $max"
start=$SECONDS
grade "$tmp/ref2"
elapsed=$((SECONDS - start))
build_seconds="$(sed -nE 's/.*building .* ok \(([0-9]+)\.[0-9]s\)$/\1/p' "$tmp/ref2.log" | awk '{ s += $1 } END { print s + 0 }')"
after_build=$((elapsed - build_seconds))
printf 'e2e:   grading the reference took %ss, %ss of it after the build\n' "$elapsed" \
  "$after_build" >&2
((after_build <= 30)) || fail "grading took ${after_build}s after the build (limit 30s)"
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

step "3. a zip of the reference's student files gets full marks"
mkdir -p "$tmp/sub/quorum_kv"
while IFS= read -r f; do cp "solution/${f#skeleton/}" "$tmp/sub/quorum_kv/"; done < <(lab_files)
echo "notes" > "$tmp/sub/NOTES.txt"
(cd "$tmp/sub" && zip -q -r ../submission.zip .)
grade "$tmp/zip" --submission="$tmp/submission.zip"
read -r score max < <(score_of "$tmp/zip/results.json")
[[ "$score" == "$max" ]] || fail "reference files as a submission scored $score of $max"
grep -q 'ignored: .*NOTES.txt' "$tmp/zip.log" || fail "the stray NOTES.txt was not reported as ignored"

step "4. a submission that does not compile scores zero, with the compiler errors"
mkdir -p "$tmp/broken"
cp "$tmp"/sub/quorum_kv/* "$tmp/broken/"
echo "this is not C++;" >> "$tmp/broken/client.cc"
grade "$tmp/bad" --submission="$tmp/broken"
read -r score max < <(score_of "$tmp/bad/results.json")
[[ "$score" == 0 ]] || fail "a submission that does not compile scored $score"
grep -q 'error' "$tmp/bad/results.json" || fail "results.json does not show the compiler errors"

step "5. every mutant of the reference loses points; the kill matrix is current"
# grader/mutants/kill_matrix.sh (./lab mutants) grades each mutant once; a
# mutant that survives, does not apply or does not build fails the check.
bash grader/mutants/kill_matrix.sh --check || fail "the mutant self-check failed (see above)"

step "6. every attack in the adversarial suite is refused, leaks nothing and leaves nothing"
bash grader/adversarial/run.sh || fail "the adversarial suite failed"

step "7. the student handout builds, runs its public tests, and leaks nothing"
./lab handout "$tmp/handout" || fail "./lab handout failed"

step "all end-to-end checks passed"
