#!/usr/bin/env bash
# ./lab handout OUT_DIR [--no-check]
#
# Writes the student release of this repository to OUT_DIR: everything except
# the reference solution (solution/), the hidden tests (grader/hidden/), the
# broken reference variants the grader checks itself with (grader/mutants/),
# the attacks it is tested against (grader/adversarial/),
# instructor-only scripts, and the hidden entries of the rubric. Then checks
# the release: nothing of the solution or the hidden tests leaked into it, it
# builds on its own, and its public tests run and fail as stubs should.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'handout: %s\n' "$*" >&2; }
die() { printf 'handout: error: %s\n' "$*" >&2; exit 1; }

out="" check=1
for arg in "$@"; do
  case "$arg" in
    --no-check) check=0 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) [[ -z "$out" ]] || die "one OUT_DIR only"; out="$arg" ;;
  esac
done
[[ -n "$out" ]] || die "usage: ./lab handout OUT_DIR [--no-check]"
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  die "$out exists and is not empty; choose a new directory"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
case "$out/" in "$ROOT/"*) die "OUT_DIR must be outside the repository" ;; esac

# Paths that never ship to students (regular expression on repo-relative paths).
INSTRUCTOR_ONLY='^(solution/|grader/hidden/|grader/mutants/|grader/adversarial/|grader/e2e_test\.sh$|\.ci/)'

cd "$ROOT"
list_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard
  else
    find . -type f -not -path './.git/*' -not -path './bazel-*' -not -path './grade-out/*' |
      sed 's|^\./||'
  fi
}

count=0
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  [[ "$f" =~ $INSTRUCTOR_ONLY ]] && continue
  [[ "$f" == grader/rubric.textproto ]] && continue
  mkdir -p "$out/$(dirname "$f")"
  cp -p "$f" "$out/$f"
  count=$((count + 1))
done < <(list_files)

# The rubric keeps one test per line, so hidden entries drop out line by line.
rubric=grader/rubric.textproto
if grep -n 'hidden' "$rubric" | grep -v 'test {' | grep -qv '^[0-9]*: *#'; then
  die "$rubric: every entry marked hidden must be a one-line 'test { ... }'"
fi
grep -v 'hidden: true' "$rubric" > "$out/$rubric"
say "wrote $count files and the public rubric to $out"

((check)) || exit 0

# 1. Nothing of the solution or the hidden tests is in the release.
say "checking that no solution or hidden-test code leaked"
leaks=0
if find "$out" -path "$out/solution" -o -path "$out/grader/hidden" -o -path "$out/grader/mutants" |
    grep -q .; then
  say "LEAK: instructor-only directories exist in the release"
  leaks=1
fi
# Every substantial line of a solution file that the skeleton does not share
# (and every hidden test name) must be absent from the release.
while IFS= read -r src; do
  twin="skeleton/${src#solution/}"
  while IFS= read -r line; do
    trimmed="$(sed 's/^[[:space:]]*//' <<<"$line")"
    ((${#trimmed} >= 30)) || continue
    [[ "$trimmed" == //* || "$trimmed" == \#* ]] && continue
    [[ -f "$twin" ]] && grep -qF -- "$trimmed" "$twin" && continue
    if grep -rqF --exclude-dir=bazel-* -- "$trimmed" "$out"; then
      say "LEAK: a line of $src appears in the release: $trimmed"
      leaks=1
    fi
  done < "$src"
done < <(find solution -type f \( -name '*.cc' -o -name '*.h' \) | sort)
while IFS= read -r name; do
  if grep -rqF --exclude-dir=bazel-* -- "$name" "$out"; then
    say "LEAK: hidden test $name is named in the release"
    leaks=1
  fi
done < <(grep -rhoE 'TEST(_F)?\([A-Za-z0-9_]+, *[A-Za-z0-9_]+' grader/hidden 2>/dev/null |
           sed -E 's/.*\(([A-Za-z0-9_]+), *([A-Za-z0-9_]+)/\1.\2/' | sort -u)
((leaks == 0)) || die "the release leaks instructor-only material"

# 2. It builds on its own and its public tests fail as stubs: grade the
# skeleton inside the release, which builds every lab and runs every public
# test in its own process.
say "building the release and running its public tests (they must fail as stubs)"
graded=0
(cd "$out" && ./lab grade --impl=skeleton --out="$out/grade-out" >"$out/grade-out.log" 2>&1) ||
  graded=$?
# The check started a Bazel server for the release; do not leave it running.
(cd "$out" && bazel shutdown >/dev/null 2>&1) || true
if ((graded != 0)); then
  tail -30 "$out/grade-out.log" >&2
  die "grading the release failed; see $out/grade-out.log"
fi
results="$out/grade-out/results.json"
[[ -f "$results" ]] || die "the release's grader wrote no results.json"
if grep -q '"status": *"passed"' "$results"; then
  die "a public test passed against the stubs; see $results"
fi
if grep -qi 'build failed' "$results"; then
  die "the release does not build; see $results"
fi
tests=$(grep -c '"status": *"failed"' "$results" || true)
((tests > 0)) || die "the release ran no public tests; see $results"
unexplained=$(grep '"output": "Failed' "$results" | grep -vc 'not implemented' || true)
((unexplained == 0)) || die "$unexplained stub failures do not say 'not implemented'; see $results"
rm -rf "$out/grade-out" "$out/grade-out.log"
say "OK: $tests public tests build and fail with 'not implemented'; no solution code inside"
