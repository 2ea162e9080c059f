#!/usr/bin/env bash
# End-to-end check of batch grading (./lab grade --submissions=DIR), run by
# `./lab test` with the grader's other end-to-end checks. Lab 1 only.
#
# A folder of mixed submissions: the reference in nested folders (alice), the
# reference zipped (bob), the skeleton (carol), code that does not compile
# (dave), the reference with one line broken (erin). The batch is interrupted
# after the first student and resumed; the gradebook must then hold every
# student with the right scores, bob's marked down by the late policy; a
# --student regrade redoes one student only. Two students regraded at once
# (--jobs=2) each use their own staging folder and get the same results as
# one at a time. No Bazel server of a staging folder outlives the batch.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
E2E_NAME=batch_test
source grader/e2e_lib.sh
tmp="$(e2e_tmpdir batch)"
batch_pid=""
cleanup() {
  if [[ -n "$batch_pid" ]]; then
    kill "$batch_pid" 2>/dev/null
    wait "$batch_pid" 2>/dev/null
  fi
  shutdown_bazel "$tmp"/out/.staging/slot-*
  rm -rf "$tmp"
}
trap cleanup EXIT
# Bazel servers started in the batch's staging folders (a server's command
# line names its workspace).
staging_servers() { pgrep -f -- "--workspace_directory=$out/.staging/" || true; }
no_staging_servers() {
  local left
  left="$(staging_servers)"
  [[ -z "$left" ]] || fail "$1: Bazel servers of the staging folders still run: $(echo $left)"
}

step "a folder of mixed submissions"
subs="$tmp/subs"
mkdir -p "$subs/alice/my work/quorum_kv" "$tmp/bob/src" "$subs/carol" "$subs/dave" "$subs/erin"
while IFS= read -r f; do
  cp "solution/${f#skeleton/}" "$subs/alice/my work/quorum_kv/"
  cp "solution/${f#skeleton/}" "$tmp/bob/src/"
  cp "$f" "$subs/carol/"
  cp "solution/${f#skeleton/}" "$subs/dave/"
  cp "solution/${f#skeleton/}" "$subs/erin/"
done < <(lab_files quorum_kv)
(cd "$tmp/bob" && zip -q -r "$subs/bob.zip" .)
echo "this is not C++;" >>"$subs/dave/client.cc"
# erin's bug is one of the mutants (a unified diff against the flat student
# files), so it stays in step with the reference.
patch -p1 -s --no-backup-if-mismatch -d "$subs/erin" <grader/mutants/quorum_kv/write_quorum_of_three.patch ||
  fail "erin's one-line bug (grader/mutants/quorum_kv/write_quorum_of_three.patch) no longer applies"
echo "stray" >"$subs/notes.txt"  # not a submission: skipped with a message

# A rubric with a late policy: due at noon, 25% off per day, up to 2 days.
rubric="$tmp/rubric.textproto"
sed 's/^  title: "Lab 1: Quorum KV"$/&\n  late_policy { due: "2026-10-02T12:00:00Z" penalty_percent_per_day: 25 cutoff_days: 2 }/' \
  grader/rubric.textproto >"$rubric"
grep -q late_policy "$rubric" || fail "could not add a late policy to the rubric copy"
printf 'student,submitted_at\nalice,2026-10-02T11:00:00Z\nbob,2026-10-03T18:00:00Z\n' >"$tmp/times.csv"

out="$tmp/out"
batch_args=(--submissions="$subs" --out="$out" --rubric="$rubric" --timestamps="$tmp/times.csv" --jobs=1)
batch() { ./lab grade "${batch_args[@]}" "$@"; }

step "interrupted after the first student"
# ./lab execs the batch script, so this pid is the one to interrupt.
./lab grade "${batch_args[@]}" >"$tmp/run1.log" 2>&1 &
batch_pid=$!
for _ in $(seq 1 600); do
  [[ "$(cat "$out/students/alice/status" 2>/dev/null)" == graded ]] && break
  kill -0 "$batch_pid" 2>/dev/null || break
  sleep 1
done
[[ "$(cat "$out/students/alice/status" 2>/dev/null)" == graded ]] ||
  { cat "$tmp/run1.log" >&2; fail "alice was not graded"; }
kill -TERM "$batch_pid"
rc=0
wait "$batch_pid" || rc=$?
batch_pid=""
((rc == 130)) || { cat "$tmp/run1.log" >&2; fail "an interrupted batch exited $rc, not 130"; }
grep -q 'skipping notes.txt' "$tmp/run1.log" || fail "the stray notes.txt was not reported"
no_staging_servers "after the interruption"
[[ -f "$out/gradebook.csv" ]] || fail "no gradebook after the interruption"
# The job running at the interruption is not done.
[[ "$(cat "$out/students/bob/status" 2>/dev/null)" != graded ]] ||
  fail "bob was finished before the interruption; the test cannot see a resume"
alice_stamp="$(stat -c %Y.%s "$out/students/alice/results.json")"

step "resumed: only the students not done are graded"
batch >"$tmp/run2.log" 2>&1 || { cat "$tmp/run2.log" >&2; fail "the resumed batch failed"; }
grep -q '5 submissions, 4 to grade' "$tmp/run2.log" ||
  { cat "$tmp/run2.log" >&2; fail "the resumed batch did not skip alice"; }
[[ "$(stat -c %Y.%s "$out/students/alice/results.json")" == "$alice_stamp" ]] ||
  fail "alice was regraded"
cat "$out/gradebook.csv" >&2

# Column values by header name.
cell() {
  awk -F, -v who="$1" -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
                                   $1 == who { print $c }' "$out/gradebook.csv"
}
[[ "$(cell alice total)" == 100 ]] || fail "alice (the reference, nested) scored $(cell alice total)"
[[ "$(cell bob 'quorum_kv raw')" == 100 ]] || fail "bob (zipped reference) raw $(cell bob 'quorum_kv raw')"
# Thirty hours late: two days, 50% off.
[[ "$(cell bob 'quorum_kv days late')" == 2 && "$(cell bob total)" == 50 ]] ||
  fail "bob's late policy: $(cell bob 'quorum_kv days late') days, $(cell bob total) points"
[[ "$(cell carol total)" == 0 ]] || fail "carol (the skeleton) scored $(cell carol total)"
[[ "$(cell dave total)" == 0 ]] || fail "dave (does not compile) scored $(cell dave total)"
grep -q 'error' "$out/students/dave/results.json" || fail "dave's results do not show the compiler errors"
erin="$(cell erin total)"
awk -v s="$erin" 'BEGIN { exit !(s > 0 && s < 100) }' || fail "erin (one line broken) scored $erin"
for student in alice bob carol dave erin; do
  [[ "$(cell "$student" status)" == graded ]] || fail "$student: status $(cell "$student" status)"
  [[ -s "$out/students/$student/grade.log" && -d "$out/students/$student/logs" ]] ||
    fail "$student has no grade.log or logs/"
done
# The per-test column holds the test's points from the rubric.
put_get_points="$(sed -n 's/.*gtest: "QuorumKvPartA.PutThenGetReturnsTheValue" points: \([0-9.]*\).*/\1/p' "$rubric")"
[[ -n "$put_get_points" ]] || fail "QuorumKvPartA.PutThenGetReturnsTheValue is not in the rubric"
[[ "$(cell alice 'quorum_kv: QuorumKvPartA.PutThenGetReturnsTheValue')" == "$put_get_points" ]] ||
  fail "the per-test column of alice is wrong (expected $put_get_points)"
# erin's log of a failing public test gives the command that replays it in
# her own handout repository: the public target, her code, the seed.
replay="$(grep -h '\[auroralab\] replay:' "$out"/students/erin/logs/quorum_kv/QuorumKvPart*.log | head -1)"
[[ "$replay" =~ replay:\ \./lab\ test\ //labs/quorum_kv:quorum_kv_test\ --impl=skeleton\ --seed=[0-9]+\ --filter=QuorumKvPart[AB]\.[A-Za-z]+$ ]] ||
  fail "erin's replay line is not a command for her handout: '$replay'"

step "regrading one student leaves the others alone"
bob_stamp="$(stat -c %Y.%s "$out/students/bob/results.json")"
batch --student=erin >"$tmp/run3.log" 2>&1 || { cat "$tmp/run3.log" >&2; fail "regrading erin failed"; }
grep -q '5 submissions, 1 to grade' "$tmp/run3.log" || fail "--student=erin graded more than erin"
[[ "$(stat -c %Y.%s "$out/students/bob/results.json")" == "$bob_stamp" ]] || fail "bob was regraded"
[[ "$(cell erin total)" == "$erin" ]] || fail "erin's regrade gave $(cell erin total), before $erin"

step "two students at once (--jobs=2): each in its own staging folder, the same results"
verdicts() { grep -E '"(name|score|status)"' "$out/students/$1/results.json"; }
verdicts alice >"$tmp/alice.jobs1"
verdicts erin >"$tmp/erin.jobs1"
batch --student=alice --student=erin --jobs=2 >"$tmp/run4.log" 2>&1 ||
  { cat "$tmp/run4.log" >&2; fail "grading alice and erin at once failed"; }
grep -q '5 submissions, 2 to grade, 2 at a time' "$tmp/run4.log" ||
  { cat "$tmp/run4.log" >&2; fail "the batch did not grade two students at a time"; }
# Both jobs started (in slots 0 and 1) before either finished.
awk '/: grading \(slot 0\)$/ { s0 = NR } /: grading \(slot 1\)$/ { s1 = NR }
     /: [0-9.]+\/[0-9.]+ \([0-9]+s\)$/ && !done { done = NR }
     END { exit !(s0 && s1 && done && s0 < done && s1 < done) }' "$tmp/run4.log" ||
  { cat "$tmp/run4.log" >&2; fail "alice and erin were not graded at the same time"; }
for slot in 0 1; do
  [[ -f "$out/.staging/slot-$slot/WORKSPACE" ]] || fail "no staging folder for slot $slot"
done
diff "$tmp/alice.jobs1" <(verdicts alice) >&2 || fail "alice's results differ between --jobs=1 and --jobs=2"
diff "$tmp/erin.jobs1" <(verdicts erin) >&2 || fail "erin's results differ between --jobs=1 and --jobs=2"
no_staging_servers "after the batch"

step "batch grading passed"
