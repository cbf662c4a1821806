#!/bin/bash
# test_dns_cache.sh — the answer cache in front of libunbound, end to end
# with `legit-milter dig` against tests/dns/zoneserver.py:
#   * identical lookups in flight are joined: 50 parallel lookups of one name
#     from a server answering 0.5 s late put ONE query on the wire;
#   * a cached lookup costs no syscall: strace counts the same syscalls for
#     1 and for 20,001 lookups of one name (--repeat), and its median is
#     at most 2 us;
#   * NXDOMAIN is held for the SOA's negative TTL, a timeout is not held.
# usage: test_dns_cache.sh /path/to/legit-milter   (exit 77 = skipped)
BIN=${1:?usage: test_dns_cache.sh /path/to/legit-milter}
. "$(dirname "$0")/lib.sh"
[ -x "$BIN" ] || skip "no binary $BIN"
start_dns "$SRC"/tests/dns/resolver*.zone --log "$WORK/queries.log" --delay 0.5
DIG=("$BIN" dig --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 3)
asked() { grep -ci "^$1 ->" "$WORK/queries.log"; }

echo "# joining: 50 parallel lookups of one name, server answers after 0.5 s"
ARGS=()
for i in $(seq 50); do ARGS+=(host.resolver.test A); done
OUT=$("${DIG[@]}" --parallel --stats "${ARGS[@]}" 2>&1)
expect_eq "50 answers ok" "$(grep -c ' A ok ' <<<"$OUT")" 50
expect_eq "one query on the wire for 50 lookups" "$(asked 'host.resolver.test. A')" 1
expect_match "counters: 1 miss, 49 joined" "$OUT" '# cache hits=0 misses=1 joined=49 '

echo "# negative answers held (SOA minimum), timeouts not"
OUT=$("${DIG[@]}" --dns-timeout 1 --stats nope.resolver.test A nope.resolver.test A \
  slow.resolver.test A slow.resolver.test A 2>&1)
expect_eq "nxdomain asked once for two lookups" "$(asked 'nope.resolver.test. A')" 1
expect_match "a timeout is not held: 1 hit (nxdomain), 3 misses" "$OUT" '# cache hits=1 misses=3 joined=0 '
expect_match "nxdomain answered from the cache" "$OUT" 'nope.resolver.test A nxdomain ttl=60
nope.resolver.test A nxdomain ttl=60'

echo "# a hit costs no syscall and <= 2 us"
ASAN=no; ldd "$BIN" 2>/dev/null | grep -q libasan && ASAN=yes
MAXSYS=20    # ASan's allocator maps memory as the 20,000 answer copies churn: 59 measured
[ $ASAN = yes ] && MAXSYS=200
if command -v strace >/dev/null; then
  count() {  # total syscalls of a dig run with --repeat $1
    strace -f -c -o "$WORK/strace.$1" "${DIG[@]}" --repeat "$1" single.resolver.test TXT >/dev/null 2>&1
    awk '/^100.00/ || $NF == "total" {print $(NF-2); exit}' "$WORK/strace.$1"
  }
  C1=$(count 1); C2=$(count 20001)
  echo "# syscalls: $C1 with 1 repeated lookup, $C2 with 20001"
  if [ -n "$C1" ] && [ -n "$C2" ] && [ $((C2 - C1)) -lt $MAXSYS ]; then
    ok "20,000 more cached lookups cost $((C2 - C1)) more syscalls (< $MAXSYS)"
  else fail "syscalls per cached lookup" "1 lookup: $C1, 20001 lookups: $C2"; fi
else
  skip_part "strace not installed: syscall count"
fi
"${DIG[@]}" --repeat 20000 --timing single.resolver.test TXT >/dev/null 2>"$WORK/timing"
MED=$(awk '/# repeat:/ {print $(NF-1)}' "$WORK/timing")
echo "# $(grep '# repeat' "$WORK/timing")"
BOUND=2000   # the target; a sanitizer build (ASan + Debug, ~3.4 us measured) gets 10x
[ $ASAN = yes ] && BOUND=20000
if [ -n "$MED" ] && [ "$MED" -le "$BOUND" ]; then ok "cached lookup median ${MED} ns <= $BOUND ns"
else fail "cached lookup median" "${MED:-?} ns (want <= $BOUND)"; fi

finish
