#!/usr/bin/env bash
# test_check_sender_dnsbl.sh — `legit-milter check --json` against a zone-file
# DNS server on loopback: the sender-domain check (seed 004's NXDOMAIN sender
# tbg4-finance.org from cpe-192-181-15-33.kya.res.rr.com, MX, implicit MX, null
# MX, <>, bogus MX, timeout) and the dnsbl check (a test blocklist served from
# tests/dns/dnsbl.test.zone: mapped codes, IPv6 nibbles, unmapped codes, the
# 127.255.255.254 error code, a timeout, a domain list, an allowlist, and no
# query at all when no list is configured, seen in the zone server's log).
# usage: test_check_sender_dnsbl.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
DNSLOG="$WORK/queries.log"
start_dns "$SRC/tests/dns/sender.test.zone" "$SRC/tests/dns/sender-seed004.zone" \
  "$SRC/tests/dns/sender-seed004-reverse.zone" "$SRC/tests/dns/dnsbl.test.zone" \
  "$SRC/tests/dns/dnsbl-domains.test.zone" --log "$DNSLOG"

# Lookups get 5 s (answers take milliseconds; a short deadline turns a
# starved zone server into temperror under load); 2 s where one is meant to
# time out.
DNS_TIMEOUT=5
check() { check_json "$@"; }
result_of() { json_get "$1" "' '.join(sorted(c['result'] for c in j['checks'] if c['check'] == '$2'))"; }
points_of() { json_get "$1" "sum(c['points'] for c in j['checks'] if c['check'] == '$2')"; }
detail_of() { json_get "$1" "' | '.join(c['detail'] for c in j['checks'] if c['check'] == '$2')"; }

# --- sender-domain -------------------------------------------------------
# Seed 004: a forward-confirmed home line sends from a domain that does not exist.
out=$(check --client-ip 192.181.15.33 --helo cpe-192-181-15-33.kya.res.rr.com \
  --mail-from '<billing@tbg4-finance.org>' --rcpt '<x@example.net>')
expect_eq "seed 004: iprev" "$(result_of "$out" iprev)" pass
expect_eq "seed 004: sender-domain" "$(result_of "$out" sender-domain)" nxdomain
expect_eq "seed 004: score < -4" "$(json_get "$out" 'j["score"] < -4')" True
expect_match "seed 004: detail" "$(detail_of "$out" sender-domain)" "tbg4-finance.org does not exist"

while read -r from want; do
  out=$(check --client-ip 203.0.113.90 --helo mail.sender.test --mail-from "$from")
  expect_eq "sender-domain $from" "$(result_of "$out" sender-domain)" "$want"
done <<'ROWS'
<a@ok.sender.test> ok
<a@OK.Sender.Test> ok
<a@implicit.sender.test> implicit-mx
<a@implicit6.sender.test> implicit-mx
<a@nullmx.sender.test> null-mx
<a@nomail.sender.test> no-mail
<a@lh.sender.test> bogus-mx
<a@gone.sender.test> nxdomain
<> null-sender
<a@[203.0.113.90]> invalid
<postmaster> invalid
ROWS
out=$(check --client-ip 203.0.113.90 --helo mail.sender.test --mail-from '<>')
expect_match "null sender: judged via HELO" "$(detail_of "$out" sender-domain)" "RFC 7208"
expect_eq "null sender: 0 points" "$(points_of "$out" sender-domain)" 0

# The MX lookup never answers: temperror within the deadline, 0 points.
start=$(date +%s%N)
out=$(DNS_TIMEOUT=2 check --client-ip 203.0.113.90 --helo mail.sender.test --mail-from '<a@slow.sender.test>')
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "timeout: temperror" "$(result_of "$out" sender-domain)" temperror
expect_eq "timeout: 0 points" "$(points_of "$out" sender-domain)" 0
expect_eq "timeout: within deadline (${elapsed_ms} ms)" "$((elapsed_ms < 4000))" 1

# --- dnsbl ---------------------------------------------------------------
ZEN='bl.dnsbl.test=127.0.0.2-127.0.0.9:listed-strong;127.0.0.10-127.0.0.11:listed-weak'
bl() { check --dnsbl-lists "$ZEN" --helo mail.sender.test --mail-from '<a@ok.sender.test>' --client-ip "$@"; }
while read -r ip want; do
  if [ "$want" = temperror ]; then out=$(DNS_TIMEOUT=2 bl "$ip"); else out=$(bl "$ip"); fi
  expect_eq "dnsbl $ip" "$(result_of "$out" dnsbl)" "$want"
done <<'ROWS'
203.0.113.100 listed-strong
203.0.113.101 listed-weak
203.0.113.102 clean
203.0.113.103 temperror
203.0.113.104 temperror
203.0.113.105 clean
2001:db8:a2::100 listed-strong
2001:db8:a2::101 clean
ROWS
out=$(bl 203.0.113.100)
expect_eq "listed: mapped points (default)" "$(points_of "$out" dnsbl)" -7
expect_eq "listed: points from [points]" "$(points_of "$(bl 203.0.113.100 --points.dnsbl.listed-strong -4.5)" dnsbl)" -4.5
expect_match "listed: detail names list, code, reason" "$(detail_of "$out" dnsbl)" \
  '203.0.113.100 listed on bl.dnsbl.test \(127.0.0.2\): .*dnsbl.test/q\?203.0.113.100'
expect_match "listed: X-Legit-Score" "$(json_get "$out" 'j["headers"]["X-Legit-Score"]')" 'dnsbl=listed-strong\(-7\)'
out=$(bl 203.0.113.103)
expect_match "error code: detail" "$(detail_of "$out" dnsbl)" "127.255.255.254"
expect_eq "error code: 0 points" "$(points_of "$out" dnsbl)" 0

# A domain list on the sender domain, and an allowlist.
out=$(check --dnsbl-lists 'dbl.dnsbl.test:sender=127.0.1.2-127.0.1.99:listed-strong' \
  --client-ip 203.0.113.90 --helo mail.sender.test --mail-from '<a@ok.sender.test>')
expect_eq "domain list: sender listed" "$(result_of "$out" dnsbl)" listed-strong
out=$(check --dnsbl-allow-lists 'wl.dnsbl.test=127.0.10.3:allowed-strong' \
  --client-ip 203.0.113.110 --helo mail.sender.test --mail-from '<a@ok.sender.test>')
expect_eq "allowlist" "$(result_of "$out" dnsbl)" allowed-strong
expect_eq "allowlist: positive points" "$(json_get "$out" "[c['points'] > 0 for c in j['checks'] if c['check'] == 'dnsbl'][0]")" True

# No list configured: no dnsbl finding and not one query to any list zone.
: >"$DNSLOG"
out=$(check --client-ip 203.0.113.100 --helo mail.sender.test --mail-from '<a@ok.sender.test>')
expect_eq "no lists: no finding" "$(result_of "$out" dnsbl)" ""
expect_eq "no lists: no list queries" "$(grep -c 'dnsbl\.test' "$DNSLOG")" 0
expect_eq "no lists: server saw the other queries" "$(grep -c 'ok\.sender\.test' "$DNSLOG" | awk '{print ($1 > 0)}')" 1

# A bad list item: `-t` and `check` name the option and the item.
"$BIN" -t --dnsbl-lists 'zen.spamhaus.org:foo' >"$WORK/t.out" 2>&1; rc=$?
expect_eq "bad item: -t fails" "$((rc != 0))" 1
expect_match "bad item: message" "$(cat "$WORK/t.out")" "option 'dnsbl-lists': 'zen.spamhaus.org:foo' has an unknown source"
finish
