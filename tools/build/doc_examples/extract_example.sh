#!/usr/bin/env bash
# extract_example.sh HEADER OUT...
#
# Writes the example of HEADER's top comment to OUT files, one per part, so
# that doc_examples_test compiles it (see BUILD). The example is the first
# run of lines indented by at least three spaces after "//" in the comment at
# the top of the file, up to the first comment line that is neither indented
# nor blank. A blank "//" line splits it into parts (e.g. a declaration that
# belongs at namespace scope, then statements). In the code, "..." (the
# reader's "something here") becomes /* ... */, and #line directives make
# compiler errors point at the header's own lines. Fails, naming the header, if
# the number of parts is not the number of OUT files.
set -euo pipefail

header="$1"
shift
outs=("$@")
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

awk -v dir="$tmp" '
  !/^\/\// { exit }                        # end of the top comment
  /^\/\/   / {
    if (done) next
    started = 1
    if (need_new || part == 0) {
      part++
      need_new = 0
      # Compiler errors then point at the header line itself.
      printf "#line %d \"%s\"\n", NR, FILENAME > (dir "/part" part)
    }
    line = substr($0, 6)
    gsub(/\.\.\./, "/* ... */", line)
    print line > (dir "/part" part)
    next
  }
  /^\/\/ *$/ { if (started) need_new = 1; next }
  { if (started) done = 1 }
' "$header"

found=$(find "$tmp" -name 'part*' | wc -l)
if [[ "$found" -ne "${#outs[@]}" ]]; then
  echo "$header: its top-comment example has $found part(s); tools/build/doc_examples/BUILD expects ${#outs[@]}." >&2
  echo "Update the doc_example() call for it (and doc_examples_test.cc) to match." >&2
  exit 1
fi
for ((i = 0; i < ${#outs[@]}; i++)); do
  { echo "// Extracted from $header by extract_example.sh: edit the header, not this."
    cat "$tmp/part$((i + 1))"; } >"${outs[$i]}"
done
