#!/usr/bin/env bash
# bench/loadgen.sh — the milter protocol without Postfix in the way:
# bench/miltergen (C++, negotiates v6 like Postfix, checks every reply)
# against the null libmilter filter (bench/nullfilter: answers every step,
# the floor of any libmilter filter) and legit-milter scoring every message,
# both built with the project. Runs alternate; medians of $RUNS.
#
#   A throughput: C=50 connections, M=1 message per connection, N messages,
#     corpus in turn (unsigned 2 KB, unsigned 100 KB, DKIM rsa-2048 2 KB,
#     DKIM ed25519 2 KB; bench/make_corpus.py, keys made fresh). msg/s and
#     the filter's CPU ms per message (utime+stime of /proc/PID/stat).
#   B latency: one connection at a time, the dialogue paced like a real
#     client (PACE ms before HELO, MAIL, RCPT, DATA and '.'), end-of-data
#     round trip p50/p99, legit-milter with a warm cache.
# DNS: tests/dns/zoneserver.py with bench.zone (+ keys); the client is
# 198.18.255.10 = mail.bench.test (PTR, forward, SPF, DMARC all answered).
# AB=metrics: the same runs, but the baseline is legit-milter itself without
#   metrics-listen and the other side the same binary and options with
#   --metrics-listen (scraped with curl every second during the runs, more
#   often than any Prometheus): the cost of the metrics (target <= 2 %).
#   The counters themselves count either way: bench/metrics_cost measures
#   count_message() alone and the share of CPU per message it is.
# Needs no root. usage: bench/loadgen.sh [BUILD_DIR]   (default build)
# env: N=4000 C=50 M=1 RUNS=5 LN=50 PACE=20 AB=null|metrics
set -uo pipefail
BUILD=$(realpath "${1:-build}") || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.." || exit 1
N=${N:-4000} C=${C:-50} M=${M:-1} RUNS=${RUNS:-5} LN=${LN:-50} PACE=${PACE:-20} AB=${AB:-null}
case $AB in null) A_NAME=null B_NAME=legit ;; metrics) A_NAME=plain B_NAME=metrics ;; *) echo "AB=null|metrics" >&2; exit 2 ;; esac
export LEGIT_SOURCE_DIR=$PWD
. tests/integration/lib.sh
. bench/lib.sh
GEN=$BUILD/bench/miltergen NULLF=$BUILD/bench/nullfilter LEGIT=$BUILD/legit-milter
for b in "$GEN" "$NULLF" "$LEGIT"; do [ -x "$b" ] || { echo "missing $b (build first)"; exit 1; }; done
die() { echo "loadgen: $*" >&2; exit 1; }

$PY bench/make_corpus.py "$PWD" "$WORK" || die "make_corpus.py failed"
CORPUS=("$WORK/plain-2k.eml" "$WORK/plain-100k.eml" "$WORK/rsa-2k.eml" "$WORK/ed25519-2k.eml")
start_dns "$WORK/bench.zone" tests/dns/bench-reverse.zone tests/dns/bench-reverse198.zone
CLIENT=(-i 198.18.255.10 -N mail.bench.test -h mail.bench.test -f sender@bench.test -r user@example.net)

NPORT=$(free_port); LPORT=$(free_port); HPORT=$(free_port)
LEGIT_ARGS=(--log stderr --dns-server "127.0.0.1@$DNS_PORT" --trusted-networks 192.0.2.254/32
            --hostname mx.bench.test --authserv-id mx.bench.test)
# AB=metrics: the baseline (port NPORT) is legit-milter without metrics, the
# measured side (LPORT) the same with metrics-listen.
if [ "$AB" = metrics ]; then
  "$LEGIT" --socket "inet:$NPORT@127.0.0.1" "${LEGIT_ARGS[@]}" >"$WORK/null.log" 2>&1 & NPID=$!; PIDS+=($NPID)
  "$LEGIT" --socket "inet:$LPORT@127.0.0.1" "${LEGIT_ARGS[@]}" --metrics-listen "inet:$HPORT@127.0.0.1" \
    >"$WORK/legit.log" 2>&1 & LPID=$!; PIDS+=($LPID)
else
  "$NULLF" "inet:$NPORT@127.0.0.1" >"$WORK/null.log" 2>&1 & NPID=$!; PIDS+=($NPID)
  "$LEGIT" --socket "inet:$LPORT@127.0.0.1" "${LEGIT_ARGS[@]}" >"$WORK/legit.log" 2>&1 & LPID=$!; PIDS+=($LPID)
fi
wait_listen "$NPORT" || die "nullfilter did not start"
wait_listen "$LPORT" || { cat "$WORK/legit.log"; die "legit-milter did not start"; }

echo "# legit-milter bench/loadgen.sh $(date -u +%FT%TZ), nproc=$(nproc), git $(git rev-parse --short HEAD 2>/dev/null)"
echo "# N=$N C=$C M=$M RUNS=$RUNS; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# run PORT PID ARGS...: prints "msg/s cpu-ms/msg eom-p50-us eom-p99-us"
run() {
  local port=$1 pid=$2 j0 j1 out; shift 2
  j0=$(jiffies "$pid")
  out=$("$GEN" -p "$port" "${CLIENT[@]}" --json "$@") || { echo "$out" >&2; die "miltergen failed on port $port"; }
  j1=$(jiffies "$pid")
  local n; n=$(jget 'j["messages"]' <<<"$out")
  echo "$(jget 'j["msg_per_s"]' <<<"$out") $(calc %.3f "1000 * ($j1 - $j0) / $HZ / $n")" \
    "$(jget 'j["stages"]["eom"]["p50_us"]' <<<"$out") $(jget 'j["stages"]["eom"]["p99_us"]' <<<"$out")"
}
# warm-up: DNS cache, threads, the first DKIM keys
run "$NPORT" "$NPID" -c 4 -n 200 "${CORPUS[@]}" >/dev/null
run "$LPORT" "$LPID" -c 4 -n 200 "${CORPUS[@]}" >/dev/null
grep -q 'action=accept' "$WORK/legit.log" || { tail -5 "$WORK/legit.log"; die "legit-milter scored nothing as accept"; }

if [ "$AB" = metrics ]; then  # a scrape every second while the runs go on
  wait_listen "$HPORT" || die "metrics-listen did not start"
  ( while kill -0 "$LPID" 2>/dev/null; do curl -s -o /dev/null "http://127.0.0.1:$HPORT/metrics"; sleep 1; done ) &
  PIDS+=($!)
fi
echo "## A throughput: $C connections, $M message(s) per connection, $N messages per run ($A_NAME vs $B_NAME)"
: >"$WORK/a.null"; : >"$WORK/a.legit"
for r in $(seq 1 "$RUNS"); do
  if [ $((r % 2)) = 1 ]; then order="null legit"; else order="legit null"; fi
  for who in $order; do
    if [ $who = null ]; then res=$(run "$NPORT" "$NPID" -c "$C" -m "$M" -n "$N" "${CORPUS[@]}")
    else res=$(run "$LPORT" "$LPID" -c "$C" -m "$M" -n "$N" "${CORPUS[@]}"); fi
    echo "$res" >>"$WORK/a.$who"
    name=$A_NAME; [ $who = legit ] && name=$B_NAME
    printf '  run %d %-7s %s msg/s, %s ms CPU/msg\n' "$r" "$name" "$(cut -d' ' -f1 <<<"$res")" "$(cut -d' ' -f2 <<<"$res")"
  done
done
med() { cut -d' ' -f"$2" "$WORK/$1" | median; }
NR_=$(med a.null 1) LR=$(med a.legit 1) NC=$(med a.null 2) LC=$(med a.legit 2)

echo "## B end-of-data latency, one connection, paced $PACE ms, $LN messages per filter"
BN=$(run "$NPORT" "$NPID" -c 1 -n "$LN" --pace "$PACE" "${CORPUS[@]}")
BL=$(run "$LPORT" "$LPID" -c 1 -n "$LN" --pace "$PACE" "${CORPUS[@]}")
BU=$(run "$LPORT" "$LPID" -c 1 -n "$LN" "${CORPUS[@]}")

errors=$(grep -cE '; on-error=|runtime error|Sanitizer' "$WORK/legit.log")
echo
if [ "$AB" = metrics ]; then
  # per-run ratios too: each pair ran back to back, so load drifts cancel
  pair() { paste -d' ' <(cut -d' ' -f"$1" "$WORK/a.legit") <(cut -d' ' -f"$1" "$WORK/a.null") | awk '{ print $1 / $2 }' | median; }
  printf '%-58s %12s %12s %8s %8s\n' "medians of $RUNS interleaved runs" "plain" "metrics" "ratio" "paired"
  printf '%-58s %12s %12s %8s %8s\n' "A msg/s at $C connections (metrics / plain)" "$NR_" "$LR" "$(calc %.3f "$LR / $NR_")" "$(calc %.3f "$(pair 1)")"
  printf '%-58s %12s %12s %8s %8s\n' "A CPU ms per message (metrics / plain)" "$NC" "$LC" "$(calc %.3f "$LC / $NC")" "$(calc %.3f "$(pair 2)")"
  printf '%-58s %12s %12s\n' "B eom p50 us, paced $PACE ms" "$(cut -d' ' -f3 <<<"$BN")" "$(cut -d' ' -f3 <<<"$BL")"
  printf '%-58s %12s %12s\n' "B eom p99 us, paced $PACE ms" "$(cut -d' ' -f4 <<<"$BN")" "$(cut -d' ' -f4 <<<"$BL")"
  printf '%-58s %12s\n' "messages counted by /metrics (all sent to it are scored)" \
    "$(curl -s "http://127.0.0.1:$HPORT/metrics" | awk '/^legit_messages_total\{/ { s += $2 } END { print s + 0 }')"
  # The counters count with or without metrics-listen: their cost, alone.
  if [ -x "$BUILD/bench/metrics_cost" ]; then
    mc=$("$BUILD/bench/metrics_cost"); echo "$mc"
    ns=$(sed -n 's/.* \([0-9]*\) ns CPU per message (2 threads)/\1/p' <<<"$mc")
    printf '%-58s %12s\n' "counting (2 threads) as a share of plain CPU per message" "$(calc %.3f "100 * $ns / ($NC * 1e6)") %"
  fi
  echo "legit-milter log lines reporting an error: $errors; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
printf '%-58s %12s %12s %8s\n' "ratio (medians of $RUNS)" "nullfilter" "legit" "ratio"
printf '%-58s %12s %12s %8s\n' "A msg/s at $C connections (legit / null, target >= 0.80)" "$NR_" "$LR" "$(calc %.2f "$LR / $NR_")"
printf '%-58s %12s %12s %8s\n' "A CPU ms per message (legit / null, target <= 1.2)" "$NC" "$LC" "$(calc %.2f "$LC / $NC")"
printf '%-58s %12s %12s\n' "B eom p50 us, paced $PACE ms (target <= 5000)" "$(cut -d' ' -f3 <<<"$BN")" "$(cut -d' ' -f3 <<<"$BL")"
printf '%-58s %12s %12s\n' "B eom p99 us, paced $PACE ms" "$(cut -d' ' -f4 <<<"$BN")" "$(cut -d' ' -f4 <<<"$BL")"
printf '%-58s %12s %12s\n' "B eom p50 us, unpaced (target <= 25000)" "-" "$(cut -d' ' -f3 <<<"$BU")"
echo "legit-milter log lines reporting an error: $errors"
