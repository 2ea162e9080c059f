#!/usr/bin/env bash
# Checks of the handout builder's file selection, run by `./lab test` with the
# grader's other end-to-end checks (the full build-and-grade check of the
# release is grader/e2e_test.sh's). Fast: --no-check, no Bazel.
#
# In a scratch clone with an untracked staff note, a second (fake) lab in the
# rubric and a tracked file that names a hidden test:
#   1. only tracked files ship; no instructor material; a student README and
#      CI workflow; the release is a git repository with one clean commit;
#   2. --up-to=quorum_kv leaves the later lab out, files and rubric block;
#   3. a leak (a hidden test name, two lines of the reference) makes the
#      checked build delete the release.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_NAME=handout_test
source "$ROOT/grader/e2e_lib.sh"
tmp="$(e2e_tmpdir handout-test)"
trap 'rm -rf "$tmp"' EXIT

step "a scratch clone with staff notes and a second lab"
clone="$tmp/course"
git clone -q "$ROOT" "$clone"
# The working tree's uncommitted changes to the files under test count too.
cp "$ROOT/grader/handout.sh" "$clone/grader/handout.sh"
cd "$clone"
git() { command git -c user.name=test -c user.email=test@invalid -c commit.gpgsign=false "$@"; }
mkdir -p labs/storage skeleton/storage
echo "// lab 2 interface" >labs/storage/storage.h
echo "// lab 2 stub" >skeleton/storage/segment.cc
echo "# Lab 2" >docs/labs/storage.md
cat >>grader/rubric.textproto <<'EOF'
lab {
  name: "storage"
  title: "Lab 2: Storage"
  student_files: "skeleton/storage/segment.cc"
  test { target: "//labs/storage:storage_test" gtest: "Storage.Works" points: 1 }
}
EOF
git add -A && git commit -qm "a second lab"
echo "grading notes: be lenient with alice" >docs/staff-notes.md  # untracked

step "1. tracked files only, no instructor material, a student README, CI and one commit"
bash grader/handout.sh "$tmp/all" --no-check 2>"$tmp/all.log" || { cat "$tmp/all.log" >&2; fail "handout failed"; }
[[ ! -e "$tmp/all/docs/staff-notes.md" ]] || fail "an untracked file shipped"
for path in solution grader/hidden grader/mutants .ci docs/instructors grader/batch \
            grader/consistency grader/gradescope grader/e2e_test.sh grader/e2e_lib.sh grader/earlier_labs_test.sh \
            grader/handout_test.sh; do
  [[ ! -e "$tmp/all/$path" ]] || fail "$path shipped"
done
grep -q '^# auroralab: your lab repository' "$tmp/all/README.md" || fail "no student README"
grep -q 'skeleton/quorum_kv/client.cc' "$tmp/all/README.md" || fail "the README does not list the files to edit"
grep -q './lab submit' "$tmp/all/README.md" || fail "the README does not say how to submit"
! grep -q 'For instructors' "$tmp/all/README.md" || fail "the instructor README shipped"
grep -q './lab test' "$tmp/all/.github/workflows/test.yml" || fail "no CI workflow running the tests"
! grep -q 'hidden: true' "$tmp/all/grader/rubric.textproto" || fail "hidden rubric entries shipped"
[[ "$(command git -C "$tmp/all" rev-list --count HEAD)" == 1 ]] || fail "not one commit"
[[ -z "$(command git -C "$tmp/all" status --porcelain)" ]] || fail "the release's git tree is not clean"
[[ -e "$tmp/all/labs/storage/storage.h" ]] || fail "without --up-to, every lab ships"

step "2. --up-to leaves later labs out"
bash grader/handout.sh "$tmp/lab1" --no-check --up-to=quorum_kv 2>"$tmp/lab1.log" ||
  { cat "$tmp/lab1.log" >&2; fail "handout --up-to failed"; }
for path in labs/storage skeleton/storage docs/labs/storage.md; do
  [[ ! -e "$tmp/lab1/$path" ]] || fail "$path of an unreleased lab shipped"
done
! grep -q 'storage' "$tmp/lab1/grader/rubric.textproto" || fail "the unreleased lab is in the rubric"
grep -q 'name: "quorum_kv"' "$tmp/lab1/grader/rubric.textproto" || fail "lab 1 left the rubric"
! grep -q 'Lab 2' "$tmp/lab1/README.md" || fail "the README names the unreleased lab"
if bash grader/handout.sh "$tmp/none" --no-check --up-to=nope 2>"$tmp/none.log"; then
  fail "--up-to=nope was accepted"
fi
grep -q 'no such lab' "$tmp/none.log" || fail "--up-to=nope: unclear error"

step "3. a leak deletes the release"
hidden_name="$(grep -m1 -oE 'TEST\(QuorumKvHidden, *[A-Za-z0-9_]+' grader/hidden/quorum_kv/hidden_test.cc |
               sed -E 's/TEST\(([A-Za-z0-9_]+), *([A-Za-z0-9_]+)/\1.\2/')"
echo "Remember $hidden_name when grading." >docs/leak.md
# ...and two consecutive lines of the reference that the skeleton lacks.
leaked_pair="$(awk 'length($0) >= 40 && !/^ *\/\// { if (prev != "") { print prev; print; exit } prev = $0; next }
                    { prev = "" }' <(grep -vxFf skeleton/quorum_kv/replica.cc solution/quorum_kv/replica.cc))"
[[ "$(wc -l <<<"$leaked_pair")" == 2 ]] || fail "no two consecutive reference lines to leak"
printf '```\n%s\n```\n' "$leaked_pair" >>docs/leak.md
git add docs/leak.md && git commit -qm "a leak"
if bash grader/handout.sh "$tmp/leaky" 2>"$tmp/leaky.log"; then fail "a leaking release passed its check"; fi
grep -q "LEAK: hidden test $hidden_name" "$tmp/leaky.log" || { cat "$tmp/leaky.log" >&2; fail "the leak was not named"; }
grep -q "LEAK: two consecutive lines of solution/quorum_kv/replica.cc" "$tmp/leaky.log" ||
  { cat "$tmp/leaky.log" >&2; fail "the leaked reference lines were not named"; }
[[ ! -e "$tmp/leaky" ]] || fail "the leaking release was not deleted"

step "handout checks passed"
