#!/usr/bin/env bash
# test_check_ptr_helo.sh — the ptr and helo checks through `legit-milter
# check --json` against a zone-file DNS server on loopback: seeds 003 (bare-IP
# HELO, no PTR) and 001 (HELO "User"), a well-configured sender, claims-us,
# address literals, a HELO whose lookups time out, generic names, IPv6.
# usage: test_check_ptr_helo.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
Z="$SRC/tests/dns"
start_dns "$Z/ptrhelo.test.zone" "$Z/ptrhelo-reverse.zone" "$Z/ptrhelo-reverse6.zone" \
  "$Z/ptrhelo-seed001-reverse.zone" "$Z/ptrhelo-seed001-forward.zone" "$Z/ptrhelo-seed003-reverse.zone"

# Lookups get 5 s (answers take milliseconds; a short deadline turns a
# starved zone server into temperror under load); 2 s where one is meant to
# time out.
DNS_TIMEOUT=5
check() { check_json --hostname mx.test.example "$@"; }
# Space-separated results of one check, in order.
results() { results_of "$@"; }
score() { json_get "$1" 'j["score"]'; }
below() { /usr/bin/python3 -c 'import sys; print(float(sys.argv[1]) < float(sys.argv[2]))' "$1" "$2"; }

# Seed 003: no PTR, HELO is a bare IP, null sender: quarantined or worse.
out=$(check --client-ip 37.215.63.185 --helo 37.215.63.185 --mail-from '<>' --rcpt '<u@ptrhelo.test>')
expect_eq "seed 003: helo" "$(results "$out" helo)" bare-ip
expect_eq "seed 003: ptr" "$(results "$out" ptr)" none
expect_eq "seed 003: score $(score "$out") < -4" "$(below "$(score "$out")" -4)" True
expect_match "seed 003: X-Legit-Score" "$(json_get "$out" 'j["headers"]["X-Legit-Score"]')" \
  'ptr=none\(-1\)[[:space:]]+helo=bare-ip\(-2.5\)'

# Seed 001: ISP static PTR (FCrDNS holds), HELO "User".
out=$(check --client-ip 72.38.252.2 --helo User --mail-from '<x@ptrhelo.test>')
expect_eq "seed 001: helo" "$(results "$out" helo)" not-fqdn
expect_eq "seed 001: ptr" "$(results "$out" ptr)" generic-static
expect_match "seed 001: explanation" "$(json_get "$out" 'j["headers"]["X-Legit-Score"]')" 'helo=not-fqdn'

# A well-configured sender: FCrDNS, HELO = PTR name. Clearly positive.
while read -r ip helo; do
  out=$(check --client-ip "$ip" --helo "$helo" --mail-from '<a@ptrhelo.test>')
  expect_eq "good $ip: helo" "$(results "$out" helo)" matches-ptr
  expect_eq "good $ip: ptr" "$(results "$out" ptr)" good
  expect_eq "good $ip: score $(score "$out") > 0" "$(below 0 "$(score "$out")")" True
done <<'ROWS'
203.0.113.10 mail.ptrhelo.test
2001:db8:a1::10 MAIL6.ptrhelo.test.
ROWS

# One row per HELO situation: client, HELO, expected helo results, ptr result.
while IFS='|' read -r ip helo want_helo want_ptr; do
  out=$(check --client-ip "$ip" --helo "$helo" --mail-from '<a@ptrhelo.test>' \
    --helo-our-addresses 203.0.113.62 --helo-our-addresses 2001:db8:a1::62)
  expect_eq "helo $helo from $ip" "$(results "$out" helo)" "$want_helo"
  expect_eq "ptr of $ip" "$(results "$out" ptr)" "$want_ptr"
done <<'ROWS'
203.0.113.11|mx.test.example|claims-us|none
203.0.113.11|MX.TEST.EXAMPLE.|claims-us|none
203.0.113.11|[203.0.113.62]|claims-us|none
203.0.113.11|203.0.113.62|claims-us|none
2001:db8:a1::11|[IPv6:2001:db8:a1::62]|claims-us|none
203.0.113.11|[203.0.113.11]|literal-match|none
203.0.113.11|[203.0.113.12]|literal-mismatch|none
2001:db8:a1::11|[IPv6:2001:db8:a1::11]|literal-match|none
203.0.113.11|out.ptrhelo.test|resolves-to-client|none
203.0.113.11|www.ptrhelo.test|resolves-elsewhere|none
203.0.113.11|nowhere.ptrhelo.test|no-resolve|none
203.0.113.21|www.ptrhelo.test|resolves-elsewhere|unconfirmed
203.0.113.11|localhost.localdomain|localhost|none
203.0.113.11|localhost|localhost|none
203.0.113.11|WIN-7T2K4J9QH3L|random-label|none
203.0.113.11|exch01|not-fqdn|none
203.0.113.11|bad_name.ptrhelo.test|invalid|none
203.0.113.20|203-0-113-20.dsl.ptrhelo.test|generic|generic
203.0.113.12|203-0-113-12.pool.ptrhelo.test|no-resolve generic|none
ROWS

# "Us" without configuration (check command): the authserv-id, and the MX
# host of a recipient domain sent by a client that is not that host.
out=$(check_json --client-ip 203.0.113.11 --helo mx.test.example --mail-from '<a@ptrhelo.test>')
expect_eq "claims-us: HELO = authserv-id" "$(results "$out" helo)" claims-us
out=$(check --client-ip 203.0.113.11 --helo mail.ptrhelo.test --mail-from '<a@ptrhelo.test>' --rcpt '<u@ptrhelo.test>')
expect_eq "claims-us: HELO = MX host of the recipient domain" "$(results "$out" helo)" claims-us
out=$(check --client-ip 203.0.113.10 --helo mail.ptrhelo.test --mail-from '<a@ptrhelo.test>' --rcpt '<u@ptrhelo.test>')
expect_eq "not claims-us: the MX host itself" "$(results "$out" helo)" matches-ptr
# The check command takes what Postfix's macros would say: $myhostname (j)
# and {daemon_addr}.
out=$(check --client-ip 203.0.113.11 --helo box.site.example --mail-from '<a@ptrhelo.test>' --server-name box.site.example)
expect_eq "claims-us: HELO = --server-name (macro j)" "$(results "$out" helo)" claims-us
out=$(check --client-ip 203.0.113.11 --helo '[198.51.100.77]' --mail-from '<a@ptrhelo.test>' --server-addr 198.51.100.77)
expect_eq "claims-us: HELO = [--server-addr] ({daemon_addr})" "$(results "$out" helo)" claims-us
out=$(check --client-ip 203.0.113.11 --helo '[198.51.100.77]' --mail-from '<a@ptrhelo.test>')
expect_eq "without --server-addr: literal-mismatch" "$(results "$out" helo)" literal-mismatch

# A HELO whose A/AAAA never answer: temperror, zero points, within the deadline.
start=$(date +%s%N)
out=$(DNS_TIMEOUT=2 check --client-ip 203.0.113.11 --helo slow.ptrhelo.test --mail-from '<a@ptrhelo.test>')
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "helo timeout" "$(results "$out" helo)" temperror
expect_eq "helo timeout: zero points" \
  "$(json_get "$out" '[c["points"] for c in j["checks"] if c["check"] == "helo"][0]')" 0
expect_eq "helo timeout: within deadline (${elapsed_ms} ms)" "$((elapsed_ms < 4000))" 1

# No HELO at all.
out=$(check --client-ip 203.0.113.10 --mail-from '<a@ptrhelo.test>')
expect_eq "no helo" "$(results "$out" helo)" missing

# Points come from the config, not the code.
out=$(check --client-ip 37.215.63.185 --helo 37.215.63.185 --mail-from '<>' --points.helo.bare-ip -9)
expect_eq "points from config" \
  "$(json_get "$out" '[c["points"] for c in j["checks"] if c["check"] == "helo"][0]')" -9

# Authenticated clients are not judged on HELO, even when scored.
out=$(check --client-ip 203.0.113.11 --helo User --mail-from '<a@ptrhelo.test>' --auth alice \
  --skip-authenticated no)
expect_eq "auth: no helo finding" "$(results "$out" helo)" ""
finish
