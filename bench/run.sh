#!/usr/bin/env bash
# bench/run.sh — one invocation prints every target of the performance issue
# (issue 11) as a figure of this run, each against a baseline measured in the
# same run where the target is a ratio. The machine may be busy: runs of the
# two filters alternate, medians are taken, the load average is printed.
#
#   P  Postfix: delivered msg/s and milter CPU per message, Postfix + null
#      libmilter filter vs Postfix + legit-milter, through the reference
#      harness ($REF: netns.sh, up.sh, tput.sh; needs root and `ip netns`),
#      then a 10 MB unsigned message through the same Postfix (SKIP offered).
#   A  bench/miltergen at C=50 connections, one message each, the corpus
#      (unsigned 2 KB / 100 KB, DKIM rsa / ed25519): msg/s and CPU per message,
#      bench/nullfilter vs legit-milter (as bench/loadgen.sh).
#   B  per-connection CPU: 1 vs $CM messages per connection, both filters;
#      CPU/msg = fixed + per-connection / M, solved for per-connection.
#   C  a 10 MB unsigned message through miltergen: filter CPU per message.
#   D  cached lookup: `legit-milter dig --repeat` median (answer cache hit).
#   E  end-of-data → reply p50, 20 ms per DNS answer, cold cache (zones at
#      TTL 1 s, one message every 1.2 s): dialogue paced 20 ms between steps,
#      and unpaced.
#   F  RSS (VmRSS) after message $RSS_A and after message $RSS_B.
#   G  RSS per open idle connection: $IDLE connections (bench/idleconns.py:
#      negotiated, connect step sent, then silent), VmRSS before and with them.
#
# usage: bench/run.sh [--quick] [BUILD_DIR]       (default build; RelWithDebInfo)
# --quick: small sizes, one run each, no Postfix (unless PF=1): for ctest,
#          which only checks that every line is printed (timings are not asserted).
# env: REF=/work/shared/reference/perf  PF=0|1  and the sizes below.
# Exit 0 when every line was measured (targets missed do not fail the run),
# 1 when something could not run.
set -uo pipefail
QUICK=0
[ "${1:-}" = --quick ] && { QUICK=1; shift; }
BUILD=$(realpath "${1:-build}") || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.." || exit 1
export LEGIT_SOURCE_DIR=$PWD
. tests/integration/lib.sh
. bench/lib.sh
if [ $QUICK = 1 ]; then
  : "${N:=300}" "${RUNS:=1}" "${CM:=10}" "${BIG:=20}" "${RSS_A:=1000}" "${RSS_B:=5000}" "${IDLE:=200}" "${LN:=3}" "${PF:=0}"
else
  : "${N:=4000}" "${RUNS:=5}" "${CM:=20}" "${BIG:=100}" "${RSS_A:=10000}" "${RSS_B:=100000}" "${IDLE:=1000}" "${LN:=15}" "${PF:=1}"
fi
: "${PF_BIG:=20}" "${PF_N:=2000}" "${PF_S:=20}" "${PF_RUNS:=$RUNS}" "${REF:=/work/shared/reference/perf}" "${PACE:=20}"
GEN=$BUILD/bench/miltergen NULLF=$BUILD/bench/nullfilter LEGIT=$BUILD/legit-milter
for b in "$GEN" "$NULLF" "$LEGIT"; do [ -x "$b" ] || { echo "missing $b (build first)"; exit 1; }; done
die() { echo "bench/run.sh: $*" >&2; exit 1; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
T0=$(date +%s)
declare -A R  # results: R[key]="figure"

echo "# legit-milter bench/run.sh $(date -u +%FT%TZ)$([ $QUICK = 1 ] && echo ' --quick'), nproc=$(nproc)," \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo +dirty)"
echo "# N=$N RUNS=$RUNS CM=$CM BIG=$BIG RSS=$RSS_A..$RSS_B IDLE=$IDLE LN=$LN PF=$PF PF_N=$PF_N PF_S=$PF_S; load before: $(load)"

$PY bench/make_corpus.py "$PWD" "$WORK" >/dev/null || die "make_corpus.py failed"
CORPUS=("$WORK/plain-2k.eml" "$WORK/plain-100k.eml" "$WORK/rsa-2k.eml" "$WORK/ed25519-2k.eml")
$PY - "$WORK/plain-10m.eml" <<'EOF' || die "10 MB message"
import sys
line = b"0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 abcdefghij\r\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"From: <sender@bench.test>\r\nTo: <user@example.net>\r\nSubject: ten megabytes\r\n"
            b"Message-ID: <ten@bench.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n")
    f.write(line * (10 * 1024 * 1024 // len(line) + 1))
EOF
start_dns "$WORK/bench.zone" tests/dns/bench-reverse.zone tests/dns/bench-reverse198.zone
FAST_DNS=$DNS_PORT
for z in "$WORK/bench.zone" tests/dns/bench-reverse.zone tests/dns/bench-reverse198.zone; do
  sed -e 's/^\$TTL .*/$TTL 1/' "$z" >"$WORK/ttl1-$(basename "$z")"
done
start_dns "$WORK"/ttl1-*.zone --delay 0.02
SLOW_DNS=$DNS_PORT
CLIENT=(-i 198.18.255.10 -N mail.bench.test -h mail.bench.test -f sender@bench.test -r user@example.net)

# start_legit NAME DNSPORT ARGS...: sets PORT_NAME and PID_NAME
start_legit() {
  local name=$1 dns=$2 port; shift 2
  port=$(free_port)
  "$LEGIT" --socket "inet:$port@127.0.0.1" --log stderr --dns-server "127.0.0.1@$dns" \
    --trusted-networks 192.0.2.254/32 --hostname mx.bench.test --authserv-id mx.bench.test \
    "$@" >"$WORK/legit-$name.log" 2>&1 &
  PIDS+=($!)
  eval "PORT_$name=$port PID_$name=$!"
  wait_listen "$port" || { cat "$WORK/legit-$name.log"; die "legit-milter ($name) did not start"; }
}
NPORT=$(free_port)
"$NULLF" "inet:$NPORT@127.0.0.1" >"$WORK/null.log" 2>&1 & NPID=$!; PIDS+=($NPID)
wait_listen "$NPORT" || die "nullfilter did not start"
start_legit main "$FAST_DNS"
start_legit cold "$SLOW_DNS"
# shellcheck disable=SC2154  # PORT_x / PID_x come from eval
LPORT=$PORT_main LPID=$PID_main

# gen PORT PID ARGS...: "msg/s cpu-ms/msg eom-p50-us" of one miltergen run
gen() {
  local port=$1 pid=$2 j0 j1 out n; shift 2
  j0=$(jiffies "$pid")
  out=$("$GEN" -p "$port" "${CLIENT[@]}" --json "$@") || { echo "$out" >&2; die "miltergen failed on port $port"; }
  j1=$(jiffies "$pid")
  n=$(jget 'j["messages"]' <<<"$out")
  echo "$(jget 'j["msg_per_s"]' <<<"$out") $(calc %.4f "1000 * ($j1 - $j0) / $HZ / $n") $(jget 'j["stages"]["eom"]["p50_us"]' <<<"$out")"
}
gen "$NPORT" "$NPID" -c 4 -n 200 "${CORPUS[@]}" >/dev/null   # warm-up: threads, DNS cache, DKIM keys
gen "$LPORT" "$LPID" -c 4 -n 200 "${CORPUS[@]}" >/dev/null
grep -q 'action=accept' "$WORK/legit-main.log" || { tail -3 "$WORK/legit-main.log"; die "nothing scored accept"; }

# ------------------------------------------------------------ P: Postfix (reference harness)
pf_ratio() {
  [ "$PF" = 1 ] || { R[pf]="skipped (--quick; PF=1 to run)"; return; }
  [ -x "$REF/tput.sh" ] || { R[pf]="skipped (no reference harness at $REF)"; return; }
  [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v smtp-source >/dev/null && command -v gcc >/dev/null ||
    { R[pf]="skipped (needs root, ip, smtp-source, gcc)"; return; }
  local ns=lmbench$$ P=$WORK/perf
  gcc -O2 -rdynamic -o "$WORK/nullmilter" "$REF/nullmilter.c" -lmilter -ldl -lpthread || { R[pf]="skipped (nullmilter.c does not build)"; return; }
  "$REF/netns.sh" up $ns || { R[pf]="skipped (ip netns add failed)"; return; }
  PF_NS=$ns PF_STATE=$P
  PERF_STATE=$P LEGIT_BIN=$LEGIT NULL_BIN=$WORK/nullmilter ip netns exec $ns "$REF/up.sh" >"$WORK/pf-up.log" 2>&1 ||
    { cat "$WORK/pf-up.log"; R[pf]="failed (up.sh)"; return; }
  echo "## P Postfix + null filter vs Postfix + legit-milter: reference tput.sh, N=$PF_N S=$PF_S RUNS=$PF_RUNS"
  PERF_STATE=$P N=$PF_N S=$PF_S RUNS=$PF_RUNS CFGS="null legit" ip netns exec $ns "$REF/tput.sh" 2>&1 | sed 's/^/  /'
  local nm lm
  nm=$(grep '^null .*MEDIAN' "$P/throughput.txt") lm=$(grep '^legit .*MEDIAN' "$P/throughput.txt")
  [ -n "$nm" ] && [ -n "$lm" ] || { R[pf]="failed (no MEDIAN lines)"; return; }
  after() { awk -v w="$1" '{ for (i = 1; i < NF; i++) if ($i == w) print $(i + 1) }' <<<"$2"; }  # the word after WORD
  R[pf_null]=$(after e2e "$nm") R[pf_legit]=$(after e2e "$lm")
  R[pf_ncpu]=$(after milter "$nm") R[pf_lcpu]=$(after milter "$lm")
  R[pf]=ok
  # a 10 MB unsigned message through the same Postfix (10,000,000 bytes: Postfix's default
  # message_size_limit is 10,240,000): SKIP after the first body chunk
  local who port pid j0 j1 base k
  for who in null legit; do
    port=2535; [ $who = legit ] && port=2532
    pid=$(cat "$P/pids/$who.pid")
    base=$(grep -c ' status=sent ' "$P/state/maillog")
    j0=$(jiffies "$pid")
    ip netns exec $ns smtp-source -s 2 -m "$PF_BIG" -l 10000000 -f sender@good-example.de -t rcpt@example.net \
      -M mail.good-example.de "10.9.9.9:$port" >"$WORK/pf-big.out" 2>&1 || { cat "$WORK/pf-big.out"; return; }
    for k in $(seq 1200); do [ "$(grep -c ' status=sent ' "$P/state/maillog")" -ge $((base + PF_BIG)) ] && break; sleep 0.1; done
    [ "$(grep -c ' status=sent ' "$P/state/maillog")" -ge $((base + PF_BIG)) ] || { echo "10 MB messages not delivered"; return; }
    j1=$(jiffies "$pid")
    R[pf_big_$who]=$(calc %.3f "1000 * ($j1 - $j0) / $HZ / $PF_BIG")
    echo "  10 MB unsigned through Postfix, $who: ${R[pf_big_$who]} ms milter CPU per message ($PF_BIG messages; a clock tick = $(calc %.2f "1000 / $HZ / $PF_BIG") ms/msg)"
  done
}
pf_down() {
  [ -n "${PF_NS:-}" ] || return 0
  PERF_STATE=$PF_STATE ip netns exec "$PF_NS" "$REF/down.sh" >/dev/null 2>&1
  "$REF/netns.sh" down "$PF_NS"; PF_NS=
}
trap 'pf_down; cleanup' EXIT
pf_ratio
pf_down

# ------------------------------------------------------------ A: loadgen at 50 connections
echo "## A miltergen, 50 connections, 1 message each, N=$N, corpus of 4, $RUNS alternating runs"
: >"$WORK/a.null"; : >"$WORK/a.legit"
for r in $(seq 1 "$RUNS"); do
  order="null legit"; [ $((r % 2)) = 0 ] && order="legit null"
  for who in $order; do
    if [ $who = null ]; then res=$(gen "$NPORT" "$NPID" -c 50 -n "$N" "${CORPUS[@]}"); else res=$(gen "$LPORT" "$LPID" -c 50 -n "$N" "${CORPUS[@]}"); fi
    echo "$res" >>"$WORK/a.$who"
    printf '  run %d %-5s %8s msg/s %7s ms CPU/msg  load %s\n' "$r" $who $(cut -d' ' -f1,2 <<<"$res") "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
med() { cut -d' ' -f"$2" "$WORK/$1" | median; }
R[a_nr]=$(med a.null 1) R[a_lr]=$(med a.legit 1) R[a_nc]=$(med a.null 2) R[a_lc]=$(med a.legit 2)

# ------------------------------------------------------------ B: per connection
echo "## B per connection: CPU/msg with 1 and $CM messages per connection (N=$N, plain 2 KB + DKIM rsa)"
: >"$WORK/b"
for r in $(seq 1 "$RUNS"); do
  for who in null legit; do
    port=$NPORT pid=$NPID; [ $who = legit ] && port=$LPORT pid=$LPID
    c1=$(gen "$port" "$pid" -c 20 -m 1 -n "$N" "$WORK/plain-2k.eml" "$WORK/rsa-2k.eml" | cut -d' ' -f2)
    cm=$(gen "$port" "$pid" -c 20 -m "$CM" -n "$N" "$WORK/plain-2k.eml" "$WORK/rsa-2k.eml" | cut -d' ' -f2)
    pc=$(calc %.4f "($c1 - $cm) / (1 - 1 / $CM)")
    echo "$who $c1 $cm $pc" >>"$WORK/b"
    printf '  run %d %-5s %s ms/msg at 1 msg/conn, %s at %d: %s ms per connection\n' "$r" $who "$c1" "$cm" "$CM" "$pc"
  done
done
R[b_null]=$(awk '$1 == "null" { print $4 }' "$WORK/b" | median) R[b_legit]=$(awk '$1 == "legit" { print $4 }' "$WORK/b" | median)

# ------------------------------------------------------------ C: 10 MB unsigned
echo "## C one 10 MB unsigned message, $BIG times, one connection (a clock tick = $(calc %.2f "1000 / $HZ / $BIG") ms/msg)"
for who in null legit; do
  port=$NPORT pid=$NPID; [ $who = legit ] && port=$LPORT pid=$LPID
  R[c_$who]=$(gen "$port" "$pid" -c 1 -n "$BIG" "$WORK/plain-10m.eml" | cut -d' ' -f2)
  echo "  $who: ${R[c_$who]} ms CPU per message"
done

# ------------------------------------------------------------ D: cached lookup
echo "## D cached lookup: legit-milter dig --repeat 20000"
dig_out=$("$LEGIT" dig --dns-server "127.0.0.1@$FAST_DNS" --timing --repeat 20000 mail.bench.test A 2>&1)
R[d_ns]=$(sed -n 's/^# repeat: .*median \([0-9.]*\) ns.*/\1/p' <<<"$dig_out")
echo "  $(grep '^# repeat' <<<"$dig_out")"
if command -v strace >/dev/null; then
  s0=$(strace -f -c -o "$WORK/st0" "$LEGIT" dig --dns-server "127.0.0.1@$FAST_DNS" mail.bench.test A >/dev/null 2>&1; awk '/total/ { print $(NF-2) }' "$WORK/st0")
  s1=$(strace -f -c -o "$WORK/st1" "$LEGIT" dig --dns-server "127.0.0.1@$FAST_DNS" --repeat 20000 mail.bench.test A >/dev/null 2>&1; awk '/total/ { print $(NF-2) }' "$WORK/st1")
  R[d_sys]="$((s1 - s0)) syscalls for 20000 cached lookups"
  echo "  syscalls: $s0 for one lookup, $s1 with 20000 more"
fi

# ------------------------------------------------------------ E: eom latency, 20 ms DNS, cold
echo "## E end-of-data p50, every DNS answer 20 ms late, cold cache (TTL 1 s, one message per 1.2 s), $LN messages each"
cold_eom() {  # cold_eom [--pace MS]: median eom us of LN single-message runs
  local i f files=("${CORPUS[@]}")
  for i in $(seq 1 "$LN"); do
    sleep 1.2  # every cached answer (ours, libunbound's) has expired
    f=${files[$((i % ${#files[@]}))]}
    # shellcheck disable=SC2154
    gen "$PORT_cold" "$PID_cold" -c 1 -n 1 "$@" "$f" | cut -d' ' -f3
  done | median
}
R[e_paced]=$(cold_eom --pace "$PACE")
R[e_unpaced]=$(cold_eom)
echo "  paced $PACE ms: ${R[e_paced]} us; unpaced: ${R[e_unpaced]} us"
echo "  lookups per message: $(grep -o 'dns-lookups=[0-9]*' "$WORK/legit-cold.log" | sort | uniq -c | sort -rn | head -3 | tr -s ' \n' ' ')"

# ------------------------------------------------------------ F: RSS flat
echo "## F RSS from message $RSS_A to $RSS_B (fresh legit-milter, 20 connections x 50 messages, corpus of 4)"
start_legit rss "$FAST_DNS"
# shellcheck disable=SC2154
gen "$PORT_rss" "$PID_rss" -c 20 -m 50 -n "$RSS_A" "${CORPUS[@]}" >/dev/null
R[f_a]=$(rss_kib "$PID_rss")
step=$(((RSS_B - RSS_A) / 9))
for i in $(seq 1 9); do
  gen "$PORT_rss" "$PID_rss" -c 20 -m 50 -n "$step" "${CORPUS[@]}" >/dev/null
  echo "  after $((RSS_A + i * step)) messages: $(rss_kib "$PID_rss") KiB, $(awk '/^Threads/ { print $2 }' "/proc/$PID_rss/status") threads"
done
R[f_b]=$(rss_kib "$PID_rss")
# thread stacks: the resident part of each 8 MB stack mapping = how deep that live thread went
echo "  thread stacks (8 MB mappings): $($PY bench/stacks.py "$PID_rss")"
echo "  message $RSS_A: ${R[f_a]} KiB; message $((RSS_A + 9 * step)): ${R[f_b]} KiB"

# ------------------------------------------------------------ G: RSS per idle connection
echo "## G RSS per open idle connection, $IDLE connections"
start_legit idle "$FAST_DNS" --max-sessions $((IDLE + 100))
idle_rss() {  # idle_rss PORT PID NAME: KiB per connection
  local port=$1 pid=$2 fifo=$WORK/idle.$3 r0 r1 t0 t1 ip
  gen "$port" "$pid" -c 4 -n 200 "${CORPUS[@]}" >/dev/null
  sleep 0.5; r0=$(rss_kib "$pid"); t0=$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")
  mkfifo "$fifo"
  $PY bench/idleconns.py "$port" "$IDLE" <"$fifo" >"$fifo.out" 2>&1 & ip=$!; PIDS+=($ip)
  exec 7>"$fifo"
  for _ in $(seq 600); do grep -q '^open' "$fifo.out" && break; kill -0 $ip 2>/dev/null || break; sleep 0.1; done
  grep -q '^open' "$fifo.out" || { cat "$fifo.out" >&2; exec 7>&-; echo fail; return; }
  sleep 1; r1=$(rss_kib "$pid"); t1=$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")
  exec 7>&-; wait $ip 2>/dev/null
  echo "  $3: VmRSS $r0 -> $r1 KiB, threads $t0 -> $t1" >&2
  calc %.1f "($r1 - $r0) / $IDLE"
}
# shellcheck disable=SC2154
R[g_legit]=$(idle_rss "$PORT_idle" "$PID_idle" legit-milter)
R[g_null]=$(idle_rss "$NPORT" "$NPID" nullfilter)

# ------------------------------------------------------------ summary
errors=$(cat "$WORK"/legit-*.log | grep -cE '; on-error=|runtime error|Sanitizer')
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { if (v == "" || v !~ /^-?[0-9.]+$/) { print "n/a"; exit }
  ok = (op == ">=") ? v + 0 >= t : (op == "<=") ? v + 0 <= t : (v < 0 ? -v : v) <= t; print ok ? "met" : "NOT MET" }'; }
row() { printf '%-64s %10s %10s %9s %8s %s\n' "$@"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && calc %.2f "$2 / $1" || echo ""; }
echo
echo "## summary (load now: $(load); medians of $RUNS alternating runs where there are runs)"
row "figure" "null" "legit" "value" "target" "verdict"
if [ "${R[pf]}" = ok ]; then
  v=$(ratio "${R[pf_null]}" "${R[pf_legit]}"); row "P Postfix delivered msg/s, legit / null filter" "${R[pf_null]}" "${R[pf_legit]}" "$v" ">= 1.0" "$(verdict "$v" '>=' 1.0)"
  v=$(ratio "${R[pf_ncpu]}" "${R[pf_lcpu]}"); row "P Postfix: milter CPU ms per message, legit / null" "${R[pf_ncpu]}" "${R[pf_lcpu]}" "$v" "<= 1.2" "$(verdict "$v" '<=' 1.2)"
  v=${R[pf_big_legit]:-}; row "P Postfix: 10 MB unsigned message, milter CPU ms" "${R[pf_big_null]:-}" "$v" "$v" "<= 1" "$(verdict "$v" '<=' 1)"
else
  row "P Postfix delivered msg/s, legit / null filter" - - - ">= 1.0" "${R[pf]}"
  row "P Postfix: milter CPU ms per message, legit / null" - - - "<= 1.2" "${R[pf]}"
  row "P Postfix: 10 MB unsigned message, milter CPU ms" - - - "<= 1" "${R[pf]}"
fi
v=$(ratio "${R[a_nr]}" "${R[a_lr]}"); row "A miltergen msg/s at 50 connections, legit / null" "${R[a_nr]}" "${R[a_lr]}" "$v" ">= 0.80" "$(verdict "$v" '>=' 0.80)"
v=$(ratio "${R[a_nc]}" "${R[a_lc]}"); row "A CPU ms per message, legit / null" "${R[a_nc]}" "${R[a_lc]}" "$v" "<= 1.2" "$(verdict "$v" '<=' 1.2)"
row "B CPU ms per connection (1 vs $CM msgs/conn)" "${R[b_null]}" "${R[b_legit]}" "${R[b_legit]}" "<= 0.15" "$(verdict "${R[b_legit]}" '<=' 0.15)"
row "C 10 MB unsigned message, filter CPU ms (miltergen, SKIP)" "${R[c_null]}" "${R[c_legit]}" "${R[c_legit]}" "<= 1" "$(verdict "${R[c_legit]}" '<=' 1)"
v=$([ -n "${R[d_ns]}" ] && calc %.3f "${R[d_ns]} / 1000"); row "D cached lookup, median us (${R[d_sys]:-no strace})" - "$v" "$v" "<= 2" "$(verdict "$v" '<=' 2)"
v=$([ -n "${R[e_paced]:-}" ] && calc %.2f "${R[e_paced]} / 1000"); row "E eom p50 ms, 20 ms DNS, cold cache, paced $PACE ms" - "$v" "$v" "<= 5" "$(verdict "$v" '<=' 5)"
v=$([ -n "${R[e_unpaced]:-}" ] && calc %.2f "${R[e_unpaced]} / 1000"); row "E eom p50 ms, 20 ms DNS, cold cache, unpaced" - "$v" "$v" "<= 25" "$(verdict "$v" '<=' 25)"
v=$(calc %+.1f "100 * (${R[f_b]} - ${R[f_a]}) / ${R[f_a]}"); row "F RSS KiB message $RSS_A -> $((RSS_A + 9 * step)), change %" "${R[f_a]}" "${R[f_b]}" "$v" "+-5 %" "$(verdict "${v#+}" '+-' 5)"
row "G RSS KiB per open idle connection ($IDLE open)" "${R[g_null]}" "${R[g_legit]}" "${R[g_legit]}" "<= 64" "$(verdict "${R[g_legit]}" '<=' 64)"
echo "# legit-milter log lines reporting an error: $errors; runtime $(($(date +%s) - T0)) s"
