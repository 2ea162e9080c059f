# Shell helpers shared by the grader's end-to-end scripts (grader/e2e_test.sh,
# handout_test.sh, adversarial/run.sh, batch/batch_test.sh,
# gradescope/gradescope_test.sh, tools/new_lab/new_lab_test.sh) and by the
# instructor scripts that read the same files (batch/batch.sh,
# mutants/kill_matrix.sh). Instructors only: the handout leaves it out.
#
# Source it with E2E_NAME set to the script's name, the prefix of its
# messages:
#   E2E_NAME=batch_test
#   source "$ROOT/grader/e2e_lib.sh"
# Functions that read the rubric use $RUBRIC (default
# grader/rubric.textproto, relative to the current folder); `grade` runs the
# ./lab of the current folder.

: "${E2E_NAME:?set E2E_NAME before sourcing grader/e2e_lib.sh}"

# A heading for the next part of the check.
step() { printf '\n%s: %s\n' "$E2E_NAME" "$*" >&2; }
# A line of progress.
say() { printf '%s: %s\n' "$E2E_NAME" "$*" >&2; }
# Stops the check (the script's EXIT trap cleans up).
fail() { printf '%s: FAILED: %s\n' "$E2E_NAME" "$*" >&2; exit 1; }

# A fresh folder under $TMPDIR (default /tmp) for the check.
e2e_tmpdir() { mktemp -d "${TMPDIR:-/tmp}/auroralab-$1.XXXXXX"; }

# "score max" of a results.json (one field per line, as the grader writes
# it); max is the sum of the tests' max_score.
score_of() {
  awk '/^  "score":/ { gsub(/,/, "", $2); s = $2 }
       /"max_score":/ { gsub(/,/, "", $2); m += $2 }
       END { printf "%s %s\n", s, m + 0 }' "$1"
}

# The names of the rubric's labs, in rubric order.
rubric_labs() {
  awk '/^lab *\{/ { in_lab = 1; next } /^\}/ { in_lab = 0 }
       in_lab && /^  name: "/ { sub(/^  name: "/, ""); sub(/".*/, ""); print }' \
    "${RUBRIC:-grader/rubric.textproto}"
}

# The rubric's student files (of lab $1 when given), one per line, as the
# rubric names them (skeleton/...).
lab_files() {
  awk -v lab="${1:-}" '
    /^lab *\{/ { name = "" }
    /^  name:/ { name = $2; gsub(/"/, "", name) }
    (lab == "" || name == lab) && /^  student_files:/ { f = $2; gsub(/"/, "", f); print f }' \
    "${RUBRIC:-grader/rubric.textproto}"
}

# grade OUT [ARG...]: ./lab grade --out=OUT ARG... with its output in
# OUT.log; shows the final table, fails the check when the grader fails.
grade() {
  local out="$1"
  shift
  ./lab grade --out="$out" "$@" >"$out.log" 2>&1 || {
    tail -40 "$out.log" >&2
    fail "./lab grade $* exited with an error"
  }
  sed -n '/^Lab /,/^Total/p' "$out.log" >&2
}

# Stops the Bazel server of each workspace given (a staged tree or a copy of
# the course has its own); a folder that is not a workspace is skipped.
shutdown_bazel() {
  local workspace
  for workspace in "$@"; do
    [[ -f "$workspace/WORKSPACE" ]] && (cd "$workspace" && bazel shutdown >/dev/null 2>&1)
  done
  return 0
}
