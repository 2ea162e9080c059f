#!/usr/bin/env bash
# ./lab gradescope OUT.zip
#
# Builds the Gradescope autograder zip: setup.sh and run_autograder at its
# root (grader/gradescope/), and course/, the git-tracked course files that
# grading needs: the framework, the labs, the skeleton, the grader, the
# hidden tests and the full rubric. Never in it: the reference solution
# (solution/), the mutants, CI files, docs and the instructor tools (batch
# grading, consistency checks, this packager). Untracked files never ship.
# One exception: a lab graded with earlier_labs: ISOLATED builds on the
# reference's files of the labs it depends on, so exactly those files
# (solution/<lab>/..., for the student files of its depends_on_labs) ship.
# Student code never sees them: tests run in the grader's sandbox.
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
# The reference files ISOLATED labs need: solution/ paths of the student
# files of every lab an ISOLATED lab depends on.
isolated_reference_files() {
  awk '
    /^lab *\{/ { name = ""; isolated = 0; ndeps = 0 }
    /^  name:/ { name = $2; gsub(/"/, "", name) }
    /^  student_files:/ { f = $2; gsub(/"/, "", f); files[name] = files[name] " " f }
    /^  depends_on_labs:/ { d = $2; gsub(/"/, "", d); deps[++ndeps] = d }
    /^  earlier_labs: *ISOLATED/ { isolated = 1 }
    /^}/ { if (isolated) for (i = 1; i <= ndeps; i++) need[deps[i]] = 1 }
    END {
      for (lab in need) {
        n = split(files[lab], list, " ")
        for (i = 1; i <= n; i++) { f = list[i]; sub(/^skeleton\//, "solution/", f); print f }
      }
    }' grader/rubric.textproto | sort -u
}
mapfile -t reference_files < <(isolated_reference_files)
declare -A ships_reference
for f in "${reference_files[@]}"; do
  [[ -f "$f" ]] || die "an ISOLATED lab needs $f, which this checkout does not have"
  ships_reference[$f]=1
done
count=0
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  [[ "$f" =~ $NOT_SHIPPED && -z "${ships_reference[$f]:-}" ]] && continue
  mkdir -p "$stage/course/$(dirname "$f")"
  cp -p "$f" "$stage/course/$f"
  count=$((count + 1))
done < <(git ls-files --cached)
cp grader/gradescope/setup.sh grader/gradescope/run_autograder "$stage/"
chmod +x "$stage/setup.sh" "$stage/run_autograder" "$stage/course/lab"
# Of solution/, only what an ISOLATED lab builds on.
while IFS= read -r f; do
  [[ -n "${ships_reference[${f#"$stage/course/"}]:-}" ]] || die "$f would ship"
done < <(find "$stage/course/solution" -type f 2>/dev/null)

rm -f "$out"
(cd "$stage" && zip -q -r -X "$out" setup.sh run_autograder course) || die "zip failed"
if ((${#reference_files[@]} > 0)); then
  say "wrote $out: setup.sh, run_autograder and $count course files, of solution/ only the" \
    "${#reference_files[@]} files ISOLATED labs build on"
else
  say "wrote $out: setup.sh, run_autograder and $count course files (no solution/)"
fi
say "upload it as the assignment's autograder (Docker base image: Debian 12 or Ubuntu)"
