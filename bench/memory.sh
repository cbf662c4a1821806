#!/usr/bin/env bash
# bench/memory.sh — what the sender memory costs per message: three
# legit-milters, identical but for `memory` (none, an LMDB file, a Redis
# started here on a free loopback port), driven by bench/miltergen (as in
# bench/loadgen.sh: C connections, one message each, the 2 KB unsigned
# corpus message from 198.18.255.10 = mail.bench.test, every lookup
# answered by tests/dns/zoneserver.py). Runs alternate; medians of $RUNS.
# Per memory: msg/s, the milter's CPU ms per message (and its ratio to none's
# in the same round, median over rounds) (utime+stime of every
# thread, the memory writer included), Redis' own CPU per message, and the
# end-of-data p50 of one paced connection. Target (issue 13): memory CPU
# <= 5 % of the milter's per-message CPU, no end-of-data latency beyond one
# Redis round trip (the reads happen before end-of-data).
# With perf (PERF=1, default when it works) the CPU is perf task-clock and
# syscalls / context switches per message are counted too.
# STRACE=1 adds a per-syscall count per message; PROFILE=redis (or lmdb,
# none) a perf profile of that milter (kept in \$PROFILE_OUT or /tmp).
# ARGS="--memory-timeout 0.1" adds options to every milter's command line.
# PERF_EXTRA="syscalls:sys_enter_sendto,syscalls:sys_enter_futex" counts
# those events too (per message, on stderr).
# usage: bench/memory.sh [BUILD_DIR]   env: N=3000 C=20 RUNS=5 LN=50 PACE=20 PERF=0/1 PAR=0/1
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
redis-server --port "$RPORT" --bind 127.0.0.1 --unixsocket "$WORK/redis.sock" --save "" --appendonly no \
  --dir "$WORK" >"$WORK/redis.log" 2>&1 &
RPID=$!; PIDS+=($RPID)
wait_listen "$RPORT" || die "redis-server did not start"

declare -A PORT PID
# OLD=path/to/another/legit-milter adds "old-none" and "old-redis": that
# binary without memory and on the same Redis (its own db), run in the same
# rounds (a before/after comparison; old-redis is compared with old-none).
# MEMS="none lmdb redis redis-unix" adds the same Redis over its unix socket.
WHO=${MEMS:-none lmdb redis}
[ -n "${OLD:-}" ] && WHO="$WHO old-none old-redis"
for who in $WHO; do
  bin=$LEGIT
  case $who in
    none) mem=none ;;
    lmdb) mem="lmdb:$WORK/bench.lmdb" ;;
    redis) mem="redis://127.0.0.1:$RPORT/0" ;;
    redis-unix) mem="unix:$WORK/redis.sock?db=2" ;;
    old-none) mem=none bin=$(realpath "$OLD") ;;
    old-redis) mem="redis://127.0.0.1:$RPORT/1" bin=$(realpath "$OLD") ;;
  esac
  PORT[$who]=$(free_port)
  "$bin" --socket "inet:${PORT[$who]}@127.0.0.1" --log stderr --dns-server "127.0.0.1@$DNS_PORT" \
    --trusted-networks 192.0.2.254/32 --hostname mx.bench.test --authserv-id mx.bench.test \
    --memory "$mem" ${ARGS:-} >"$WORK/legit-$who.log" 2>&1 &
  PID[$who]=$!; PIDS+=(${PID[$who]})
  wait_listen "${PORT[$who]}" || { cat "$WORK/legit-$who.log"; die "legit-milter ($who) did not start"; }
done

echo "# legit-milter bench/memory.sh $(date -u +%FT%TZ), nproc=$(nproc), git $(git rev-parse --short HEAD 2>/dev/null)"
echo "# N=$N C=$C RUNS=$RUNS; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# run WHO ARGS...: prints "msg/s milter-cpu-ms/msg eom-p50-us redis-cpu-ms/msg
#   syscalls/msg context-switches/msg". With perf (PERF=1, the
#   default when `perf stat -p` works here): the milter's CPU is perf's
#   task-clock (ns, every thread) and syscalls/context switches are counted;
#   else CPU is /proc's utime+stime (10 ms ticks) and those two read n/a.
perf_ok() { perf stat -e task-clock,raw_syscalls:sys_enter -p "$1" -o /dev/null -- sleep 0.01 >/dev/null 2>&1; }
run() {
  local who=$1 j0 j1 r0 r1 out n ppid cpu sc cs; shift
  if [ "$PERF" = 1 ]; then
    perf stat -x, -e task-clock,context-switches,raw_syscalls:sys_enter${PERF_EXTRA:+,$PERF_EXTRA} -p "${PID[$who]}" \
      -o "$WORK/perf.$who" &
    ppid=$!
    sleep 0.2
  fi
  j0=$(jiffies "${PID[$who]}"); r0=$(jiffies "$RPID")
  out=$("$GEN" -p "${PORT[$who]}" "${CLIENT[@]}" --json "$@" "$WORK/plain-2k.eml") || { echo "$out" >&2; die "miltergen failed ($who)"; }
  sleep 0.3  # the memory writer's queue
  j1=$(jiffies "${PID[$who]}"); r1=$(jiffies "$RPID")
  n=$(jget 'j["messages"]' <<<"$out")
  cpu=$(calc %.3f "1000 * ($j1 - $j0) / $HZ / $n") sc=n/a cs=n/a
  if [ "$PERF" = 1 ]; then
    kill -INT "$ppid"; wait "$ppid"
    cpu=$(awk -F, -v n="$n" '$3 == "task-clock" { printf "%.4f", $1 / n }' "$WORK/perf.$who")
    sc=$(awk -F, -v n="$n" '$3 ~ /^raw_syscalls:sys_enter/ { printf "%.1f", $1 / n }' "$WORK/perf.$who")
    cs=$(awk -F, -v n="$n" '$3 == "context-switches" { printf "%.1f", $1 / n }' "$WORK/perf.$who")
    [ -n "${PERF_EXTRA:-}" ] && awk -F, -v n="$n" -v who="$who" 'NR > 1 && $3 != "task-clock" && $3 != "context-switches" &&
      $3 !~ /raw_syscalls/ && $1 ~ /^[0-9]/ { printf "    %s %s %.2f/msg\n", who, $3, $1 / n }' "$WORK/perf.$who" >&2
  fi
  echo "$(jget 'j["msg_per_s"]' <<<"$out") $cpu" \
    "$(jget 'j["stages"]["eom"]["p50_us"]' <<<"$out") $(calc %.4f "1000 * ($r1 - $r0) / $HZ / $n") $sc $cs"
}
if [ -z "${PERF:-}" ]; then PERF=0; perf_ok "${PID[none]}" && PERF=1; fi
for who in $WHO; do run $who -c 4 -n 200 >/dev/null; done  # warm-up
for who in $WHO; do
  grep -q 'action=accept' "$WORK/legit-$who.log" || { tail -3 "$WORK/legit-$who.log"; die "$who scored nothing as accept"; }
done
for who in $WHO; do
  case $who in none|old-none) continue ;; esac
  grep -q 'history:' "$WORK/legit-$who.log" || die "the $who milter ran no memory check"
done

for who in $WHO; do : >"$WORK/$who"; done
# Another MX host's copy: with redis in $WHO, one more milter on the same
# Redis db that gets no mail and only keeps its copy of what the redis
# milter writes (the log it follows); its whole CPU over the rounds (perf
# task-clock, idle seconds included), per message the redis milter was sent.
FOLLOW=
if [[ " $WHO " == *" redis "* ]] && [ "$PERF" = 1 ]; then
  fport=$(free_port)
  "$LEGIT" --socket "inet:$fport@127.0.0.1" --log stderr --dns-server "127.0.0.1@$DNS_PORT" \
    --hostname mx2.bench.test --authserv-id mx.bench.test --memory "redis://127.0.0.1:$RPORT/0" ${ARGS:-} \
    >"$WORK/legit-follow.log" 2>&1 &
  FOLLOW=$!; PIDS+=($FOLLOW)
  wait_listen "$fport" || die "the follower milter did not start"
  sleep 1  # its first copy
  perf stat -x, -e task-clock -p "$FOLLOW" -o "$WORK/perf.follow" &
  fperf=$!
fi
# PAR=1 runs the milters of one round at the same time (one miltergen each):
# they then share the same machine conditions (the other users' load, the
# sibling hyperthread), which the per-round ratio needs on a busy shared box;
# redis-server's CPU column then counts every Redis user of the round.
for r in $(seq 1 "$RUNS"); do
  order=$WHO; [ $((r % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$WHO" | tac | tr '\n' ' ')
  if [ "${PAR:-0}" = 1 ]; then
    round=()
    for who in $order; do run $who -c "$C" -n "$N" >"$WORK/round.$who" & round+=($!); done
    wait "${round[@]}"
  fi
  for who in $order; do
    if [ "${PAR:-0}" = 1 ]; then res=$(cat "$WORK/round.$who"); else res=$(run $who -c "$C" -n "$N"); fi
    echo "$res" >>"$WORK/$who"
    printf '  run %d %-6s %s msg/s, %s ms CPU/msg (redis-server %s ms), %s syscalls/msg, %s cs/msg\n' "$r" "$who" \
      "$(cut -d' ' -f1 <<<"$res")" "$(cut -d' ' -f2 <<<"$res")" "$(cut -d' ' -f4 <<<"$res")" \
      "$(cut -d' ' -f5 <<<"$res")" "$(cut -d' ' -f6 <<<"$res")"
  done
done
med() { cut -d' ' -f"$2" "$WORK/$1" | median; }
if [ -n "$FOLLOW" ]; then
  kill -INT "$fperf"; wait "$fperf"
  follow_us=$(awk -F, -v n="$((RUNS * N))" '$3 == "task-clock" { printf "%.2f", 1000 * $1 / n }  # task-clock is in ms' "$WORK/perf.follow")
fi
echo
# vs none: the median over rounds of (CPU/msg of this memory / CPU/msg of
# none in the same round) - 1, so a busier round on the shared box cancels out.
vs_none() {
  local base=none
  [[ $1 == old-* ]] && base=old-none
  paste -d' ' <(cut -d' ' -f2 "$WORK/$1") <(cut -d' ' -f2 "$WORK/$base") |
    awk '$2 > 0 { print 100 * ($1 / $2 - 1) }' | median
}
printf '%-9s %8s %11s %8s %11s %9s %9s %12s\n' memory msg/s "CPU ms/msg" "vs none" "redis ms/msg" \
  syscalls "ctx-sw" "eom p50 us"
for who in $WHO; do
  lat=$(run $who -c 1 -n "$LN" --pace "$PACE")
  printf '%-9s %8s %11s %7s%% %11s %9s %9s %12s\n' "$who" "$(med $who 1)" "$(med $who 2)" \
    "$(calc %+.1f "$(vs_none $who)")" "$(med $who 4)" \
    "$(med $who 5)" "$(med $who 6)" "$(cut -d' ' -f3 <<<"$lat")"
done
echo "(CPU: $([ "$PERF" = 1 ] && echo "perf task-clock" || echo "/proc ticks"); syscalls and ctx-sw per message;" \
  "eom p50 of one connection paced $PACE ms)"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v redis-cli >/dev/null; then  # what "one Redis round trip" is here
  echo "Redis round trip (redis-cli --latency, 2 s): $(timeout 2 redis-cli -p "$RPORT" --latency --raw 2>/dev/null |
    tail -1 | awk '{ print "min " $1 " max " $2 " avg " $3 " ms over " $4 " samples" }')"
fi
# The floor under a read per message: what one round trip (a send and the
# recv of its answer) costs the client's CPU here, against none's CPU per
# message. Batching shares a round trip between messages in flight; a lone
# message pays all of it.
if [ -x "$BUILD/bench/redis_rtt_cost" ]; then
  rtt=$("$BUILD/bench/redis_rtt_cost" "$RPORT" 20000 1000) || rtt=""
  if [ -n "$rtt" ]; then
    idle=$(awk '{ print $5 }' <<<"$rtt")
    echo "Redis round trip, client CPU (bench/redis_rtt_cost): $rtt;" \
      "one per message would be $(calc %.1f "100 * $idle / 1000 / $(med none 2)") % of none's CPU per message"
  fi
fi
# The memory checks alone (bench/memory_cost: the three checks, the recorder,
# the writer and the copy's follower in one process on a mix of mostly cold
# keys, against memory = none), a figure the machine's load moves far less
# than the ratios above; as a share of none's CPU per message above. With
# OLD, the old build's memory_cost (if it has one) in the same way.
cost_row() {  # BINARY LABEL
  local out
  out=$("$1" "${COST_N:-20000}" "${COST_RUNS:-5}" none "lmdb:$WORK/cost-$2.lmdb" \
    "redis://127.0.0.1:$RPORT/$([ "$2" = new ] && echo 6 || echo 7)" 2>"$WORK/cost-$2.err") ||
    { echo "bench/memory_cost ($2) failed: $(grep -v 'local copy' "$WORK/cost-$2.err" | tail -1)"; return; }
  awk -v base="$(med none 2)" -v label="$2" 'NR > 2 {
      split($1, s, ":"); printf "memory checks alone (%s, %s): %.2f us/msg = %.1f %% of none'"'"'s CPU per message\n",
        s[1], label, $3 / 1000, 100 * $3 / 1e6 / base }' <<<"$out"
}
[ -x "$BUILD/bench/memory_cost" ] && cost_row "$BUILD/bench/memory_cost" new
[ -n "$FOLLOW" ] && echo "another MX host's copy (a milter that only follows the redis milter's writes):" \
  "$follow_us us of its CPU per message written = $(calc %.1f "100 * $follow_us / 1000 / $(med none 2)") % of none's CPU per message"
[ -n "${OLD:-}" ] && [ -x "$(dirname "$(realpath "$OLD")")/bench/memory_cost" ] &&
  cost_row "$(dirname "$(realpath "$OLD")")/bench/memory_cost" old
if [ "${STRACE:-0}" = 1 ] && command -v strace >/dev/null; then
  # Which syscalls, per message: strace -c on every thread of each milter
  # (slows it down: counts only, no timing).
  for who in $WHO; do
    strace -c -f -q -p "${PID[$who]}" -o "$WORK/strace.$who" &
    sp=$!; sleep 0.5
    "$GEN" -p "${PORT[$who]}" "${CLIENT[@]}" -c 4 -n 1000 "$WORK/plain-2k.eml" >/dev/null
    sleep 0.3; kill -INT "$sp"; wait "$sp"
    printf '%-6s syscalls per message:' "$who"
    awk '$4 ~ /^[0-9]+$/ && $NF != "total" { c[$NF] = $4 } END { for (k in c) printf " %s %.1f\n", k, c[k] / 1000 }' \
      "$WORK/strace.$who" | sort -k2 -g -r | head -8 | tr -d '\n'; echo
  done
fi
if [ -n "${PROFILE:-}" ] && [ -n "${PID[$PROFILE]:-}" ]; then
  # Where the CPU of one milter goes (perf record, call graphs): PROFILE=redis
  perf record -q ${PROFILE_G:--g} -p "${PID[$PROFILE]}" -o "$WORK/perf.data" &
  sp=$!; sleep 0.5
  "$GEN" -p "${PORT[$PROFILE]}" "${CLIENT[@]}" -c "$C" -n "$N" "$WORK/plain-2k.eml" >/dev/null
  sleep 0.3; kill -INT "$sp"; wait "$sp"
  perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -40
  cp "$WORK/perf.data" "${PROFILE_OUT:-/tmp}/memory-$PROFILE.perf.data"
fi
# Messages whose memory read failed or missed memory-timeout (history:temperror
# in the log line): memory skipped for them, which would flatter its CPU cost.
for who in $WHO; do
  printf '%s: %s of %s messages with history:temperror\n' "$who" "$(grep -c 'history:temperror' "$WORK/legit-$who.log")" \
    "$(grep -c ' action=' "$WORK/legit-$who.log")"
done
# Exit status: 0 when no milter logged an error, 1 when one did (shown).
errors=$(cat "$WORK"/legit-*.log | grep -E '; on-error=|runtime error|Sanitizer|memory: .*(failed|missed its deadline)')
echo "errors in the milter logs: $(grep -c . <<<"$errors")"
[ -z "$errors" ] || { head -5 <<<"$errors"; exit 1; }
