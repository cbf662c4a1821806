#!/usr/bin/env bash
# bench/run.sh — legit-milter's benchmarks, each a ratio against a baseline
# measured in the same invocation, on loopback only (needs root for Postfix).
#
#   1 Postfix throughput: the private Postfix of tests/integration/postfix/
#     harness.sh relaying to smtp-sink (no disk copy), loaded by
#     `smtp-source -s $S -m $N -l 2048` from 127.0.0.1; (a) no milter =
#     baseline, (b) legit-milter scoring every message (--trusted-networks
#     192.0.2.254/32, so 127.0.0.1 is scored; tests/dns/bench*.zone answers
#     every lookup), (c) legit-milter with every DNS lookup timing out
#     (--dns-timeout 1, a DNS port that never answers; fewer messages).
#     Reports accepted msg/s (smtp-source wall time), delivered msg/s (until
#     the maillog shows them sent), machine CPU busy %, and the milter's own
#     CPU (utime+stime of /proc/PID/stat) per message. Median of $RUNS runs,
#     a and b alternating.
#   2 Milter protocol alone: bench/milterbench.py, $MN messages over one
#     milter connection and over a fresh connection each, against the
#     baseline bench/acceptall.py (pymilter, accepts everything), legit-milter
#     with nothing scored (--trusted-networks 0.0.0.0/0 ::/0) and scored;
#     the run with the median rate of 5.
#   3 Resolver: `legit-milter dig --timing`, $DN distinct names (uncached,
#     each a round trip to zoneserver.py) and then the same names (cached).
# A compact table of ratios at the end. Exit 0 on success, 1 on a failure
# (a process that did not start, a run that did not finish in time), 77 when
# not root / no Postfix (harness.sh's pf_require).
# usage: bench/run.sh [PATH/TO/legit-milter]   (default build/legit-milter)
# env: S=10 N=2000 RUNS=5 TN=100 (timeout run, 0 = skip) MN=500 DN=200
# shellcheck disable=SC2154  # MPORT_x, PORT_x, MED_x are set by eval (harness.sh style)
BIN=${1:-build/legit-milter}
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.." || exit 1
BIN=$(realpath "$BIN") || exit 1
S=${S:-10} N=${N:-2000} RUNS=${RUNS:-5} TN=${TN:-100} MN=${MN:-500} DN=${DN:-200}
export LEGIT_SOURCE_DIR=$PWD
. tests/integration/lib.sh
. tests/integration/postfix/harness.sh
pf_require
command -v smtp-source >/dev/null || skip "needs smtp-source (package postfix)"
$PY -c 'import Milter' 2>/dev/null || skip "needs python3-milter (pymilter)"
trap 'pf_stop; cleanup' EXIT
die() { echo "bench: $*" >&2; exit 1; }
T0=$(date +%s)
HZ=$(getconf CLK_TCK)

echo "# legit-milter bench/run.sh $(date -u +%FT%TZ)"
echo "# machine: nproc=$(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
  "kernel $(uname -r), postfix $(postconf -d -h mail_version 2>/dev/null)"
echo "# binary: $BIN (git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo +dirty))"
echo "# S=$S N=$N RUNS=$RUNS TN=$TN MN=$MN DN=$DN; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------ helpers
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }   # calc FORMAT EXPR
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
jiffies() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # the process, all its threads
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
sent() { grep -c ' status=sent ' "$PF/maillog" 2>/dev/null; }
wait_sent() {  # wait_sent TARGET SECONDS
  local end=$(($(date +%s) + $2))
  while [ "$(sent)" -lt "$1" ]; do
    [ "$(date +%s)" -ge "$end" ] && { echo "only $(sent)/$1 delivered" >&2; return 1; }
    sleep 0.05
  done
}

# throughput LISTENER COUNT MILTER|- WAIT [smtp-source options]: one run;
# prints "accepted-msg/s delivered-msg/s busy% milter-cpu-ms/msg".
# WAIT=1: wait until all COUNT are delivered (else delivered-msg/s = 0).
throughput() {
  local port pid='' j0=0 j1=0 b0 i0 b1 i1 t0 t1 t2 base n=$2 wait=$4
  eval "port=\$PORT_$1"
  [ "$3" != - ] && eval "pid=\$MPID_$3"
  shift 4
  base=$(sent)
  [ -n "$pid" ] && j0=$(jiffies "$pid")
  read -r b0 i0 < <(busy)
  t0=$(now)
  timeout 240 smtp-source -c "$@" -s "$S" -m "$n" -l 2048 -f sender@bench.test -t rcpt@example.net \
    -M mail.bench.test "127.0.0.1:$port" >"$PF/smtp-source.out" 2>&1 ||
    { tail -c 300 "$PF/smtp-source.out"; die "smtp-source failed (listener $port)"; }
  t1=$(now)
  t2=0
  if [ "$wait" = 1 ]; then wait_sent $((base + n)) 120 || die "messages not delivered"; t2=$(now); fi
  read -r b1 i1 < <(busy)
  [ -n "$pid" ] && j1=$(jiffies "$pid")
  echo "$(calc %.1f "$n / ($t1 - $t0)") $(calc %.1f "$t2 ? $n / ($t2 - $t0) : 0")" \
    "$(calc %.0f "100 * ($b1 - $b0) / ($b1 - $b0 + $i1 - $i0)")" \
    "$(calc %.3f "1000 * ($j1 - $j0) / $HZ / $n")"
}
col() { awk -v c="$1" '{ print $c }'; }   # col N: field N of each line

# ------------------------------------------------------------ set-up
start_dns tests/dns/bench.zone tests/dns/bench-reverse.zone tests/dns/bench-reverse198.zone
ZONE_PORT=$DNS_PORT
start_blackhole 2>/dev/null  # lib.sh greps its output file before it exists
pf_init
SCORED=(--trusted-networks 192.0.2.254/32 --authserv-id mx.bench.test)
milter_start scored "${SCORED[@]}"
milter_start open --trusted-networks "0.0.0.0/0 ::/0"
DNS_PORT=$BLACKHOLE_PORT milter_start tout "${SCORED[@]}" --dns-timeout 1
APORT=$(free_port)
$PY bench/acceptall.py "inet:$APORT@127.0.0.1" >"$PF/acceptall.log" 2>&1 &
PIDS+=($!)
wait_port "$APORT" || { cat "$PF/acceptall.log"; die "acceptall.py did not start"; }
pf_listener base smtpd_milters=
pf_listener milt "smtpd_milters=inet:127.0.0.1:$MPORT_scored"
pf_listener tout "smtpd_milters=inet:127.0.0.1:$MPORT_tout" milter_default_action=accept
PF_SINK_DUMP=0 pf_start
# one message through the milter is scored as a legitimate sender (else the
# numbers would measure rejects)
swaks --server "127.0.0.1:$PORT_milt" --helo mail.bench.test --from sender@bench.test \
  --to rcpt@example.net >"$PF/swaks.out" 2>&1 || { cat "$PF/swaks.out"; die "probe message refused"; }
grep -q ' score=[0-9.]* action=accept' "$PF/milter-scored.log" ||
  { tail -3 "$PF/milter-scored.log"; die "probe message not scored as accept"; }
echo "# probe: $(grep -o 'score=.*' "$PF/milter-scored.log" | tail -1)"
echo "# set-up: $(($(date +%s) - T0)) s"

# ------------------------------------------------------------ 1 throughput
echo "## 1 Postfix throughput: smtp-source -s $S -m $N -l 2048 (one session per message)"
throughput base 200 - 1 >/dev/null     # warm-up: Postfix processes, the milter's cache
throughput milt 200 scored 1 >/dev/null
: >"$WORK/t.base"; : >"$WORK/t.milt"
for r in $(seq 1 "$RUNS"); do
  for l in base milt; do
    m=-; [ $l = milt ] && m=scored
    line=$(throughput $l "$N" $m 1) || exit 1
    echo "$line" >>"$WORK/t.$l"
    printf '%-28s run %d: accepted %7s msg/s, delivered %7s msg/s, CPU %3s %%, milter %s ms CPU/msg\n' \
      "$([ $l = base ] && echo '(a) no milter' || echo '(b) legit-milter')" "$r" $line
  done
done
for l in base milt; do
  for c in 1 2 3 4; do eval "MED_${l}_$c=$(col $c <"$WORK/t.$l" | median)"; done
done
if [ "$TN" -gt 0 ]; then
  rej0=$(grep -c 'milter-' "$PF/maillog"; true)
  line=$(throughput tout "$TN" tout 0 -A) || exit 1
  TOUT_RATE=$(echo "$line" | col 1) TOUT_CPU=$(echo "$line" | col 4)
  printf '%-28s %s msgs: accepted %s msg/s, milter %s ms CPU/msg, rejected or held: %s\n' \
    "(c) every lookup times out" "$TN" "$TOUT_RATE" "$TOUT_CPU" "$(($(grep -c 'milter-' "$PF/maillog") - rej0))"
fi

# ------------------------------------------------------------ 2 milter protocol
echo "## 2 milter protocol alone: milterbench.py, $MN messages (2 KB body, 4 headers), median of 5"
declare -A MB
IP198=(198.18.255.10 mail.bench.test sender@bench.test)
for t in accept:$APORT open:$MPORT_open scored:$MPORT_scored scored198:$MPORT_scored; do
  for mode in one fresh; do
    : >"$WORK/mb"
    client=(); [ "${t%%:*}" = scored198 ] && client=("${IP198[@]}")
    for r in 1 2 3 4 5; do
      j=$($PY bench/milterbench.py "${t#*:}" "$MN" $mode "${client[@]}") || die "milterbench ${t%%:*} $mode failed"
      json_get "$j" '"%s %s %s" % (j["msgs_per_s"], j["p50_ms"], j["p95_ms"])' >>"$WORK/mb"
    done
    MB[${t%%:*}.$mode]=$(sort -g "$WORK/mb" | sed -n 3p)   # the run with the median rate
    printf '%-44s %-5s %8s msg/s  p50 %6s ms  p95 %6s ms  replies %s\n' "$(case ${t%%:*} in
      accept) echo 'acceptall.py (pymilter, accepts all)' ;; open) echo 'legit-milter, nothing scored' ;;
      scored) echo 'legit-milter, scored, client 127.0.0.1' ;;
      scored198) echo 'legit-milter, scored, client 198.18.255.10' ;; esac)" $mode ${MB[${t%%:*}.$mode]} "$(json_get "$j" 'j["actions"]')"
  done
done

v198=$(grep -F '[198.18.255.10]' "$PF/milter-scored.log" | grep -o 'score=.*' | tail -1)
echo "# verdict for 198.18.255.10: $v198"
[[ "$v198" == *"action=accept"*"spf:pass"* ]] || die "198.18.255.10 not scored as a legitimate sender"

# ------------------------------------------------------------ 3 resolver
echo "## 3 resolver: legit-milter dig --timing, $DN names uncached then cached"
names=(); for i in $(seq 1 "$DN"); do names+=("h$i.w.bench.test" A); done
"$BIN" dig --timing --dns-server "127.0.0.1@$ZONE_PORT" "${names[@]}" "${names[@]}" \
  >"$WORK/dig.out" 2>"$WORK/dig.err" || { tail -3 "$WORK/dig.err"; die "dig failed"; }
awk '/^# .* us$/ && NF == 5 { print $4 }' "$WORK/dig.err" >"$WORK/dig.us"
[ "$(wc -l <"$WORK/dig.us")" = $((2 * DN)) ] || die "dig --timing printed no per-lookup times"
rate_p50() {  # rate_p50 < MICROSECONDS...: "lookups/s p50"
  sort -n | awk '{ a[NR] = $1; s += $1 } END { printf "%.1f %d\n", NR / s * 1e6, a[int(NR / 2) + 1] }'
}
read -r UNC_S UNC_P50 < <(head -n "$DN" "$WORK/dig.us" | rate_p50)
read -r CACH_S CACH_P50 < <(tail -n "$DN" "$WORK/dig.us" | rate_p50)
printf '%-28s %10s lookups/s  p50 %6s us\n' "uncached (first lookup)" "$UNC_S" "$UNC_P50" "cached (same names again)" "$CACH_S" "$CACH_P50"
grep -c ' A ok ttl=[0-9]* 127.0.0.2$' "$WORK/dig.out" | grep -qx $((2 * DN)) || { head -3 "$WORK/dig.out"; die "dig answers wrong"; }

# ------------------------------------------------------------ summary
read -r a1 a2 <<<"$MED_base_1 $MED_base_2"; read -r b1 b2 <<<"$MED_milt_1 $MED_milt_2"
echo "## summary (medians; ratio = measured / baseline of this run)"
printf '%-52s %12s %12s %8s\n' benchmark baseline measured ratio
printf '%-52s %12s %12s %8s\n' "1 accepted msg/s, (b) legit-milter / (a) none" "$a1" "$b1" "$(calc %.2f "$b1 / $a1")"
printf '%-52s %12s %12s %8s\n' "1 delivered msg/s, (b) / (a)" "$a2" "$b2" "$(calc %.2f "$b2 / $a2")"
[ "$TN" -gt 0 ] && printf '%-52s %12s %12s %8s\n' "1 accepted msg/s, (c) DNS timeouts / (a) none" "$a1" "$TOUT_RATE" "$(calc %.3f "$TOUT_RATE / $a1")"
printf '%-52s %12s %12s %8s\n' "1 legit-milter CPU ms per message (b)" "-" "$MED_milt_4" "-"
for mode in one fresh; do
  read -r base _ _ <<<"${MB[accept.$mode]}"
  for t in open scored scored198; do
    read -r v _ <<<"${MB[$t.$mode]}"
    printf '%-52s %12s %12s %8s\n' "2 msg/s $mode conn., legit $t / acceptall.py" "$base" "$v" "$(calc %.2f "$v / $base")"
  done
done
printf '%-52s %12s %12s %8s\n' "3 lookups/s, cached / uncached" "$UNC_S" "$CACH_S" "$(calc %.1f "$CACH_S / $UNC_S")"
printf '%-52s %12s %12s %8s\n' "3 p50 us per lookup, uncached / cached" "$UNC_P50" "$CACH_P50" "$(calc %.1f "$UNC_P50 / $CACH_P50")"
echo "# runtime: $(($(date +%s) - T0)) s"
