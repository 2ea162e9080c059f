#!/usr/bin/env bash
# Batch grading: ./lab grade --submissions=DIR [options]
#
# Grades every student's submission in DIR as its own job through the
# single-submission grader, and writes a gradebook:
#   OUT/students/<student>/   results.json, logs/, grade.log, status
#   OUT/gradebook.csv         one row per student (gradebook.h)
# A submission is DIR/<student>.zip or DIR/<student>/ (a folder, nested
# folders allowed, or a folder holding just one .zip). Jobs run N at a time,
# each in its own staging directory (OUT/.staging/slot-K), so they never wait
# on one lock; a worker stops its staging folder's Bazel server when it has
# no more students. The run is resumable: a student whose submission and rubric
# are unchanged since a finished grading is skipped; an interrupted or failed
# job is redone next time. --student=NAME regrades just that student (and
# rewrites the gradebook); --regrade redoes everyone.
#
# Options (./lab adds --grader, --gradebook, --root and --disk_cache):
#   --submissions=DIR  the students' submissions (required)
#   --out=DIR          default: ROOT/grade-batch
#   --jobs=N           jobs at once (default: one per two cores)
#   --student=NAME     grade only this student (repeatable)
#   --regrade          ignore earlier results
#   --timestamps=CSV   "student,submitted_at" (RFC 3339) for the late policy
#   --rubric=FILE      default: ROOT/grader/rubric.textproto
#   --lab=NAME         passed to the grader (grade only these labs)
# Exit status: 0 when every job finished (whatever the scores), 1 when some
# job failed in the grader itself (see its grade.log), 2 for usage errors,
# 130 when interrupted (the gradebook then holds the students done so far).
set -uo pipefail

say() { printf 'batch: %s\n' "$*" >&2; }
die() { printf 'batch: error: %s\n' "$*" >&2; exit 2; }
E2E_NAME=batch
# shellcheck source=grader/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e_lib.sh"  # score_of, shutdown_bazel

grader="" gradebook="" root="" disk_cache="" submissions="" out="" jobs="" regrade=0
timestamps="" rubric=""
students_wanted=() grader_flags=()
for arg in "$@"; do
  case "$arg" in
    --grader=*) grader="${arg#*=}" ;;
    --gradebook=*) gradebook="${arg#*=}" ;;
    --root=*) root="${arg#*=}" ;;
    --disk_cache=*) disk_cache="${arg#*=}" ;;
    --submissions=*) submissions="${arg#*=}" ;;
    --out=*) out="${arg#*=}" ;;
    --jobs=*) jobs="${arg#*=}" ;;
    --student=*) students_wanted+=("${arg#*=}") ;;
    --regrade) regrade=1 ;;
    --timestamps=*) timestamps="${arg#*=}" ;;
    --rubric=*) rubric="${arg#*=}" ;;
    --lab=*) grader_flags+=("$arg") ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $arg (batch grading takes the options in ./lab grade --help)" ;;
  esac
done
[[ -n "$submissions" ]] || die "--submissions=DIR is required"
[[ -d "$submissions" ]] || die "--submissions=$submissions is not a directory"
[[ -x "$grader" && -x "$gradebook" && -d "$root" ]] ||
  die "run batch grading through ./lab grade --submissions=DIR"
abs() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }
submissions="$(cd "$submissions" && pwd)"
rubric="$(abs "${rubric:-$root/grader/rubric.textproto}")"
[[ -f "$rubric" ]] || die "no rubric at $rubric"
if [[ -n "$timestamps" ]]; then
  [[ -f "$timestamps" ]] || die "--timestamps=$timestamps does not exist"
  timestamps="$(abs "$timestamps")"
fi
out="${out:-$root/grade-batch}"
mkdir -p "$out/students" "$out/.staging" || die "cannot create $out"
out="$(cd "$out" && pwd)"
case "$out/" in "$submissions/"*) die "--out must not be inside --submissions" ;; esac
if [[ -z "$jobs" ]]; then
  jobs=$(( $(nproc 2>/dev/null || echo 2) / 2 ))
  ((jobs >= 1)) || jobs=1
fi
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number, not '$jobs'"

# Student name -> submission path, in name order.
declare -A submission_of=()
names=()
while IFS= read -r -d '' entry; do
  base="$(basename "$entry")"
  case "$base" in .*|__MACOSX) continue ;; esac
  if [[ -d "$entry" ]]; then
    student="$base"
    # A folder that holds just one zip (as some LMS exports do): grade the zip.
    mapfile -t inside < <(find "$entry" -mindepth 1 -maxdepth 1 -not -name '.*' -not -name __MACOSX)
    if ((${#inside[@]} == 1)) && [[ -f "${inside[0]}" && "${inside[0]}" == *.zip ]]; then
      entry="${inside[0]}"
    fi
  elif [[ -f "$entry" && "$base" == *.zip ]]; then
    student="${base%.zip}"
  else
    say "skipping $base: not a folder or a .zip"
    continue
  fi
  if [[ ! "$student" =~ ^[A-Za-z0-9][A-Za-z0-9._@+-]*$ ]]; then
    say "skipping '$student': a student name may use letters, digits and . _ @ + - only"
    continue
  fi
  [[ -n "${submission_of[$student]:-}" ]] && die "two submissions for $student ($base and another)"
  submission_of[$student]="$entry"
  names+=("$student")
done < <(find "$submissions" -mindepth 1 -maxdepth 1 -print0 | sort -z)
((${#names[@]} > 0)) || die "no submissions in $submissions"
if ((${#students_wanted[@]} > 0)); then
  for student in "${students_wanted[@]}"; do
    [[ -n "${submission_of[$student]:-}" ]] || die "--student=$student: no submission in $submissions"
  done
fi

# What a finished grading depends on: the submission's bytes and the rubric.
fingerprint() {
  local path="$1"
  {
    sha256sum "$rubric" | cut -d' ' -f1
    if [[ -d "$path" ]]; then
      (cd "$path" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
    else
      sha256sum <"$path"
    fi
  } | sha256sum | cut -d' ' -f1
}

# "score/max" of a results.json.
score_fraction() {
  local score max
  read -r score max < <(score_of "$1" 2>/dev/null) || true
  echo "$score/$max"
}

todo=()
for student in "${names[@]}"; do
  if ((${#students_wanted[@]} > 0)); then
    [[ " ${students_wanted[*]} " == *" $student "* ]] && todo+=("$student")
    continue
  fi
  dir="$out/students/$student"
  if ((!regrade)) && [[ "$(cat "$dir/status" 2>/dev/null)" == graded &&
        "$(cat "$dir/fingerprint" 2>/dev/null)" == "$(fingerprint "${submission_of[$student]}")" ]]; then
    continue
  fi
  todo+=("$student")
done
say "${#names[@]} submissions, ${#todo[@]} to grade, $jobs at a time; results in $out"

# One job: the grader on one submission, in this worker's staging directory.
# `status` is written last; "graded" with a fingerprint marks the job done.
grade_one() {
  local student="$1" slot="$2" dir="$out/students/$1" start rc=0 gpid
  mkdir -p "$dir"
  rm -f "$dir/status" "$dir/fingerprint"
  start=$SECONDS
  say "$student: grading (slot $slot)"
  "$grader" --root="$root" --disk_cache="$disk_cache" --rubric="$rubric" \
    --submission="${submission_of[$student]}" --out="$dir" \
    --staging="$out/.staging/slot-$slot" "${grader_flags[@]}" >"$dir/grade.log" 2>&1 &
  gpid=$!
  trap 'kill -TERM "$gpid" 2>/dev/null' TERM INT
  wait "$gpid" || rc=$?
  # wait returns early when a trapped signal arrives; collect the real status.
  while kill -0 "$gpid" 2>/dev/null; do wait "$gpid" && rc=0 || rc=$?; done
  trap 'exit 130' TERM INT
  case "$rc" in
    0) fingerprint "${submission_of[$student]}" >"$dir/fingerprint"
       echo graded >"$dir/status"
       say "$student: $(score_fraction "$dir/results.json") ($((SECONDS - start))s)" ;;
    130|143) echo interrupted >"$dir/status"; say "$student: interrupted"; return 130 ;;
    *) echo "grader error (exit $rc)" >"$dir/status"
       say "$student: GRADER ERROR (exit $rc); see $dir/grade.log" ;;
  esac
  return 0
}

# One worker grades its share of the students in its own staging folder, and
# stops that folder's Bazel server when it is done or interrupted, so that no
# idle server holds memory while the other workers finish.
worker() {
  local slot="$1" i
  trap 'exit 130' TERM INT
  trap 'shutdown_bazel "$out/.staging/slot-$slot"' EXIT
  for ((i = slot; i < ${#todo[@]}; i += jobs)); do
    grade_one "${todo[$i]}" "$slot" || exit 130
  done
}

write_gradebook() {
  local args=(--rubric="$rubric" --students="$out/students" --out="$out/gradebook.csv")
  [[ -n "$timestamps" ]] && args+=(--timestamps="$timestamps")
  "$gradebook" "${args[@]}" >&2 || say "could not write the gradebook"
}

# Every staging folder's server, in case a worker could not stop its own
# (one killed outright).
shutdown_servers() {
  shutdown_bazel "$out"/.staging/slot-*
}

workers=()
interrupted=0
on_interrupt() {
  interrupted=1
  say "interrupted: stopping the running jobs (run the same command again to resume)"
  local pid
  for pid in "${workers[@]}"; do kill -TERM "$pid" 2>/dev/null; done
}
trap on_interrupt INT TERM
for ((slot = 0; slot < jobs && slot < ${#todo[@]}; slot++)); do
  worker "$slot" &
  workers+=($!)
done
for pid in "${workers[@]}"; do
  while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
done
trap - INT TERM

write_gradebook
shutdown_servers
errors=$(grep -l '^grader error' "$out"/students/*/status 2>/dev/null | wc -l)
if ((interrupted)); then
  say "interrupted; the gradebook has the students finished so far"
  exit 130
fi
say "gradebook: $out/gradebook.csv"
if ((errors > 0)); then
  say "$errors job(s) failed in the grader itself; rerun to retry them"
  exit 1
fi
exit 0
