#!/usr/bin/env bash
# grader/mutants/kill_matrix.sh [--lab=NAME] [--check] [--jobs=N] [--disk_cache=DIR]
#   (run as ./lab mutants, which passes its Bazel disk cache)
#
# The grader's self-check with deliberately broken labs. Every mutant,
# grader/mutants/<lab>/<name>.patch, is the reference solution with one
# realistic student mistake. For each lab that has mutants, this script
#   1. copies the reference's student files (the rubric's student_files,
#      taken from solution/ instead of skeleton/) into a fresh folder, and
#      for a lab graded CUMULATIVE over earlier labs (depends_on_labs) the
#      earlier labs' reference files too, as a student's submission holds
#      them (so a mutant may also patch an earlier lab's file),
#   2. applies the patch there with `patch -p1`,
#   3. grades that folder once, as a submission (what ./lab grade
#      --submission does),
#   4. records which tests, public and hidden, failed.
# --jobs=N grades N mutants at once, each worker in its own staging folder
# (default: one per core; a grading run is mostly one test process at a
# time, so two workers keep two cores busy). The matrix does not depend on
# N: every test's verdict comes from virtual time, and each worker's Bazel
# server is stopped when it is done.
# Then it writes the kill matrix, docs/instructors/kill-matrix-<lab>.md.
#
# It fails (exit 1) when a mutant survives (keeps full marks), when a patch
# does not apply, and when a mutant does not build: a mutant that does not
# compile proves nothing about the tests, so it is a broken check, not a
# caught mutant. With --check it writes nothing under docs/ and also fails
# when the committed kill matrix differs from the one just measured (so the
# matrix in the docs is never stale).
#
# Mutant format: a unified diff whose paths are relative to the lab's folder
# of student files (a/client.cc, b/client.cc; the submission folder is flat,
# so an earlier lab's file is named the same way, a/segment.cc), any number
# of files and hunks,
# preceded by free text that patch ignores; its first line, "Mistake: ...",
# is the description the matrix shows. To write one, edit the reference in
# place, then
#   git diff --relative=solution/quorum_kv/ > grader/mutants/quorum_kv/NAME.patch
#   git checkout solution/quorum_kv/
# and put the "Mistake:" line on top.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
E2E_NAME=mutants
source grader/e2e_lib.sh  # say, score_of, lab_files
die() { printf 'mutants: error: %s\n' "$*" >&2; exit 2; }

labs=() check=0 disk_cache="" jobs=""
for arg in "$@"; do
  case "$arg" in
    --lab=*) IFS=',' read -r -a more <<<"${arg#--lab=}"; labs+=("${more[@]}") ;;
    --check) check=1 ;;
    --disk_cache=*) disk_cache="${arg#--disk_cache=}" ;;
    --jobs=*) jobs="${arg#--jobs=}" ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $arg (usage: ./lab mutants [--lab=NAME] [--check] [--jobs=N])" ;;
  esac
done
[[ -n "$jobs" ]] || jobs="$(nproc 2>/dev/null || echo 1)"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number, not '$jobs'"
[[ -d solution ]] || die "the mutants are variants of solution/, which is not in this checkout"
command -v patch >/dev/null || die "patch is not installed (apt-get install patch)"
if ((${#labs[@]} == 0)); then
  for dir in grader/mutants/*/; do
    compgen -G "$dir*.patch" >/dev/null && labs+=("$(basename "$dir")")
  done
fi
((${#labs[@]} > 0)) || die "no mutants found under grader/mutants/<lab>/*.patch"

rubric=grader/rubric.textproto
# "Suite.Test points hidden|public" for every test of lab $1, in rubric order.
rubric_tests() {
  awk -v lab="$1" '
    /^lab *\{/ { name = "" }
    /^  name:/ { name = $2; gsub(/"/, "", name) }
    name == lab && /^ *test *\{/ {
      match($0, /gtest: *"[^"]*"/); g = substr($0, RSTART, RLENGTH); sub(/gtest: *"/, "", g); sub(/"$/, "", g)
      match($0, /points: *[0-9.]+/); p = substr($0, RSTART, RLENGTH); sub(/points: */, "", p)
      print g, p, ($0 ~ /hidden: *true/ ? "hidden" : "public")
    }' "$rubric"
}
# The labs lab $1 builds on whose files the submission provides: its
# depends_on_labs when its earlier_labs is CUMULATIVE (the default), none
# when ISOLATED (the grader then takes them from the reference).
cumulative_earlier_labs() {
  awk -v lab="$1" '
    /^lab *\{/ { name = "" }
    /^  name:/ { name = $2; gsub(/"/, "", name) }
    name == lab && /^  depends_on_labs:/ { d = $2; gsub(/"/, "", d); deps[++n] = d }
    name == lab && /^  earlier_labs: *ISOLATED/ { isolated = 1 }
    END { if (!isolated) for (i = 1; i <= n; ++i) print deps[i] }' "$rubric"
}
# "Suite.Test status" for every test in a results.json (one field per line,
# as the grader writes it).
test_statuses() {
  awk '/^      "name": / { n = $0; sub(/^[^:]*: "[^:]*: /, "", n); sub(/",?$/, "", n) }
       /^      "status": / { s = $2; gsub(/[",]/, "", s); print n, s }' "$1"
}

# Build the grader once (as ./lab grade does, with the reference's
# implementation flag so Bazel keeps its analysis cache), then run its binary
# directly for every mutant: one Bazel build of the grader instead of one per
# mutant.
cache_flags=()
[[ -n "$disk_cache" ]] && cache_flags=(--disk_cache="$disk_cache")
bazel build --noshow_progress --curses=no "${cache_flags[@]}" \
  --config=grading --//tools/build:impl=solution //grader:grade >"${TMPDIR:-/tmp}/auroralab-mutants-build.log" 2>&1 ||
  { tail -30 "${TMPDIR:-/tmp}/auroralab-mutants-build.log" >&2; die "cannot build the grader"; }
grader_binary="$ROOT/bazel-bin/grader/grade"
[[ -x "$grader_binary" ]] || die "the grader was built, but $grader_binary is missing"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/auroralab-mutants.XXXXXX")"
# One staging folder per worker (with --jobs=1, the grader's usual one and
# its warm Bazel server); their servers stop when the script ends.
staging_dirs=()
cleanup() {
  ((${#staging_dirs[@]} == 0)) || shutdown_bazel "${staging_dirs[@]}"
  rm -rf "$tmp"
}
trap cleanup EXIT
failures=0

# Grades the submission folders $tmp/<lab>/<name>/submission of the listed
# mutants, `jobs` at a time: worker K takes every jobs-th mutant from K.
# Each leaves grade/ (results.json) and grade.log beside its submission, and
# grade.failed if the grader itself failed.
grade_all() {
  local lab="$1" names=("${@:2}") slot
  grade_share() {
    local slot="$1" i name staging_flags=()
    if ((jobs > 1)); then
      staging_flags=(--staging="$tmp/staging-$slot")
    fi
    for ((i = slot; i < ${#names[@]}; i += jobs)); do
      name="${names[$i]}"
      "$grader_binary" --root="$ROOT" "${cache_flags[@]}" "${staging_flags[@]}" \
        --submission="$tmp/$lab/$name/submission" --lab="$lab" --out="$tmp/$lab/$name/grade" \
        >"$tmp/$lab/$name/grade.log" 2>&1 || touch "$tmp/$lab/$name/grade.failed"
    done
  }
  ((jobs > 1)) && for ((slot = 0; slot < jobs; slot++)); do staging_dirs+=("$tmp/staging-$slot"); done
  for ((slot = 0; slot < jobs; slot++)); do grade_share "$slot" & done
  wait
}

run_lab() {
  local lab="$1" files=() f name patchfile dir out score max
  mapfile -t files < <(lab_files "$lab")
  ((${#files[@]} > 0)) || die "lab $lab has no student_files in $rubric"
  local earlier
  while read -r earlier; do
    mapfile -t -O "${#files[@]}" files < <(lab_files "$earlier")
  done < <(cumulative_earlier_labs "$lab")
  local patches=(grader/mutants/"$lab"/*.patch)
  [[ -e "${patches[0]}" ]] || die "no mutants in grader/mutants/$lab/"
  declare -A kind points
  local order=() t p k
  while read -r t p k; do
    order+=("$t")
    points[$t]=$p
    kind[$t]=$k
  done < <(rubric_tests "$lab")

  # Each mutant's submission folder, then every grading run, then the rows.
  local applied=()
  for patchfile in "${patches[@]}"; do
    name="$(basename "$patchfile" .patch)"
    dir="$tmp/$lab/$name/submission"
    mkdir -p "$dir"
    for f in "${files[@]}"; do cp "solution/${f#skeleton/}" "$dir/"; done
    if patch -p1 -s --no-backup-if-mismatch -d "$dir" <"$patchfile" >"$tmp/$lab/$name/patch.log" 2>&1; then
      applied+=("$name")
    fi
  done
  say "grading ${#applied[@]} mutant(s) of $lab, $jobs at a time"
  ((${#applied[@]} == 0)) || grade_all "$lab" "${applied[@]}"

  local rows="" killed_by_public=0 total=0
  declare -A kills
  for patchfile in "${patches[@]}"; do
    name="$(basename "$patchfile" .patch)"
    total=$((total + 1))
    out="$tmp/$lab/$name/grade"
    if [[ ! -e "$out.log" ]]; then
      cat "$tmp/$lab/$name/patch.log" >&2
      say "BROKEN $lab/$name: the patch does not apply to the reference (out of date?)"
      failures=$((failures + 1))
      rows+="| \`$name\` | $(sed -n '1s/^Mistake: *//p' "$patchfile") | **patch does not apply** | | |"$'\n'
      continue
    fi
    if [[ -e "$tmp/$lab/$name/grade.failed" ]]; then
      tail -30 "$out.log" >&2
      die "./lab grade failed on mutant $lab/$name (the grader itself, not the mutant)"
    fi
    read -r score max < <(score_of "$out/results.json")
    local public_failed=() hidden_failed=() status
    if grep -qE "\[$lab\] (building .*FAILED|submission error)" "$out.log" ||
       grep -qE 'Build failed|Rejected by the (source|symbol) check' "$out/results.json"; then
      say "BROKEN $lab/$name: the mutant does not build or the grader's checks refuse it (see below); fix the patch"
      grep -m 20 -E 'error' "$out/logs/$lab.build.log" >&2 || true
      failures=$((failures + 1))
      rows+="| \`$name\` | $(sed -n '1s/^Mistake: *//p' "$patchfile") | **does not build** | | |"$'\n'
      continue
    fi
    while read -r t status; do
      [[ "$status" == failed ]] || continue
      kills[$t]="${kills[$t]:-} \`$name\`"
      if [[ "${kind[$t]:-public}" == hidden ]]; then hidden_failed+=("$t"); else public_failed+=("$t"); fi
    done < <(test_statuses "$out/results.json")
    local verdict
    if awk -v s="$score" -v m="$max" 'BEGIN { exit !(s < m) }'; then
      verdict="killed"
      ((${#public_failed[@]} > 0)) && killed_by_public=$((killed_by_public + 1))
    else
      verdict="SURVIVED"
      failures=$((failures + 1))
    fi
    say "$(printf '%-36s %-8s %5s/%s  %d public, %d hidden test(s) failed' "$lab/$name" "$verdict" \
      "$score" "$max" "${#public_failed[@]}" "${#hidden_failed[@]}")"
    rows+="| \`$name\` | $(sed -n '1s/^Mistake: *//p' "$patchfile") | $score/$max | "
    rows+="$(printf '%s<br>' "${public_failed[@]}" | sed 's/<br>$//') | "
    rows+="$(printf '%s<br>' "${hidden_failed[@]}" | sed 's/<br>$//') |"$'\n'
  done

  local matrix="$tmp/kill-matrix-$lab.md"
  {
    echo "# Kill matrix: $lab"
    echo
    echo "Generated by \`./lab mutants --lab=$lab\` (grader/mutants/kill_matrix.sh); do not edit"
    echo "by hand. Instructors only: it names the hidden tests, and the handout leaves"
    echo "docs/instructors/ out."
    echo
    echo "Each mutant is the reference solution with one realistic student mistake"
    echo "(grader/mutants/$lab/NAME.patch), graded once as a submission with every test's"
    echo "default seeds. A mutant is killed when it loses points; a mutant that does not"
    echo "build counts as a broken check, never as killed."
    echo
    echo "$total mutants, $killed_by_public of them killed by at least one public test."
    echo
    echo "## Mutants"
    echo
    echo "| Mutant | Mistake | Score | Public tests failed | Hidden tests failed |"
    echo "|---|---|---|---|---|"
    printf '%s' "$rows"
    echo
    echo "## What each test catches"
    echo
    echo "| Test | Kind | Points | Mutants it kills |"
    echo "|---|---|---|---|"
    for t in "${order[@]}"; do
      echo "| $t | ${kind[$t]} | ${points[$t]} | ${kills[$t]:- (none)} |"
    done
  } >"$matrix"

  local doc="docs/instructors/kill-matrix-$lab.md"
  if ((check)); then
    if ! diff -u "$doc" "$matrix" >"$tmp/diff" 2>&1; then
      head -40 "$tmp/diff" >&2
      say "STALE: $doc differs from the kill matrix measured now; run ./lab mutants --lab=$lab"
      failures=$((failures + 1))
    fi
  else
    mkdir -p docs/instructors
    cp "$matrix" "$doc"
    say "wrote $doc"
  fi
}

for lab in "${labs[@]}"; do run_lab "$lab"; done
if ((failures > 0)); then
  say "FAILED: $failures problem(s) above"
  exit 1
fi
say "every mutant was killed"
