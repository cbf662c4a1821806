#!/usr/bin/env bash
# test_bench_memory.sh — bench/memory.sh, shrunk to one short round, runs to
# the end: a row per memory (none, lmdb, redis) with its ratio to none, every
# message read its memory (0 history:temperror, no error in the milter
# logs), and the Redis round-trip floor line from bench/redis_rtt_cost.
# Timings are not asserted: the machine may be busy. Also: redis_rtt_cost
# fails with a clear message, not a hang, when nothing listens.
# The memory checks alone (bench/memory_cost) and another host's copy are
# printed too.
# usage: test_bench_memory.sh PATH/TO/legit-milter   (bench tools next to it)
BIN=$1
. "$(dirname "$0")/lib.sh"
BUILD=$(dirname "$(realpath "$BIN")")
for t in miltergen redis_rtt_cost; do [ -x "$BUILD/bench/$t" ] || skip "bench/$t not built"; done
$PY -c 'import dnslib' 2>/dev/null || skip "python3-dnslib not installed"

out=$(N=200 RUNS=1 LN=5 COST_N=2000 COST_RUNS=1 ARGS="--memory-timeout 0.5" bash "$SRC/bench/memory.sh" "$BUILD" 2>&1)
rc=$?
echo "$out" | sed -n '/^memory /,$p'
expect_eq "bench/memory.sh exits 0" "$rc" 0
for who in none lmdb redis; do
  expect_match "row: $who" "$(grep -E "^$who " <<<"$out")" "^$who +[0-9.]+ +[0-9.]+ +[-+][0-9.]+%"
  expect_match "$who: every message read its memory" "$(grep -E "^$who: " <<<"$out")" '^[a-z]+: 0 of [0-9]+ messages'
done
expect_match "no milter errors" "$out" 'errors in the milter logs: 0'
expect_match "the round-trip floor" "$out" \
  'client CPU \(bench/redis_rtt_cost\): back-to-back [0-9.]+ us, idle-gap [0-9.]+ us; one per message would be [0-9.]+ %'
for store in lmdb redis; do
  expect_match "the memory checks alone: $store" "$out" \
    "memory checks alone \\($store, new\\): -?[0-9.]+ us/msg = -?[0-9.]+ % of none's CPU per message"
done
if grep -q 'perf task-clock' <<<"$out"; then  # the follower's CPU is perf's
  expect_match "another host's copy" "$out" \
    "another MX host's copy \\(a milter that only follows the redis milter's writes\\): [0-9.]+ us of its CPU"
fi

port=$(free_port)
msg=$(timeout 10 "$BUILD/bench/redis_rtt_cost" "$port" 10 0 2>&1)
expect_eq "redis_rtt_cost: nothing listening is exit 1" "$?" 1
expect_match "redis_rtt_cost: says why" "$msg" "cannot connect to 127\.0\.0\.1:$port"
finish
