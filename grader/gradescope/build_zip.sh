#!/usr/bin/env bash
# ./lab gradescope OUT.zip
#
# Builds the Gradescope autograder zip: setup.sh and run_autograder at its
# root (grader/gradescope/), and course/, the git-tracked course files that
# grading needs: the framework, the labs, the skeleton, the grader, the
# hidden tests and the full rubric. Never in it: the reference solution
# (solution/), the mutants, CI files, docs and the instructor tools (batch
# grading, consistency checks, this packager). Untracked files never ship.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
say() { printf 'gradescope: %s\n' "$*" >&2; }
die() { printf 'gradescope: error: %s\n' "$*" >&2; exit 1; }

out=""
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg (usage: ./lab gradescope OUT.zip)" ;;
    *) [[ -z "$out" ]] || die "one OUT.zip only"; out="$arg" ;;
  esac
done
[[ "$out" == *.zip ]] || die "usage: ./lab gradescope OUT.zip"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

cd "$ROOT"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
  die "$ROOT is not a git checkout: the autograder ships only git-tracked files"
stage="$(mktemp -d "${TMPDIR:-/tmp}/auroralab-gradescope.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

NOT_SHIPPED='^(solution/|grader/mutants/|grader/batch/|grader/consistency/|grader/gradescope/|grader/e2e_test\.sh$|grader/e2e_lib\.sh$|grader/earlier_labs_test\.sh$|docs/|\.ci/|\.github/)'
count=0
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  [[ "$f" =~ $NOT_SHIPPED ]] && continue
  mkdir -p "$stage/course/$(dirname "$f")"
  cp -p "$f" "$stage/course/$f"
  count=$((count + 1))
done < <(git ls-files --cached)
cp grader/gradescope/setup.sh grader/gradescope/run_autograder "$stage/"
chmod +x "$stage/setup.sh" "$stage/run_autograder" "$stage/course/lab"
[[ ! -e "$stage/course/solution" ]] || die "solution/ would ship"

rm -f "$out"
(cd "$stage" && zip -q -r -X "$out" setup.sh run_autograder course) || die "zip failed"
say "wrote $out: setup.sh, run_autograder and $count course files (no solution/)"
say "upload it as the assignment's autograder (Docker base image: Debian 12 or Ubuntu)"
