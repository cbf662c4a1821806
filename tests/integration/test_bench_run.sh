#!/usr/bin/env bash
# test_bench_run.sh — bench/run.sh --quick runs to the end and prints every
# row of its summary (one per target of the performance issue), each with a
# verdict word. Timings are not asserted: the machine may be busy.
# usage: test_bench_run.sh PATH/TO/legit-milter   (bench tools next to it)
BIN=$1
. "$(dirname "$0")/lib.sh"
BUILD=$(dirname "$(realpath "$BIN")")
[ -x "$BUILD/bench/miltergen" ] && [ -x "$BUILD/bench/nullfilter" ] || skip "bench tools not built"
$PY -c 'import dkim, dnslib' 2>/dev/null || skip "python3-dkim / python3-dnslib not installed"
out=$(bash "$SRC/bench/run.sh" --quick "$BUILD" 2>&1)
rc=$?
echo "$out" | sed -n '/^## summary/,$p'
expect_eq "bench/run.sh --quick exits 0" "$rc" 0
for row in "P Postfix delivered msg/s" "P Postfix: milter CPU" "P Postfix: 10 MB" "A miltergen msg/s" \
  "A CPU ms per message" "B CPU ms per connection" "C 10 MB unsigned" "D cached lookup" \
  "E eom p50 ms, 20 ms DNS, cold cache, paced" "E eom p50 ms, 20 ms DNS, cold cache, unpaced" \
  "F RSS KiB" "G RSS KiB per open idle connection"; do
  expect_match "row: $row" "$(grep -F "$row" <<<"$out" | tail -1)" '(met|NOT MET|skipped .*)$'
done
expect_eq "no milter errors" "$(grep -c 'log lines reporting an error: 0;' <<<"$out")" 1
finish
