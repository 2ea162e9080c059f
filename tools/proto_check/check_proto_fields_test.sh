#!/usr/bin/env bash
# Tests check_proto_fields.sh: a proto with a map<> field is rejected with
# its file and line and the reason; a proto without one (map<> only in
# comments, names that merely contain "map") passes; an unreadable file is
# an error of its own.
set -uo pipefail

check="$1"
data="$(dirname "$2")"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

out="$("$check" "$data/clean.proto" 2>&1)" || fail "clean.proto was rejected: $out"

out="$("$check" "$data/clean.proto" "$data/with_map.proto" 2>&1)"
status=$?
[[ $status -eq 1 ]] || fail "with_map.proto: exit $status, want 1"
[[ "$out" == *"with_map.proto:8:  map<string, uint64> versions = 2;"* ]] ||
  fail "the rejection does not name the file and line: $out"
[[ "$out" == *"breaks deterministic replay"* ]] || fail "the rejection does not say why: $out"
[[ "$out" != *"clean.proto"* ]] || fail "clean.proto was listed: $out"

"$check" "$data/no_such_file.proto" 2>/dev/null
[[ $? -eq 2 ]] || fail "a missing file is not reported as exit 2"

echo "PASS"
