#!/bin/bash
# test_resolver.sh — the production resolver (libunbound + ldns) end to end:
# `legit-milter dig` against tests/dns/zoneserver.py on a free loopback port.
# Checks every answer shape, that unbound's default local zones are off, the
# per-lookup deadline, that a server stays usable after timeouts, SERVFAIL,
# and the cost of cached lookups.
# usage: test_resolver.sh /path/to/legit-milter   (LEGIT_SOURCE_DIR optional)
# Ends with "N passed, N failed"; exit 1 on failures, 77 (skip) if the
# binary, python3-dnslib or the dig subcommand is missing.
BIN=${1:?usage: test_resolver.sh /path/to/legit-milter}
. "$(dirname "$0")/lib.sh"
[ -x "$BIN" ] || skip "no binary $BIN"
start_dns "$SRC"/tests/dns/resolver*.zone --log "$WORK/queries.log"
PORT=$DNS_PORT
bad() { fail "$1" "${2:-}"; }

DIG=("$BIN" dig --dns-server "127.0.0.1@$PORT")
"${DIG[@]}" --dns-timeout 2 host.resolver.test A >/dev/null 2>&1 || {
  echo "skip: $BIN has no working dig subcommand"; exit 77; }

# expect OUTPUT "NAME TYPE" REGEX: the line of that query matches REGEX.
expect() {
  local line
  line=$(awk -v k="$2" '$1 " " $2 == k {print; exit}' <<<"$1")
  if [[ "$line" =~ $3 ]]; then ok "$2 -> $line"; else bad "$2: want /$3/" "got: ${line:-<no line>}"; fi
}
ms_now() { date +%s%3N; }

echo "# answer shapes"
OUT=$("${DIG[@]}" --dns-timeout 3 \
  host.resolver.test A AAAA MX resolver.test MX nullmx.resolver.test MX \
  multi.resolver.test TXT single.resolver.test TXT alias.resolver.test A CNAME \
  ent.resolver.test A nope.resolver.test A _dmarc.resolver.test TXT \
  Host.Resolver.Test. A 10.2.0.192.in-addr.arpa PTR 11.2.0.192.in-addr.arpa PTR \
  12.2.0.192.in-addr.arpa PTR 4.3.2.10.in-addr.arpa PTR broken.resolver.test A "a..b" A 2>&1)
expect "$OUT" "host.resolver.test A" '^[^ ]+ A ok ttl=300 (192\.0\.2\.10\|192\.0\.2\.11|192\.0\.2\.11\|192\.0\.2\.10)$'
expect "$OUT" "host.resolver.test AAAA" ' ok ttl=300 2001:db8::10$'
expect "$OUT" "host.resolver.test MX" ' nodata ttl=60$'
expect "$OUT" "resolver.test MX" ' ok ttl=300 (10 mx1\.resolver\.test\|20 mx2\.resolver\.test|20 mx2\.resolver\.test\|10 mx1\.resolver\.test)$'
expect "$OUT" "nullmx.resolver.test MX" ' ok ttl=300 0 $'
expect "$OUT" "multi.resolver.test TXT" ' ok ttl=300 v=spf1 ip4:192\.0\.2\.0/24 -all$'
expect "$OUT" "single.resolver.test TXT" ' ok ttl=300 hello world$'
expect "$OUT" "alias.resolver.test A" ' ok ttl=300 192\.0\.2\.1[01]\|192\.0\.2\.1[01]$'
expect "$OUT" "alias.resolver.test CNAME" ' ok ttl=300 alias2\.resolver\.test$'
expect "$OUT" "ent.resolver.test A" ' nodata '
expect "$OUT" "nope.resolver.test A" ' nxdomain ttl=60$'
expect "$OUT" "_dmarc.resolver.test TXT" ' ok ttl=300 v=DMARC1; p=none$'
expect "$OUT" "Host.Resolver.Test. A" ' ok '
expect "$OUT" "broken.resolver.test A" ' temperror ttl=0 why=SERVFAIL$'
expect "$OUT" "a..b A" ' malformed ttl=0 why=empty label$'

echo "# default local zones are off: our server answers them"
expect "$OUT" "10.2.0.192.in-addr.arpa PTR" ' ok ttl=300 host\.resolver\.test$'
expect "$OUT" "11.2.0.192.in-addr.arpa PTR" ' ok ttl=300 mixed\.case\.resolver\.test$'
expect "$OUT" "12.2.0.192.in-addr.arpa PTR" ' ok ttl=300 weird\\'
expect "$OUT" "4.3.2.10.in-addr.arpa PTR" ' ok ttl=300 private\.resolver\.test$'
for q in "10.2.0.192.in-addr.arpa. PTR" "host.resolver.test. A" "4.3.2.10.in-addr.arpa. PTR"; do
  if grep -qiF "$q ->" "$WORK/queries.log"; then ok "server was asked: $q"; else bad "server never asked: $q"; fi
done

echo "# deadline: a name that never answers"
T0=$(ms_now)
OUT=$("${DIG[@]}" --dns-timeout 1 slow.resolver.test A single.resolver.test MX 2>&1)
ELAPSED=$(($(ms_now) - T0))
expect "$OUT" "slow.resolver.test A" ' temperror ttl=0 why=timeout$'
expect "$OUT" "single.resolver.test MX" ' nodata '
echo "# timeout run took ${ELAPSED} ms (timeout 1000 ms, bound 2000 ms)"
if [ "$ELAPSED" -ge 950 ] && [ "$ELAPSED" -lt 2000 ]; then ok "timeout within dns-timeout + 1 s (${ELAPSED} ms)"
else bad "timeout took ${ELAPSED} ms, want 950..2000"; fi

echo "# the server stays usable after many timeouts in a row"
ARGS=()
for t in A AAAA MX TXT PTR NS; do ARGS+=(slow.resolver.test "$t" slow2.resolver.test "$t"); done
T0=$(ms_now)
OUT=$("${DIG[@]}" --dns-timeout 0.7 "${ARGS[@]}" multi.resolver.test TXT deep.ent.resolver.test A \
  nope.resolver.test MX 2>&1)
ELAPSED=$(($(ms_now) - T0))
N=$(grep -c ' temperror ttl=0 why=timeout$' <<<"$OUT")
if [ "$N" -eq 12 ]; then ok "12 timeouts in ${ELAPSED} ms"; else bad "want 12 timeouts, got $N"; fi
expect "$OUT" "multi.resolver.test TXT" ' ok '
expect "$OUT" "deep.ent.resolver.test A" ' ok ttl=300 192\.0\.2\.66$'
expect "$OUT" "nope.resolver.test MX" ' nxdomain '

echo "# 200 lookups in one run: cache"
ASKED0=$(grep -c '^host.resolver.test. A ->' "$WORK/queries.log")
ARGS=()
for i in $(seq 200); do ARGS+=(host.resolver.test A); done
OUT=$("${DIG[@]}" --dns-timeout 3 --timing "${ARGS[@]}" 2>"$WORK/timing")
N=$(grep -c ' A ok ' <<<"$OUT")
if [ "$N" -eq 200 ]; then ok "200 answers"; else bad "want 200 ok answers, got $N"; fi
read -r FIRST MEAN < <(awk '/^# host/ {n++; if (n == 1) first = $4; else sum += $4}
  END {printf "%d %d\n", first, (n > 1 ? sum / (n - 1) : 0)}' "$WORK/timing")
echo "# first (uncached) lookup ${FIRST} us; cached lookups mean ${MEAN} us"
ASKED=$(($(grep -c '^host.resolver.test. A ->' "$WORK/queries.log") - ASKED0))
if [ "$ASKED" -le 2 ]; then ok "200 lookups, server asked $ASKED time(s): the rest came from cache"
else bad "server asked $ASKED times for 200 lookups of one name"; fi
if [ "$MEAN" -lt 1000 ]; then ok "cached lookup mean ${MEAN} us < 1000 us"; else bad "cached lookups slow: ${MEAN} us"; fi

echo "# 200 parallel lookups mixing answers, NXDOMAIN and timeouts"
ARGS=()
for i in $(seq 150); do ARGS+=("n$((i % 50)).resolver.test" A); done
for i in $(seq 40); do ARGS+=(multi.resolver.test TXT); done
for i in $(seq 10); do ARGS+=(slow.resolver.test MX); done
OUT=$("${DIG[@]}" --dns-timeout 1 --parallel "${ARGS[@]}" 2>&1)
NX=$(grep -c ' nxdomain ' <<<"$OUT"); TXT=$(grep -c 'TXT ok ' <<<"$OUT")
TO=$(grep -c 'why=timeout' <<<"$OUT")
if [ "$NX" -eq 150 ] && [ "$TXT" -eq 40 ] && [ "$TO" -eq 10 ]; then ok "parallel: 150 nxdomain, 40 ok, 10 timeout"
else bad "parallel: got $NX nxdomain, $TXT ok, $TO timeout"; fi

echo "# zone server: hostile input and TCP"
$PY - "$PORT" <<'EOF' && ok "zoneserver survives garbage and answers over TCP" || bad "zoneserver garbage/TCP"
import socket, sys
from dnslib import DNSRecord
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for junk in (b"", b"\x01", b"\xff" * 40, b"\x00\x01\x00\x00\x00\x05" + b"\x00" * 6):
    s.sendto(junk, ("127.0.0.1", port))
r = DNSRecord.parse(DNSRecord.question("single.resolver.test", "TXT").send("127.0.0.1", port, tcp=True, timeout=3))
assert r.header.aa and str(r.rr[0].rdata) == '"hello world"', r
EOF
if "${DIG[@]}" --dns-timeout 2 single.resolver.test TXT | grep -q ' ok '; then ok "still answering after garbage"; else bad "server died after garbage"; fi
if "$BIN" dig --dns-server "bogus@53" host.resolver.test A 2>"$WORK/err"; then bad "bad server accepted"
elif grep -q 'bogus@53' "$WORK/err"; then ok "bad server string rejected, named"; else bad "bad server message: $(cat "$WORK/err")"; fi

finish
