#!/usr/bin/env bash
# Browser test of the trace viewer (trace_view.h, trace_view.html): loads
# pages in headless Chromium (Debian's chromium-headless-shell, which ./lab
# test installs) and reads what the page's script drew from the dumped DOM.
#   1. A small known trace (testdata/small.trace.jsonl): no script errors, and
#      exactly its 4 lanes, 7 arrows (4 delivered, 2 dropped, 1 in flight) and
#      2 methods; user text stays text; the links to the run's
#      linearizability page and raw trace are there; an address with
#      #t=FROM,TO&e=N opens that window with event N's details.
#   2. A file that is not a trace is refused with its line number.
#   3. A generated trace of 100,000 events loads without errors and draws all
#      of its 40,000 arrows; the load time is printed, not asserted (speed
#      targets belong in benchmarks).
# Usage: trace_view_browser_test.sh MAKE_TRACE_VIEW SMALL_TRACE
set -euo pipefail

make_view="$1"
small="$2"
browser="$(command -v chromium-headless-shell || true)"
if [[ -z "$browser" ]]; then
  echo "FAIL: chromium-headless-shell is not installed. ./lab test installs it;"
  echo "      by hand: apt-get install --no-install-recommends chromium-headless-shell"
  exit 1
fi
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/trace_view.XXXXXX")"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Prints the DOM of a page after its scripts ran.
dump_dom() {
  timeout 120 "$browser" --no-sandbox --disable-gpu --user-data-dir="$work/profile" \
    --virtual-time-budget=5000 --dump-dom "file://$1" 2>>"$work/browser.log"
}
# The page's own report: "lanes=.. arrows=.. ..." from <pre id="selftest">.
selftest() { sed -n 's/.*<pre id="selftest" data-ready="yes">\([^<]*\)<\/pre>.*/\1/p' "$1"; }
# Checks that the report has `key=value`.
expect() {
  local report="$1" want="$2"
  [[ " $report " == *" $want "* ]] || fail "expected $want in: $report"
}

# 1. The small known trace, with a linearizability page next to it.
cp "$small" "$work/Known.seed1.trace.jsonl"
echo "<html><body>history</body></html>" >"$work/Known.seed1.linearizability.html"
"$make_view" "$work/Known.seed1.trace.jsonl" >"$work/made.txt"
[[ "$(cat "$work/made.txt")" == "$work/Known.seed1.trace.html" ]] ||
  fail "make_trace_view printed '$(cat "$work/made.txt")', not the page's path"
dump_dom "$work/Known.seed1.trace.html" >"$work/small.dom" || fail "the browser failed on the small page"
report="$(selftest "$work/small.dom")"
echo "small trace: $report"
if [[ -z "$report" ]]; then
  fail "the small page never finished drawing (script error?); DOM in $work/small.dom"
else
  for want in lanes=4 arrows=7 drawn_arrows=7 delivered=4 dropped=2 inflight=1 methods=2 \
              events=23 errors=0; do
    expect "$report" "$want"
  done
fi
grep -q '<p id="errors" hidden' "$work/small.dom" || fail "the page shows a script error"
grep -q 'id="linearizability-link" href="Known.seed1.linearizability.html"' "$work/small.dom" ||
  fail "no link to the linearizability page"
grep -q 'id="jsonl-link" href="Known.seed1.trace.jsonl"' "$work/small.dom" ||
  fail "no link to the raw trace"
grep -q '<b>not markup</b>' "$work/small.dom" && fail "text from the trace became markup"

# The address selects a window and an event: the details panel shows event
# 3 (a send that was delivered) and event 17 (a crash), with no script error.
dump_dom "$work/Known.seed1.trace.html#t=0,0.6&e=3" >"$work/selected.dom" || fail "the browser failed"
grep -q '<td>message</td><td>Kv.Put request</td>' "$work/selected.dom" || fail "event 3 not shown"
grep -q '<td>delivered</td><td>250µs (after 240µs)</td>' "$work/selected.dom" ||
  fail "event 3's delivery not shown"
expect "$(selftest "$work/selected.dom")" errors=0
dump_dom "$work/Known.seed1.trace.html#t=0,1&e=17" >"$work/crash.dom" || fail "the browser failed"
grep -q '<td>kind</td><td>crash</td>' "$work/crash.dom" || fail "event 17 (a crash) not shown"

# 2. Not a trace.
echo "hello" >"$work/junk.jsonl"
if "$make_view" "$work/junk.jsonl" "$work/junk.html" 2>"$work/junk.err"; then
  fail "make_trace_view accepted a file that is not a trace"
fi
grep -q "line 1 is not a trace event" "$work/junk.err" || fail "unclear error: $(cat "$work/junk.err")"

# 3. 100,000 events: 20,000 rounds of request, delivery, reply, delivery and
# a log line, between 4 clients and 5 replicas.
awk 'BEGIN {
  for (i = 1; i <= 20000; i++) {
    t = i * 100; c = "c" (i % 4); r = "r" (i % 5);
    printf "{\"t_us\":%d,\"kind\":\"send\",\"node\":\"%s\",\"peer\":\"%s\",\"id\":%d,\"rpc\":\"request\",\"payload\":\"1:\\\"k%d\\\"\",\"detail\":\"Kv.Get\"}\n", t, c, r, i, i % 50
    printf "{\"t_us\":%d,\"kind\":\"deliver\",\"node\":\"%s\",\"peer\":\"%s\",\"id\":%d,\"rpc\":\"request\",\"detail\":\"Kv.Get\"}\n", t + 40, r, c, i
    printf "{\"t_us\":%d,\"kind\":\"log\",\"node\":\"%s\",\"detail\":\"read k%d\"}\n", t + 41, r, i % 50
    printf "{\"t_us\":%d,\"kind\":\"send\",\"node\":\"%s\",\"peer\":\"%s\",\"id\":%d,\"rpc\":\"reply\",\"payload\":\"1:\\\"v\\\"\",\"detail\":\"Kv.Get\"}\n", t + 50, r, c, i
    printf "{\"t_us\":%d,\"kind\":\"deliver\",\"node\":\"%s\",\"peer\":\"%s\",\"id\":%d,\"rpc\":\"reply\",\"detail\":\"Kv.Get\"}\n", t + 90, c, r, i
  }
}' >"$work/big.trace.jsonl"
"$make_view" "$work/big.trace.jsonl" >/dev/null
dump_dom "$work/big.trace.html" >"$work/big.dom" || fail "the browser failed on the 100,000-event page"
report="$(selftest "$work/big.dom")"
echo "100,000 events ($(du -h "$work/big.trace.html" | cut -f1) page): $report"
if [[ -z "$report" ]]; then
  fail "the 100,000-event page never finished drawing"
else
  for want in lanes=9 arrows=40000 drawn_arrows=40000 delivered=40000 events=100000 errors=0; do
    expect "$report" "$want"
  done
fi

if ((failures > 0)); then
  echo "browser log: $(tail -5 "$work/browser.log")"
  exit 1
fi
echo "PASS"
