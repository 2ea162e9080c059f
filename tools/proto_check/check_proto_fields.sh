#!/usr/bin/env bash
# check_proto_fields.sh FILE.proto...: rejects protobuf map<> fields.
#
# A map<> field iterates in a different order in every process (protobuf
# seeds its hash from addresses), so a node that loops over one, or
# serializes one, can make the same seed give a different run: a replay that
# silently stops reproducing. cc_proto (tools/build/proto.bzl) runs this on
# every .proto it compiles, so such a field fails the build, and with it
# `./lab test`, naming the file and line. Use a repeated message of key/value
# pairs, kept sorted by key, instead.
#
# Exit status: 0 when no file has a map<> field, 1 otherwise (each one is
# listed on stderr), 2 for a file that cannot be read.
set -uo pipefail

status=0
for file in "$@"; do
  if [[ ! -r "$file" ]]; then
    printf 'check_proto_fields: cannot read %s\n' "$file" >&2
    exit 2
  fi
  # Comments are not fields: drop // comments and /* ... */ blocks (also
  # across lines) before looking, keeping line numbers.
  hits="$(awk '
    {
      line = $0
      out = ""
      while (length(line) > 0) {
        if (in_block) {
          end = index(line, "*/")
          if (end == 0) { line = ""; break }
          line = substr(line, end + 2)
          in_block = 0
          continue
        }
        slash = index(line, "//")
        block = index(line, "/*")
        if (slash > 0 && (block == 0 || slash < block)) { out = out substr(line, 1, slash - 1); line = ""; break }
        if (block > 0) { out = out substr(line, 1, block - 1); line = substr(line, block + 2); in_block = 1; continue }
        out = out line
        line = ""
      }
      if (out ~ /(^|[^A-Za-z0-9_.])map[ \t]*</) printf "%d:%s\n", NR, $0
    }' "$file")"
  [[ -z "$hits" ]] && continue
  status=1
  while IFS= read -r hit; do
    printf '%s:%s\n' "$file" "$hit" >&2
  done <<<"$hits"
  printf '%s: error: map<> fields are not allowed in lab protos: their iteration order differs in every process, which breaks deterministic replay. Use a repeated message of key/value pairs, sorted by key.\n' "$file" >&2
done
exit "$status"
