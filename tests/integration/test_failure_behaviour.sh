#!/usr/bin/env bash
# test_failure_behaviour.sh — the README's "Failure behaviour" table, measured:
# real Postfix (postfix/harness.sh), the real milter, messages sent by
# postfix/send_many.py (one SMTP connection each), and one fault at a time:
#   dns-timeout   every DNS query unanswered (--dns-timeout 1)
#   dns-servfail  every answer SERVFAIL          (tests/dns/faultdns.py)
#   dns-garbage   every answer random bytes      (tests/dns/faultdns.py)
#   dns-slow      every answer 1.2 s late, --dns-timeout 5 (faultdns.py in
#                 front of the zone server)
#   kill-9        the milter killed (SIGKILL) a third of the way through a
#                 stream of messages (one every 0.1 s), restarted 1 s later
#                 on the same socket
#   restart       the milter stopped (SIGTERM) and started again, likewise
#   redis         memory = redis://: Redis killed (SIGKILL) a third of the
#                 way through a stream, started again at two thirds
#   disk-full     memory = lmdb: on a 1 MB tmpfs filled up a third of the way
#                 through, freed at two thirds (root; skipped without mount)
# For each: messages sent / accepted by Postfix (2xx) / tempfailed (4xx) /
# rejected (5xx) / connection failures / delivered (found in smtp-sink by
# Message-ID) / lost (accepted but never delivered) / duplicates / scored
# (delivered with X-Legit-Score) / seconds per message (median, max); printed as
# the README's table rows. Postfix runs with milter_default_action =
# tempfail, the milter with its defaults (on-error accept); the zones are
# served with TTL 0, so no message is scored from a cached answer.
# Asserts: nothing lost or duplicated anywhere; DNS faults never reject nor
# tempfail (every message delivered, scored); the slow resolver gives the
# same verdicts as no fault; kill-9 and restart: every
# message either delivered or tempfailed to the sender, and the messages
# after the restart scored again; redis and disk-full: every message
# delivered and scored (never tempfailed), the outage logged.
# LEGIT_FAILURE_N=N messages per fault (default 12; kill-9/restart send 3N);
# the CI run takes ~1–2 minutes. Long run: LEGIT_FAILURE_N=500.
# usage: test_failure_behaviour.sh PATH/TO/legit-milter  (root + Postfix, else 77)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/integration/postfix/harness.sh"
pf_require
trap 'pf_stop; umount -l "$WORK/disk" 2>/dev/null; cleanup' EXIT
N=${LEGIT_FAILURE_N:-12}
T0=$(date +%s)
# The e2e zones with TTL 0 (negative answers too), so that every message
# really asks the (faulty) DNS instead of reading a cached answer.
mkdir -p "$WORK/zones"
for z in e2e.test e2e-reverse e2e-reverse6; do
  sed -e 's/^\$TTL .*/$TTL 0/' -e 's/\(IN SOA .*\) [0-9][0-9]*$/\1 0/' "$SRC/tests/dns/$z.zone" >"$WORK/zones/$z.zone"
done
start_dns "$WORK/zones/e2e.test.zone" "$WORK/zones/e2e-reverse.zone" "$WORK/zones/e2e-reverse6.zone"
ZONE_PORT=$DNS_PORT
start_blackhole
fault_dns() {  # fault_dns MODE [options]: prints the port of a faultdns.py
  local port
  port=$(free_port)
  $PY "$SRC/tests/dns/faultdns.py" --port "$port" "$@" >"$WORK/fault.$port.out" 2>&1 &
  echo $! >"$WORK/fault.$port.pid"  # called as $(...): PIDS+= here would be lost
  for _ in $(seq 1 50); do grep -q ready "$WORK/fault.$port.out" && break; sleep 0.1; done
  echo "$port"
}
SF_PORT=$(fault_dns servfail)
GB_PORT=$(fault_dns garbage)
SL_PORT=$(fault_dns slow --upstream "$ZONE_PORT" --delay 1.2)
for p in "$SF_PORT" "$GB_PORT" "$SL_PORT"; do PIDS+=("$(cat "$WORK/fault.$p.pid")"); done
pf_init

# One milter per DNS fault; "good" is the one killed and restarted.
DNS_PORT=$ZONE_PORT milter_start good
DNS_PORT=$BLACKHOLE_PORT milter_start timeout --dns-timeout 1
DNS_PORT=$SF_PORT milter_start servfail
DNS_PORT=$GB_PORT milter_start garbage
DNS_PORT=$SL_PORT milter_start slow --dns-timeout 5
MEMS=()
# With a memory store the test's doubtful sender (a new triplet) would be
# greylisted (451, correct and tested elsewhere): these rows are about the
# store's faults, so greylisting is kept out.
NOGREY=(--greylist-below -100)
RPORT=$(free_port)
redis_up() { start_redis "$RPORT" --appendonly no; RPID=$REDIS_PID; }
redis_up  # scripts/deps.sh installs redis-server: missing, the test fails
DNS_PORT=$ZONE_PORT milter_start redis --memory "redis://127.0.0.1:$RPORT/0" "${NOGREY[@]}"
MEMS+=(redis)
mkdir -p "$WORK/disk"
if mount -t tmpfs -o size=1m tmpfs "$WORK/disk" 2>/dev/null; then
  DNS_PORT=$ZONE_PORT milter_start disk --memory "lmdb:$WORK/disk/memory.lmdb" "${NOGREY[@]}"
  MEMS+=(disk)
else
  echo "     (cannot mount a tmpfs: the disk-full fault is not run)"
fi
for m in good timeout servfail garbage slow "${MEMS[@]}"; do
  eval "pf_listener $m smtpd_milters=inet:127.0.0.1:\$MPORT_$m milter_default_action=tempfail"
done
pf_start "$MPORT_good"
echo "# set-up: $(($(date +%s) - T0)) s"

# The good milter again on its own port (after kill -9 or SIGTERM).
restart_good() {
  "$BIN" --socket "inet:$MPORT_good@127.0.0.1" --log stderr --dns-server "127.0.0.1@$ZONE_PORT" \
    --dns-timeout 2 --authserv-id mx.e2e.test 2>>"$PF/milter-good.log" &
  MPID_good=$!
  PIDS+=("$MPID_good")
  wait_port "$MPORT_good" || { fail "restart" "the milter did not come back"; finish; }
}

# send TAG LISTENER N [-j K]: sends in the background; output $WORK/TAG.sent
send() {
  local tag=$1 listener=$2 n=$3 port; shift 3
  eval "port=\$PORT_$listener"
  $PY "$SRC/tests/integration/postfix/send_many.py" "$@" "$port" "$tag" "$n" >"$WORK/$tag.sent" 2>&1 &
  SEND_PID=$!
}
sent_lines() { wc -l <"$WORK/$1.sent" 2>/dev/null || echo 0; }
wait_lines() {  # wait_lines TAG K: until K messages of TAG are done (120 s at most)
  for _ in $(seq 1 1200); do [ "$(sent_lines "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  return 1
}

# Waits for Postfix's queue to empty (60 s at most).
drain() {
  for _ in $(seq 1 600); do
    [ -z "$(postqueue -c "$PF/etc" -j 2>/dev/null)" ] && return 0
    sleep 0.1
  done
}

ROWS=()
# tally TAG FAULT: counts, asserts nothing lost, records a table row; sets
# the globals SENT ACC TEMP REJ CONN DELIV LOST DUP SCORED.
tally() {
  local tag=$1 fault=$2 out
  out=$($PY - "$WORK/$tag.sent" "$PF/sink" "$tag" <<'PYEOF'
import glob, re, statistics, sys
sent_file, sink, tag = sys.argv[1:4]
rows = [l.split(" ", 3) for l in open(sent_file) if re.match(r"\d+ \d+ ", l)]
codes = {int(r[0]): int(r[1]) for r in rows}
secs = sorted(float(r[2]) for r in rows)
seen, scored = {}, 0
for f in glob.glob(sink + "/*"):
    data = open(f, "rb").read()
    m = re.search(rb"Message-ID: <" + tag.encode() + rb"\.(\d+)@fail\.test>", data)
    if not m:
        continue
    i = int(m.group(1))
    seen[i] = seen.get(i, 0) + 1
    scored += b"\nX-Legit-Score:" in data
acc = [i for i, c in codes.items() if 200 <= c < 300]
print(len(codes), len(acc), sum(400 <= c < 500 for c in codes.values()),
      sum(c >= 500 for c in codes.values()), sum(c == 0 for c in codes.values()),
      len(seen), sum(1 for i in acc if i not in seen), sum(v - 1 for v in seen.values()),
      scored, "%.2f" % (statistics.median(secs) if secs else 0), "%.2f" % (secs[-1] if secs else 0))
PYEOF
)
  read -r SENT ACC TEMP REJ CONN DELIV LOST DUP SCORED MED MAX <<<"$out"
  echo "# $fault: sent $SENT, accepted $ACC, tempfailed $TEMP, rejected $REJ, connection failures $CONN, delivered $DELIV, lost $LOST, duplicates $DUP, scored $SCORED, median $MED s, max $MAX s"
  expect_eq "$fault: nothing lost" "$LOST" 0
  expect_eq "$fault: no duplicates" "$DUP" 0
  expect_eq "$fault: every message answered" "$CONN" 0
  ROWS+=("| $fault | $SENT | $DELIV | $TEMP | $REJ | $LOST | $SCORED | $MED / $MAX |")
}

# What the delivered messages of TAG say about their checks: "spf=temperror(0) ..." counts.
verdicts() {
  $PY - "$PF/sink" "$1" <<'PYEOF'
import collections, glob, re, sys
c = collections.Counter()
for f in glob.glob(sys.argv[1] + "/*"):
    d = open(f, "rb").read()
    if re.search(rb"Message-ID: <" + sys.argv[2].encode() + rb"\.\d+@", d):
        m = re.search(rb"\nX-Legit-Score: ([^\n]*(\n\s[^\n]*)*)", d)
        if m:
            c.update(w for w in m.group(1).decode().split() if "=" in w)
print(" ".join("%s:%d" % kv for kv in sorted(c.items())))
PYEOF
}

# ---------------------------------------------------------------- DNS faults
for fault in good timeout servfail garbage slow; do
  send "$fault" "$fault" "$N" -j 4
  wait "$SEND_PID"
done
drain
for fault in good timeout servfail garbage slow; do
  name=$([ $fault = good ] && echo "no fault" || echo "dns-$fault")
  tally "$fault" "$name"
  expect_eq "$name: every message delivered" "$DELIV" "$N"
  expect_eq "$name: every message scored" "$SCORED" "$N"
  v=$(verdicts "$fault")
  echo "#   checks: $v"
  [ "$fault" = good ] && v_good=$v
  # A slow resolver that answers within dns-timeout must be waited for.
  [ "$fault" = slow ] && expect_eq "dns-slow: the same verdicts as without the fault" "$v" "$v_good"
done

# ---------------------------------------------------------------- kill -9
send kill good $((3 * N)) -i 0.1
wait_lines kill "$N"
kill -KILL "$MPID_good"
wait "$MPID_good" 2>/dev/null
sleep 1
restart_good
wait "$SEND_PID"
drain
tally kill "milter killed (kill -9), back 1 s later"
expect_eq "kill-9: every message delivered or tempfailed" "$((DELIV + TEMP))" "$((3 * N))"
after=$(awk -v n=$((3 * N - 3)) '$1 >= n && $2 == 250' "$WORK/kill.sent" | wc -l)
if [ "$after" -gt 0 ]; then ok "kill-9: accepted again after the restart ($after)"; else fail "kill-9: after restart" "none accepted"; fi

# ---------------------------------------------------------------- SIGTERM + restart
send restart good $((3 * N)) -i 0.1
wait_lines restart "$N"
kill -TERM "$MPID_good"
wait "$MPID_good" 2>/dev/null
restart_good
wait "$SEND_PID"
drain
tally restart "milter stopped (SIGTERM) and started again"
expect_eq "restart: every message delivered or tempfailed" "$((DELIV + TEMP))" "$((3 * N))"

# ---------------------------------------------------------------- memory store
# fault_on MEM / fault_off MEM: Redis killed and started again; the tmpfs
# under the LMDB file filled up and freed.
fault_on() {
  case $1 in
    redis) kill -KILL "$RPID"; wait "$RPID" 2>/dev/null ;;
    disk) dd if=/dev/zero of="$WORK/disk/fill" bs=64k 2>/dev/null ;;
  esac
}
fault_off() {
  case $1 in
    redis) redis_up ;;
    disk) rm -f "$WORK/disk/fill" ;;
  esac
}
for mem in "${MEMS[@]}"; do
  send "$mem" "$mem" $((3 * N)) -i 0.1
  wait_lines "$mem" "$N"
  fault_on "$mem"
  wait_lines "$mem" $((2 * N))
  fault_off "$mem"
  wait "$SEND_PID"
  drain
  case $mem in
    redis) name="Redis killed, back after a third of the messages" ;;
    disk) name="LMDB disk full (tmpfs filled), freed after a third of the messages" ;;
  esac
  tally "$mem" "$name"
  expect_eq "$mem: every message delivered" "$DELIV" $((3 * N))
  expect_eq "$mem: every message scored" "$SCORED" $((3 * N))
  expect_eq "$mem: none tempfailed or rejected" "$TEMP $REJ" "0 0"
  echo "#   checks: $(verdicts "$mem")"
  echo "#   memory log lines: $(grep -c 'memory: ' "$PF/milter-$mem.log")"
  grep 'memory: ' "$PF/milter-$mem.log" | head -4 | sed 's/^/#     /'
done
if [[ " ${MEMS[*]} " == *" redis "* ]]; then
  expect_match "redis: the outage is logged" "$(grep 'memory: ' "$PF/milter-redis.log")" 'failed: .*mail flows'
  expect_match "redis: and its end" "$(grep 'memory: ' "$PF/milter-redis.log")" 'reachable again'
fi

expect_eq "no sanitizer report in the milter logs" "$(sanitizer_errors)" ""
echo "# table (LEGIT_FAILURE_N=$N, $(($(date +%s) - T0)) s):"
echo "# | fault | sent | delivered | tempfailed | rejected | lost | scored | s per message (median / max) |"
printf '# %s\n' "${ROWS[@]}"
finish
