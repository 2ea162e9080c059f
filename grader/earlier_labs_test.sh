#!/usr/bin/env bash
# End-to-end check of grading a lab that builds on an earlier one (the
# rubric's depends_on_labs and earlier_labs), run by grader/e2e_test.sh.
#
# In a throwaway copy of the repository, `./lab new-lab` scaffolds a lab whose
# implementation links lab 1's (quorum_kv), and whose rubric entry says
# depends_on_labs: "quorum_kv". One submission holds the reference files of
# both labs at their repository paths (the two labs share file names), but
# lab 1's client.cc does not compile. Graded for the new lab only:
#   1. CUMULATIVE (the default): lab 1's files come from the submission, so
#      the new lab's build fails and it scores 0;
#   2. ISOLATED: lab 1's files are the reference's, so it scores full marks;
#      and the Gradescope zip then ships exactly lab 1's reference files
#      (and no other file of solution/);
#   3. CUMULATIVE again, with lab 1's client.cc compiling but including a
#      header the grader refuses: the source check covers the earlier lab's
#      files too, and the lab scores 0 naming that file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_NAME=earlier_labs_test
source "$ROOT/grader/e2e_lib.sh"
lab=builds_on_quorum
earlier=quorum_kv
tmp="$(e2e_tmpdir earlier-labs)"
copy="$tmp/repo"
staging="$tmp/staging"
cleanup() {
  shutdown_bazel "$copy" "$staging"
  rm -rf "$tmp"
}
trap cleanup EXIT

step "a copy of the repository with lab '$lab', built on $earlier"
cd "$ROOT"
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  mkdir -p "$copy/$(dirname "$f")"
  cp -p "$f" "$copy/$f"
done < <(git ls-files --cached --others --exclude-standard)
cd "$copy"
./lab new-lab "$lab" --title="Builds on quorum KV" >"$tmp/new-lab.log" 2>&1 ||
  { cat "$tmp/new-lab.log" >&2; fail "./lab new-lab $lab failed"; }
# The new lab's implementation links lab 1's (whichever tree is graded).
for tree in skeleton solution; do
  sed -i "s|\"//labs/$lab:interface\",|&\n    \"//labs/$earlier:impl\",|" "$tree/$lab/BUILD"
  grep -q "//labs/$earlier:impl" "$tree/$lab/BUILD" || fail "could not make $tree/$lab link $earlier"
done
# set_earlier_labs MODE: the new lab's rubric entry depends on lab 1, graded MODE.
set_earlier_labs() {
  sed -i -e "/^  depends_on_labs: /d" -e "/^  earlier_labs: /d" \
    -e "s|^  title: \"Lab [0-9]*: Builds on quorum KV\"$|&\n  depends_on_labs: \"$earlier\"\n  earlier_labs: $1|" \
    grader/rubric.textproto
  grep -q "^  earlier_labs: $1$" grader/rubric.textproto || fail "could not set earlier_labs: $1"
}

# The submission: both labs' reference files at their repository paths.
sub="$tmp/submission"
for name in "$earlier" "$lab"; do
  while IFS= read -r f; do
    mkdir -p "$sub/$(dirname "$f")"
    cp "solution/${f#skeleton/}" "$sub/$f"
  done < <(lab_files "$name")
done
broken="skeleton/$earlier/client.cc"
[[ -f "$sub/$broken" ]] || fail "$earlier has no $broken"
cp "$sub/$broken" "$tmp/client.cc.good"
echo "this is not C++;" >>"$sub/$broken"

grade_new_lab() {  # grade_new_lab OUT: the new lab only, from the submission
  grade "$1" --submission="$sub" --lab="$lab" --staging="$staging"
}

step "1. CUMULATIVE: $earlier's files come from the submission; its broken file fails the lab"
set_earlier_labs CUMULATIVE
grade_new_lab "$tmp/cumulative"
read -r score max < <(score_of "$tmp/cumulative/results.json")
[[ "$max" != 0 && "$score" == 0 ]] || fail "CUMULATIVE scored $score of $max (expected 0)"
grep -q 'Build failed' "$tmp/cumulative/results.json" || fail "CUMULATIVE: results.json does not say the build failed"
grep -qF "using $broken as $broken" "$tmp/cumulative.log" || fail "CUMULATIVE: the submitted $broken was not used"
grep -qF "builds on $earlier: the submission's files" "$tmp/cumulative.log" ||
  fail "CUMULATIVE: the grader does not say where $earlier's files came from"
cmp -s "$staging/$broken" "$sub/$broken" || fail "CUMULATIVE: the staged $broken is not the submitted one"

step "2. ISOLATED: $earlier's files are the reference's; the lab gets full marks"
set_earlier_labs ISOLATED
grade_new_lab "$tmp/isolated"
read -r score max < <(score_of "$tmp/isolated/results.json")
[[ "$max" != 0 && "$score" == "$max" ]] || fail "ISOLATED scored $score of $max (expected full marks)"
grep -qF "builds on $earlier: the reference's files" "$tmp/isolated.log" ||
  fail "ISOLATED: the grader does not say where $earlier's files came from"
# The tree that was built holds the reference's file, not the submitted one
# (nor the skeleton's).
cmp -s "$staging/$broken" "solution/${broken#skeleton/}" ||
  fail "ISOLATED: the staged $broken is not the reference's"

step "2b. ISOLATED in the Gradescope zip: exactly $earlier's reference files ship"
# The zip ships git-tracked files only: make the copy a repository.
(git init -q . && git add -A && git -c user.name=e2e -c user.email=e2e@example.invalid \
  commit -q -m copy) >"$tmp/git.log" 2>&1 || { cat "$tmp/git.log" >&2; fail "git init in the copy failed"; }
./lab gradescope "$tmp/isolated.zip" >"$tmp/zip.log" 2>&1 || { cat "$tmp/zip.log" >&2; fail "./lab gradescope failed"; }
unzip -Z1 "$tmp/isolated.zip" | grep '^course/solution/' | grep -v '/$' | sort >"$tmp/shipped"
lab_files "$earlier" | sed 's|^skeleton/|course/solution/|' | sort >"$tmp/expected"
cmp -s "$tmp/shipped" "$tmp/expected" ||
  { diff "$tmp/expected" "$tmp/shipped" >&2; fail "the zip's solution/ files are not exactly $earlier's reference files"; }

step "3. CUMULATIVE: the source check covers $earlier's submitted files too"
cp "$tmp/client.cc.good" "$sub/$broken"
printf '\n#include <fstream>\n' >>"$sub/$broken"
set_earlier_labs CUMULATIVE
grade_new_lab "$tmp/checked"
read -r score max < <(score_of "$tmp/checked/results.json")
[[ "$score" == 0 ]] || fail "a refused header in $earlier's file scored $score"
grep -q 'client.cc:[0-9]*: #include <fstream>: not an allowed header' "$tmp/checked/results.json" ||
  fail "the source check did not name $earlier's client.cc"

step "grading across labs passed"
