#!/usr/bin/env bash
# ./lab handout OUT_DIR [--up-to=LAB] [--no-check]
#
# Writes the student release of this repository to OUT_DIR and makes it a git
# repository with one commit (usable as a GitHub Classroom template). Only
# git-tracked files ship, minus the instructor-only ones: the reference
# solution, hidden tests, mutants, the attacks the grader is tested against
# (grader/adversarial/), instructor CI (.ci/), the grader's
# instructor tools and docs/instructors/. The instructor README is replaced by
# a student README; a student CI workflow (.github/workflows/) runs the
# public tests; the rubric keeps only public tests of released labs.
# --up-to=LAB releases the rubric's labs up to LAB (rubric order); a later
# lab's labs/<lab>/, skeleton/<lab>/ and docs/labs/<lab>.md are left out.
# Then it checks the release (unless --no-check): nothing of the solution or
# the hidden tests leaked (a leak deletes the release), it builds on its own,
# and its public tests fail as stubs should.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'handout: %s\n' "$*" >&2; }
die() { printf 'handout: error: %s\n' "$*" >&2; exit 1; }

out="" check=1 up_to=""
for arg in "$@"; do
  case "$arg" in
    --no-check) check=0 ;;
    --up-to=*) up_to="${arg#--up-to=}"; [[ -n "$up_to" ]] || die "--up-to needs a lab name" ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) [[ -z "$out" ]] || die "one OUT_DIR only"; out="$arg" ;;
  esac
done
[[ -n "$out" ]] || die "usage: ./lab handout OUT_DIR [--up-to=LAB] [--no-check]"

cd "$ROOT"
# Only tracked files ship: an untracked staff note or a scratch solution in
# the working tree must never reach students.
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
  die "$ROOT is not a git checkout: the handout ships only git-tracked files"
command -v git >/dev/null || die "git is needed to build the handout"

rubric=grader/rubric.textproto
[[ -f "$rubric" ]] || die "no $rubric"

# The rubric's labs in order ("name" lines directly inside a top-level
# "lab {" block; test entries have no name field).
mapfile -t all_labs < <(awk '/^lab *\{/ { in_lab = 1; next }
                              /^\}/ { in_lab = 0 }
                              in_lab && /^  name: "/ { sub(/^  name: "/, ""); sub(/".*/, ""); print }' \
                          "$rubric")
((${#all_labs[@]} > 0)) || die "$rubric lists no labs"
released=() unreleased=()
if [[ -z "$up_to" ]]; then
  released=("${all_labs[@]}")
else
  found=0
  for lab in "${all_labs[@]}"; do
    if ((found)); then unreleased+=("$lab"); else released+=("$lab"); fi
    [[ "$lab" == "$up_to" ]] && found=1
  done
  ((found)) || die "--up-to=$up_to: no such lab in $rubric (labs: ${all_labs[*]})"
fi

if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  die "$out exists and is not empty; choose a new directory"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
case "$out/" in "$ROOT/"*) die "OUT_DIR must be outside the repository" ;; esac

# Removes what this script wrote (OUT_DIR was empty or new).
discard_release() {
  (cd "$out" && bazel shutdown >/dev/null 2>&1) || true
  find "$out" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
  rmdir "$out" 2>/dev/null || true
}

# Paths that never ship to students (regular expression on repo-relative
# paths): instructor material, the grader's instructor tools, and the lab
# files of labs not released yet.
INSTRUCTOR_ONLY='^(solution/|grader/hidden/|grader/mutants/|grader/adversarial/|grader/e2e_test\.sh$|grader/e2e_lib\.sh$|grader/earlier_labs_test\.sh$|grader/handout_test\.sh$|grader/batch|grader/gradescope/|grader/consistency/|docs/instructors/|tools/new_lab/|tools/build/api_boundary_test\.sh$|\.ci/|\.github/)'
unreleased_re='^$'
for lab in "${unreleased[@]}"; do
  unreleased_re+="|^(labs|skeleton|grader/hidden)/$lab/|^docs/labs/($lab|${lab//_/-})\.md$"
done

count=0
while IFS= read -r f; do
  [[ -f "$f" ]] || continue  # tracked but deleted in the working tree
  [[ "$f" =~ $INSTRUCTOR_ONLY || "$f" =~ $unreleased_re ]] && continue
  [[ "$f" == "$rubric" || "$f" == README.md ]] && continue
  mkdir -p "$out/$(dirname "$f")"
  cp -p "$f" "$out/$f"
  count=$((count + 1))
done < <(git ls-files --cached)

# The public rubric: hidden entries dropped line by line (the rubric keeps one
# test per line), and the blocks of unreleased labs dropped whole.
if grep -n 'hidden' "$rubric" | grep -v 'test {' | grep -qv '^[0-9]*: *#'; then
  die "$rubric: every entry marked hidden must be a one-line 'test { ... }'"
fi
grep -v 'hidden: true' "$rubric" |
  awk -v drop=" ${unreleased[*]} " '
    /^lab *\{/ { buffering = 1; block = $0 "\n"; keep = 1; next }
    buffering { block = block $0 "\n"
                if ($0 ~ /^  name: "/) { n = $0; sub(/^  name: "/, "", n); sub(/".*/, "", n)
                                         if (index(drop, " " n " ")) keep = 0 }
                if ($0 ~ /^\}/) { buffering = 0; if (keep) printf "%s", block }
                next }
    { print }' > "$out/$rubric"

# Student-facing facts from the public rubric: per lab, its title, files,
# test targets and handout page.
lab_field() {  # lab_field LAB FIELD: the values of FIELD in LAB's block
  awk -v want="$1" -v field="$2" '
    /^lab *\{/ { in_lab = 1; name = ""; next }
    /^\}/ { in_lab = 0 }
    in_lab && /^  name: "/ { name = $0; sub(/^  name: "/, "", name); sub(/".*/, "", name) }
    in_lab && name == want {
      line = $0
      while (match(line, field ": \"[^\"]*\"")) {
        value = substr(line, RSTART + length(field) + 3, RLENGTH - length(field) - 4)
        if (!(value in seen)) { seen[value] = 1; print value }
        line = substr(line, RSTART + RLENGTH)
      }
    }' "$out/$rubric"
}
lab_doc() {
  local lab="$1" doc
  for doc in "docs/labs/$lab.md" "docs/labs/${lab//_/-}.md"; do
    [[ -f "$out/$doc" ]] && { echo "$doc"; return; }
  done
  echo "docs/README.md"
}

write_student_readme() {
  local lab title files targets doc
  cat <<'EOF'
# auroralab: your lab repository

You are rebuilding the storage design of Amazon Aurora, one lab at a time, on
a deterministic simulator of networks, disks and faults. Every failing test
prints the seed that broke it and a command that replays exactly that run.

Start with [docs/README.md](docs/README.md) (how to work through the course)
and [docs/framework.md](docs/framework.md) (the simulator). Each lab has its
own handout under `docs/labs/`.

## Your labs

EOF
  for lab in "${released[@]}"; do
    title="$(lab_field "$lab" title | head -1)"
    doc="$(lab_doc "$lab")"
    printf '### %s\n\nRead [%s](%s). The files you edit (and hand in):\n\n' \
      "${title:-$lab}" "$doc" "$doc"
    while IFS= read -r files; do printf '* `%s`\n' "$files"; done < <(lab_field "$lab" student_files)
    while IFS= read -r dep; do
      printf '\nIt builds on your `%s` lab: the grader takes your files of that lab too,\n' "$dep"
      printf 'and `./lab submit --lab=%s` puts them in the zip.\n' "$lab"
    done < <(lab_field "$lab" depends_on_labs)
    printf '\nIts public tests:\n\n```sh\n'
    while IFS= read -r targets; do
      printf './lab test %s\n' "$targets"
    done < <(lab_field "$lab" target)
    printf '```\n\n'
  done
  cat <<'EOF'
Edit only the files listed above: the grader takes exactly those files from
your submission and uses its own copy of everything else (tests, BUILD files,
the framework).

## Testing

```sh
./lab test                       # every test (the first run installs the Debian packages)
./lab test TARGET --seeds=50     # more seeds: rarer interleavings and faults
./lab test TARGET --seed=7 --filter='Suite.Name'   # replay one failing seed
./lab test TARGET --asan         # memory errors and undefined behaviour
./lab grade                      # your score on the public tests, as the grader computes it
```

A failing seed prints a `replay:` line; run it as is. The grader's log for a
test (in `grade-out/logs/`, or the output on Gradescope) prints the same kind
of line, and it replays the same failure here, in your repository.

Hidden tests are run by the instructors after you submit: the same contract,
more corner cases and more seeds. Passing the public tests is a start, not a
guarantee.

## Submitting

```sh
./lab submit                     # writes submission.zip with your lab files only
./lab submit --lab=NAME          # one lab (with the earlier labs it builds on)
```

Upload `submission.zip` (or, if your course uses GitHub, push this
repository; the grader takes the lab files from it and ignores the rest).
The CI workflow in `.github/workflows/test.yml` runs the tests on every push,
so you can see there what the grader's machines see.

## Layout

```
lab                  the one entry point (./lab help)
labs/framework/      the simulator: network, RPC, disk, traces, test helpers
labs/<lab>/          each lab's interface, test harness and public tests
skeleton/<lab>/      the files you edit
docs/                the guides and lab handouts
grader/              the grader and the public rubric (points per test)
```
EOF
}
write_student_readme > "$out/README.md"

# Student CI: the public tests on every push, on the Debian release the course
# is built for (./lab installs the packages as root in the container).
mkdir -p "$out/.github/workflows"
cat > "$out/.github/workflows/test.yml" <<'EOF'
# Runs the public tests on every push. They fail until the labs are done:
# the log shows which tests still fail and the replay command of each.
name: tests
on: [push, pull_request, workflow_dispatch]
jobs:
  test:
    runs-on: ubuntu-latest
    container: debian:bookworm
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
      - name: Public tests
        env:
          CI: "1"
        run: ./lab test
      - name: Score on the public tests
        if: always()
        run: ./lab grade
EOF
say "wrote $count files, a student README, a CI workflow and the public rubric to $out"
say "labs released: ${released[*]}${unreleased[*]:+ (not yet: ${unreleased[*]})}"

# One commit, so the release can be pushed as a GitHub Classroom template.
git -C "$out" init -q
git -C "$out" checkout -q -b main 2>/dev/null || true
git -C "$out" add -A
git -C "$out" -c user.name="auroralab handout" -c user.email="handout@auroralab.invalid" \
  -c commit.gpgsign=false commit -q -m "auroralab student handout (labs: ${released[*]})" ||
  { discard_release; die "cannot commit the release"; }

((check)) || exit 0

# 1. Nothing of the solution or the hidden tests is in the release.
say "checking that no solution or hidden-test code leaked"
leaks=0
while IFS= read -r f; do
  if [[ "$f" =~ $INSTRUCTOR_ONLY && "$f" != .github/* ]]; then
    say "LEAK: instructor-only file $f is in the release"
    leaks=1
  fi
done < <(git -C "$out" ls-files)
# No two consecutive substantial lines of a solution file that the skeleton
# does not share (and no hidden test name) may appear in the release. Pairs,
# not single lines: one generic line such as `for (const RedoRecord& r :
# records) {` also occurs in provided code, and would flag every release.
# A line is substantial when, trimmed, it is 30+ characters and not a
# comment or preprocessor line. PAIRS_AWK prints "line1<US>line2" for each
# pair of consecutive substantial lines of each file it reads.
PAIRS_AWK='
  FNR == 1 { prev = "" }
  { sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "") }
  length($0) < 30 || /^\/\// || /^#/ || /^\*/ || /^\/\*/ { next }
  { if (prev != "") print prev "\037" $0; prev = $0 }'
release_pairs="$(mktemp)"
(cd "$out" && git ls-files -z | xargs -0 -r grep -lIZ '' | xargs -0 -r awk "$PAIRS_AWK") |
  sort -u >"$release_pairs"
while IFS= read -r src; do
  twin="skeleton/${src#solution/}"
  filtered="$(mktemp)"
  if [[ -f "$twin" ]]; then
    grep -vxFf <(sed 's/^[[:space:]]*//; s/[[:space:]]*$//' "$twin") \
      <(sed 's/^[[:space:]]*//; s/[[:space:]]*$//' "$src") >"$filtered" || true
  else
    cp "$src" "$filtered"
  fi
  while IFS= read -r pair; do
    say "LEAK: two consecutive lines of $src appear in the release: ${pair/$'\037'/ / }"
    leaks=1
  done < <(awk "$PAIRS_AWK" "$filtered" | sort -u | comm -12 - "$release_pairs")
  rm -f "$filtered"
done < <(git ls-files solution | grep -E '\.(cc|h)$' | sort)
rm -f "$release_pairs"
while IFS= read -r name; do
  if grep -rqF --exclude-dir=.git --exclude-dir=bazel-* -- "$name" "$out"; then
    say "LEAK: hidden test $name is named in the release"
    leaks=1
  fi
done < <(git ls-files grader/hidden | xargs -r grep -hoE 'TEST(_F|_P)?\([A-Za-z0-9_]+, *[A-Za-z0-9_]+' |
           sed -E 's/.*\(([A-Za-z0-9_]+), *([A-Za-z0-9_]+)/\1.\2/' | sort -u)
if ((leaks != 0)); then
  discard_release
  die "the release leaks instructor-only material; it was deleted"
fi

# 2. It builds on its own and its public tests fail as stubs: grade the
# skeleton inside the release, which builds every lab and runs every public
# test in its own process.
say "building the release and running its public tests (they must fail as stubs)"
graded=0
(cd "$out" && ./lab grade --impl=skeleton --out="$out/grade-out" >"$out/grade-out.log" 2>&1) ||
  graded=$?
# The check started a Bazel server for the release; do not leave it running.
(cd "$out" && bazel shutdown >/dev/null 2>&1) || true
not_fit() { die "$* (the release in $out is NOT fit to ship; it is left for inspection)"; }
if ((graded != 0)); then
  tail -30 "$out/grade-out.log" >&2
  not_fit "grading the release failed; see $out/grade-out.log"
fi
results="$out/grade-out/results.json"
[[ -f "$results" ]] || not_fit "the release's grader wrote no results.json"
if grep -q '"status": *"passed"' "$results"; then
  not_fit "a public test passed against the stubs; see $results"
fi
if grep -qi 'build failed' "$results"; then
  not_fit "the release does not build; see $results"
fi
tests=$(grep -c '"status": *"failed"' "$results" || true)
((tests > 0)) || not_fit "the release ran no public tests; see $results"
unexplained=$(grep '"output": "Failed' "$results" | grep -vc 'not implemented' || true)
((unexplained == 0)) || not_fit "$unexplained stub failures do not say 'not implemented'; see $results"
rm -rf "$out/grade-out" "$out/grade-out.log"
# Building must not leave files git would pick up (bazel-* links are ignored).
dirty="$(git -C "$out" status --porcelain)"
[[ -z "$dirty" ]] || not_fit "building the release left untracked or changed files: $dirty"
say "OK: $tests public tests build and fail with 'not implemented'; no solution code inside"
