#!/bin/bash
# test_dns_health.sh — the running milter with a lying, a dead and a slow
# resolver (issue 8 item 3, issue 9 item 5), driven over the milter protocol
# (milter/dnsclient.py), against tests/dns/zoneserver.py:
#   * a resolver answering NXDOMAIN to everything (zoneserver --nxdomain-all):
#     `-t` reports it, the start line says dns-health=UNHEALTHY, one warning
#     (not one per probe), and a client that a true DNS gets rejected is not
#     rejected: every DNS check temperror, nothing rests on an NXDOMAIN; when
#     a real server answers on that port again, the milter says so and
#     rejects that client again;
#   * a dead resolver (never answers): lookups fail fast once the probe has
#     seen it (a message takes < 1 s with dns-timeout 5, not 5 s per lookup);
#   * a slow resolver answering after 0.3, 1.2 and 2.5 s with dns-timeout 5
#     and the answer cache off: the same X-Legit-Score as with a fast server,
#     message after message.
# usage: test_dns_health.sh /path/to/legit-milter   (exit 77 = skipped)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
[ -x "$BIN" ] || skip "no binary at $BIN"
HERE="$SRC/tests/integration/milter"
# The milter zones with TTL 0 (negative answers too): no cache, neither ours
# nor unbound's, holds an answer, so every message asks the (slow) server.
mkdir -p "$WORK/zones"
for z in milter milter-reverse; do
  sed -e 's/^\$TTL .*/$TTL 0/' -e 's/\(IN SOA .*\) [0-9][0-9]*$/\1 0/' "$SRC/tests/dns/$z.zone" >"$WORK/zones/$z.zone"
done
ZONES=("$WORK/zones/milter.zone" "$WORK/zones/milter-reverse.zone")
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0"

# dns_on PORT ZONESERVER-ARGS... : a zone server on that port; sets ZPID.
dns_on() {
  local port=$1; shift
  $PY "$SRC/tests/dns/zoneserver.py" --port "$port" --addr 127.0.0.1 "$@" >"$WORK/dns.$port.out" 2>&1 &
  ZPID=$!
  PIDS+=("$ZPID")
  wait_line "$WORK/dns.$port.out" ready && return 0
  echo "zoneserver did not start"; cat "$WORK/dns.$port.out"; exit 1
}
# start_milter NAME DNSPORT EXTRA... : sets PORT_<NAME>; stderr in $WORK/NAME.err
start_milter() {
  local name=$1 dport=$2 port; shift 2
  port=$(free_port)
  "$BIN" --socket "inet:$port@127.0.0.1" --log stderr --dns-server "127.0.0.1@$dport" \
    --authserv-id mx.milter.test "$@" 2>"$WORK/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  if wait_started "$WORK/$name.err" "$pid" "$port" 300; then
    eval "PORT_$name=$port"
    return 0
  fi
  echo "legit-milter ($name) did not start:"; cat "$WORK/$name.err"; exit 1
}
session() { $PY "$HERE/dnsclient.py" "$@" 2>&1; }
GOOD=(203.0.113.10 mail.milter.test)   # forward-confirmed PTR, MX: scored well
BAD=(203.0.113.12 unknown)             # no PTR: rejected below the threshold set here

echo "# baseline: a fast, honest server"
FASTPORT=$(free_port)
dns_on "$FASTPORT" "${ZONES[@]}"
bad=$("$BIN" check --json --client-ip "${BAD[0]}" --helo mail.milter.test --mail-from sender@milter.test \
  --dns-server "127.0.0.1@$FASTPORT" --dns-timeout 2 2>/dev/null)
below=$(json_get "$bad" 'j["score"] + 0.25')
TH=(--reject-below "$below" --quarantine-below "$below")
start_milter fast "$FASTPORT" "${TH[@]}"
G0=$(session "$PORT_fast" "${GOOD[@]}" QG); B0=$(session "$PORT_fast" "${BAD[@]}" QB)
echo "# good: $G0"; echo "# bad:  $B0"
expect_match "fast: good client accepted and scored" "$G0" '^[ac] [0-9.]+ [-0-9.]+ \(accept\)'
expect_match "fast: bad client rejected (550)" "$B0" '^y [0-9.]+ 550 5\.7\.1 '
expect_match "fast: start line says dns-health=healthy" "$(grep 'starting legit-milter' "$WORK/fast.err")" 'dns-health=healthy$'

echo "# a lying resolver: NXDOMAIN for everything"
LIE=$(free_port)
dns_on "$LIE" --nxdomain-all "${ZONES[@]}"; LIEPID=$ZPID
out=$("$BIN" -t --dns-server "127.0.0.1@$LIE" --authserv-id mx.milter.test 2>/dev/null); rc=$?
expect_match "-t reports the unhealthy resolver (exit 0)" "$rc:$out" '^0:warning: DNS resolver unhealthy: no canary answered \(\. NS: nxdomain; milter\.test NS: nxdomain\).*configuration OK \(.*\)$'
start_milter lie "$LIE" "${TH[@]}" --dns-probe-interval 1
expect_match "lie: start line says dns-health=UNHEALTHY" "$(grep 'starting legit-milter' "$WORK/lie.err")" 'dns-health=UNHEALTHY$'
B1=$(session "$PORT_lie" "${BAD[@]}" QL 3)
echo "$B1" | sed 's/^/# /'
expect_eq "lie: the bad client is never rejected (3 messages)" "$(grep -c '^y .* 550 ' <<<"$B1")" 0
expect_eq "lie: every message scored with iprev=temperror" "$(grep -c 'iprev=temperror' <<<"$B1")" 3
expect_eq "lie: no result rests on an NXDOMAIN" "$(grep -ci 'nxdomain' <<<"$B1")" 0
sleep 2.5   # several probe rounds (every second)
expect_eq "lie: one warning, not one per probe" "$(grep -c 'warning: DNS resolver unhealthy' "$WORK/lie.err")" 1
expect_match "lie: the warning says why and what happens" "$(grep -m1 'DNS resolver unhealthy' "$WORK/lie.err")" \
  'no canary answered .*lookups answer temperror at once'
echo "# the honest server comes back on the same port"
kill "$LIEPID"; wait "$LIEPID" 2>/dev/null
dns_on "$LIE" "${ZONES[@]}"
wait_line "$WORK/lie.err" 'DNS resolver healthy again' 1 60
expect_eq "lie: back to healthy logged once" "$(grep -c 'DNS resolver healthy again' "$WORK/lie.err")" 1
B2=$(session "$PORT_lie" "${BAD[@]}" QR)
expect_match "lie: after recovery the bad client is rejected again" "$B2" '^y [0-9.]+ 550 5\.7\.1 '

echo "# a dead resolver"
start_blackhole
T0=$(date +%s%3N)
start_milter dead "$BLACKHOLE_PORT" "${TH[@]}" --dns-timeout 5
echo "# start took $(( $(date +%s%3N) - T0 )) ms (one probe round, at most dns-timeout)"
D=$(session "$PORT_dead" "${BAD[@]}" QD 2)
echo "$D" | sed 's/^/# /'
# Both sessions answered: an empty $D would pass the two checks after this.
expect_eq "dead: both messages answered" "$(grep -cE '^[a-z] [0-9.]+ ' <<<"$D")" 2
expect_eq "dead: never rejected" "$(grep -c '^y ' <<<"$D")" 0
slow=$(awk '$2 >= 1.0' <<<"$D" | wc -l)
expect_eq "dead: lookups fail fast (each message < 1 s with dns-timeout 5)" "$slow" 0
expect_match "dead: the warning names the timeout" "$(grep -m1 'DNS resolver unhealthy' "$WORK/dead.err")" 'temperror timeout'

echo "# a slow resolver: answers after 0.3, 1.2, 2.5 s, dns-timeout 5, no answer cache"
for d in 0.3 1.2 2.5; do
  SP=$(free_port)
  dns_on "$SP" --delay "$d" "${ZONES[@]}"
  n=slow${d/./}
  start_milter "$n" "$SP" "${TH[@]}" --dns-timeout 5 --dns-cache-size 0
  eval "p=\$PORT_$n"
  S=$(session "$p" "${GOOD[@]}" QS 3)
  echo "$S" | sed 's/^/# /'
  want=$(cut -d' ' -f3- <<<"$G0")
  same=$(cut -d' ' -f3- <<<"$S" | grep -cxF -e "$want")
  expect_eq "slow $d s: 3 messages in a row scored as with a fast server" "$same" 3
  late=$(awk -v d="$d" '$2 < d' <<<"$S" | wc -l)
  expect_eq "slow $d s: every message really waited for the server (>= $d s)" "$late" 0
  SB=$(session "$p" "${BAD[@]}" QSB)
  expect_match "slow $d s: the bad client still rejected" "$SB" '^y [0-9.]+ 550 5\.7\.1 '
  expect_eq "slow $d s: healthy" "$(grep -c 'DNS resolver unhealthy' "$WORK/$n.err")" 0
done

finish
