#!/usr/bin/env bash
# test_seeds.sh — the DEFAULT points and thresholds against the sessions of
# the admins' threads (../shared/seeds) and a well-configured sender, through
# `legit-milter check --json` with every check and no point overridden:
#   seed 003  no PTR, HELO = bare IP, MAIL FROM <>   → quarantine, helo=bare-ip, ptr=none
#   seed 004  generic FCrDNS PTR, NXDOMAIN sender    → reject
#   seed 001  static-looking PTR, HELO "User"        → helo=not-fqdn explained
#   good      FCrDNS, HELO = PTR, MX, SPF, DMARC     → accept, clearly positive
#   printer   trusted network, HELO OEMCOMPUTER      → not scored
#   every lookup timing out                          → temperror, never reject
# usage: test_seeds.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
Z=$SRC/tests/dns
M=$SRC/tests/integration/messages
start_dns "$Z/seeds-good.zone" "$Z/seeds-good-reverse.zone" "$Z/ptrhelo-seed001-reverse.zone" \
  "$Z/ptrhelo-seed001-forward.zone" "$Z/ptrhelo-seed003-reverse.zone" \
  "$Z/sender-seed004-reverse.zone" "$Z/sender-seed004.zone"

check() { "$BIN" check --json --dns-timeout 1 --authserv-id mx.test.example "$@" 2>>"$WORK/stderr"; }
dns() { check --dns-server "127.0.0.1@$DNS_PORT" "$@"; }
result() { results_of "$@"; }
field() { json_get "$1" "j['$2']"; }
explained() { json_get "$1" "j['headers']['X-Legit-Score'].replace('\n\t', ' ')"; }

out=$(dns --client-ip 37.215.63.185 --helo 37.215.63.185 --mail-from '<>')
expect_eq "seed 003: action" "$(field "$out" action)" quarantine
expect_match "seed 003: explanation" "$(explained "$out")" '^-[0-9.]+ \(quarantine\) .*ptr=none.*helo=bare-ip'

out=$(dns --client-ip 192.181.15.33 --client-name cpe-192-181-15-33.kya.res.rr.com \
  --helo tbg4-finance.org --mail-from '<billing@tbg4-finance.org>' --message "$M/seed004.eml")
expect_eq "seed 004: action" "$(field "$out" action)" reject
expect_eq "seed 004: sender-domain" "$(result "$out" sender-domain)" nxdomain
expect_eq "seed 004: iprev" "$(result "$out" iprev)" pass
expect_match "seed 004: reply" "$(field "$out" reply)" '^550 5.7.1 '
out=$(dns --client-ip 192.181.15.33 --helo cpe-192-181-15-33.kya.res.rr.com --mail-from '<x@tbg4-finance.org>')
expect_eq "seed 004, HELO = PTR: action" "$(field "$out" action)" reject

out=$(dns --client-ip 72.38.252.2 --client-name s72-38-252-2.static.datacom.cgocable.net \
  --helo User --mail-from '<someone@goodmail.test>')
expect_eq "seed 001: helo" "$(result "$out" helo)" not-fqdn
expect_match "seed 001: explanation" "$(explained "$out")" 'helo=not-fqdn\(-[0-9.]+\)'

out=$(dns --client-ip 192.0.2.25 --helo mail.goodmail.test --mail-from '<alice@goodmail.test>' \
  --message "$M/goodmail.eml")
expect_eq "good sender: action" "$(field "$out" action)" accept
expect_eq "good sender: score >= 4" "$(json_get "$out" 'j["score"] >= 4')" True
expect_eq "good sender: no negative finding" "$(json_get "$out" '[c["check"] for c in j["checks"] if c["points"] < 0]')" "[]"
expect_eq "good sender: dmarc" "$(result "$out" dmarc)" pass

out=$(dns --client-ip 127.0.0.1 --helo OEMCOMPUTER --mail-from '<scanner@printer.lan>')
expect_eq "printer: not scored" "$(field "$out" scored)" False
expect_eq "printer: no headers" "$(json_get "$out" 'j["headers"]')" "{}"

# Every lookup times out: nothing but temperror from DNS checks, never a reject.
start_blackhole
start=$(date +%s%N)
out=$(check --dns-server "127.0.0.1@$BLACKHOLE_PORT" --client-ip 192.181.15.33 --helo tbg4-finance.org \
  --mail-from '<billing@tbg4-finance.org>' --message "$M/seed004.eml")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "all timeouts: DNS checks temperror" \
  "$(json_get "$out" 'sorted(set(c["result"] for c in j["checks"] if c["check"] in ("iprev","ptr","helo","spf","spf-helo","sender-domain","dmarc")))')" \
  "['temperror']"
expect_eq "all timeouts: action" "$(field "$out" action)" accept
expect_eq "all timeouts: done in ${ms} ms (< 6 s)" "$((ms < 6000))" 1
# Make the non-DNS evidence alone worth a reject (-10 < reject-below -8): it
# still rests on the checks that timed out (their best rows add up to +4.5),
# so on-error decides: quarantine, or tempfail. With -20 no DNS answer could
# have saved it, and it stays a reject.
for policy in accept:quarantine:-10 tempfail:tempfail:-10 accept:reject:-20; do
  IFS=: read -r on_error want points <<<"$policy"
  out=$(check --dns-server "127.0.0.1@$BLACKHOLE_PORT" --on-error "$on_error" --points.helo.bare-ip="$points" \
    --client-ip 192.181.15.33 --helo 192.181.15.33 --mail-from '<billing@tbg4-finance.org>')
  expect_eq "all timeouts, bare-ip=$points, on-error=$on_error: action" "$(field "$out" action)" "$want"
done
finish
