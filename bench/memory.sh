#!/usr/bin/env bash
# bench/memory.sh — what the sender memory costs per message: three
# legit-milters, identical but for `memory` (none, an LMDB file, a Redis
# started here on a free loopback port), driven by bench/miltergen (as in
# bench/loadgen.sh: C connections, one message each, the 2 KB unsigned
# corpus message from 198.18.255.10 = mail.bench.test, every lookup
# answered by tests/dns/zoneserver.py). Runs alternate; medians of $RUNS.
# Per memory: msg/s, the milter's CPU ms per message (utime+stime of every
# thread, the memory writer included), Redis' own CPU per message, and the
# end-of-data p50 of one paced connection. Target (issue 13): memory CPU
# <= 5 % of the milter's per-message CPU, no end-of-data latency beyond one
# Redis round trip (the reads happen before end-of-data).
# Needs no root. usage: bench/memory.sh [BUILD_DIR]   env: N=3000 C=20 RUNS=5 LN=50 PACE=20
set -uo pipefail
BUILD=$(realpath "${1:-build}") || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.." || exit 1
N=${N:-3000} C=${C:-20} RUNS=${RUNS:-5} LN=${LN:-50} PACE=${PACE:-20}
export LEGIT_SOURCE_DIR=$PWD
. tests/integration/lib.sh
. bench/lib.sh
GEN=$BUILD/bench/miltergen LEGIT=$BUILD/legit-milter
for b in "$GEN" "$LEGIT"; do [ -x "$b" ] || { echo "missing $b (build first)"; exit 1; }; done
command -v redis-server >/dev/null || skip "redis-server is not installed"
die() { echo "bench/memory: $*" >&2; exit 1; }

$PY bench/make_corpus.py "$PWD" "$WORK" || die "make_corpus.py failed"
start_dns "$WORK/bench.zone" tests/dns/bench-reverse.zone tests/dns/bench-reverse198.zone
CLIENT=(-i 198.18.255.10 -N mail.bench.test -h mail.bench.test -f sender@bench.test -r user@example.net)

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
RPID=$!; PIDS+=($RPID)
wait_listen "$RPORT" || die "redis-server did not start"

declare -A PORT PID
for who in none lmdb redis; do
  case $who in
    none) mem=none ;;
    lmdb) mem="lmdb:$WORK/bench.lmdb" ;;
    redis) mem="redis://127.0.0.1:$RPORT/0" ;;
  esac
  PORT[$who]=$(free_port)
  "$LEGIT" --socket "inet:${PORT[$who]}@127.0.0.1" --log stderr --dns-server "127.0.0.1@$DNS_PORT" \
    --trusted-networks 192.0.2.254/32 --hostname mx.bench.test --authserv-id mx.bench.test \
    --memory "$mem" >"$WORK/legit-$who.log" 2>&1 &
  PID[$who]=$!; PIDS+=(${PID[$who]})
  wait_listen "${PORT[$who]}" || { cat "$WORK/legit-$who.log"; die "legit-milter ($who) did not start"; }
done

echo "# legit-milter bench/memory.sh $(date -u +%FT%TZ), nproc=$(nproc), git $(git rev-parse --short HEAD 2>/dev/null)"
echo "# N=$N C=$C RUNS=$RUNS; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# run WHO ARGS...: prints "msg/s milter-cpu-ms/msg eom-p50-us redis-cpu-ms/msg"
run() {
  local who=$1 j0 j1 r0 r1 out n; shift
  j0=$(jiffies "${PID[$who]}"); r0=$(jiffies "$RPID")
  out=$("$GEN" -p "${PORT[$who]}" "${CLIENT[@]}" --json "$@" "$WORK/plain-2k.eml") || { echo "$out" >&2; die "miltergen failed ($who)"; }
  sleep 0.3  # the memory writer's queue
  j1=$(jiffies "${PID[$who]}"); r1=$(jiffies "$RPID")
  n=$(jget 'j["messages"]' <<<"$out")
  echo "$(jget 'j["msg_per_s"]' <<<"$out") $(calc %.3f "1000 * ($j1 - $j0) / $HZ / $n")" \
    "$(jget 'j["stages"]["eom"]["p50_us"]' <<<"$out") $(calc %.4f "1000 * ($r1 - $r0) / $HZ / $n")"
}
for who in none lmdb redis; do run $who -c 4 -n 200 >/dev/null; done  # warm-up
for who in none lmdb redis; do
  grep -q 'action=accept' "$WORK/legit-$who.log" || { tail -3 "$WORK/legit-$who.log"; die "$who scored nothing as accept"; }
done
grep -q 'history:' "$WORK/legit-lmdb.log" || die "the lmdb milter ran no memory check"

: >"$WORK/none"; : >"$WORK/lmdb"; : >"$WORK/redis"
for r in $(seq 1 "$RUNS"); do
  order="none lmdb redis"; [ $((r % 2)) = 0 ] && order="redis lmdb none"
  for who in $order; do
    res=$(run $who -c "$C" -n "$N")
    echo "$res" >>"$WORK/$who"
    printf '  run %d %-6s %s msg/s, %s ms CPU/msg (redis-server %s ms)\n' "$r" "$who" \
      "$(cut -d' ' -f1 <<<"$res")" "$(cut -d' ' -f2 <<<"$res")" "$(cut -d' ' -f4 <<<"$res")"
  done
done
med() { cut -d' ' -f"$2" "$WORK/$1" | median; }
echo
printf '%-8s %10s %14s %14s %18s %16s\n' memory msg/s "CPU ms/msg" "vs none" "redis CPU ms/msg" "eom p50 us ($PACE ms pace)"
for who in none lmdb redis; do
  lat=$(run $who -c 1 -n "$LN" --pace "$PACE" | cut -d' ' -f3)
  printf '%-8s %10s %14s %13s%% %18s %16s\n' "$who" "$(med $who 1)" "$(med $who 2)" \
    "$(calc %+.1f "100 * ($(med $who 2) - $(med none 2)) / $(med none 2)")" "$(med $who 4)" "$lat"
done
echo "errors in the milter logs: $(cat "$WORK"/legit-*.log | grep -cE '; on-error=|runtime error|Sanitizer|memory: .*failed')"
