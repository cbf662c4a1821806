#!/usr/bin/env bash
# test_check_iprev.sh — `legit-milter check --json` against a zone-file DNS
# server on loopback: iprev pass / fail / temperror (a PTR that times out),
# IPv6, the JSON shape of DESIGN.md, trusted and authenticated clients.
# usage: test_check_iprev.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
start_dns "$SRC/tests/dns/iprev.test.zone" "$SRC/tests/dns/iprev-reverse.zone" "$SRC/tests/dns/iprev-reverse6.zone"

# Lookups get 5 s (answers take milliseconds; a short deadline turns a
# starved zone server into temperror under load); 2 s where one is meant to
# time out.
DNS_TIMEOUT=5
check() { check_json "$@"; }
iprev_of() { results_of "$1" iprev; }

while read -r ip want; do
  out=$(check --client-ip "$ip" --helo mail.iprev.test --mail-from '<a@iprev.test>')
  expect_eq "iprev $ip" "$(iprev_of "$out")" "$want"
  expect_match "A-R iprev $ip" "$(json_get "$out" 'j["headers"]["Authentication-Results"].replace("\n\t", " ")')" \
    "^mx.test.example; iprev=$want .*policy.iprev="
done <<'ROWS'
198.51.100.10 pass
198.51.100.11 fail
198.51.100.12 fail
198.51.100.15 fail
2001:db8:51::10 pass
ROWS

# A PTR that never answers: temperror within the deadline, never a reject.
start=$(date +%s%N)
out=$(DNS_TIMEOUT=2 check --client-ip 198.51.100.13 --helo x.iprev.test --mail-from '<a@iprev.test>')
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "iprev timeout" "$(iprev_of "$out")" temperror
expect_eq "timeout: action" "$(json_get "$out" 'j["action"]')" accept
expect_eq "timeout: zero points" "$(json_get "$out" '[c["points"] for c in j["checks"]][0]')" 0
expect_eq "timeout: within deadline (${elapsed_ms} ms)" "$((elapsed_ms < 4000))" 1
# The forward lookup of the PTR name times out.
out=$(DNS_TIMEOUT=2 check --client-ip 198.51.100.14 --helo x.iprev.test --mail-from '<a@iprev.test>')
expect_eq "iprev forward timeout" "$(iprev_of "$out")" temperror

# The JSON carries every field of the interface contract.
out=$(check --client-ip 198.51.100.10 --helo mail.iprev.test --mail-from '<a@iprev.test>')
expect_eq "json keys" "$(json_get "$out" 'sorted(k for k in ["score","action","checks","headers"] if k in j)')" \
  "['action', 'checks', 'headers', 'score']"
expect_eq "json check keys" "$(json_get "$out" 'sorted(j["checks"][0].keys())')" \
  "['check', 'detail', 'points', 'result']"
expect_match "X-Legit-Score starts with the score" "$(json_get "$out" 'j["headers"]["X-Legit-Score"]')" \
  '^-?[0-9.]+ \(accept\) .*iprev=pass\(1\)'

# Trusted network and authenticated clients are not scored.
out=$(check --client-ip 127.0.0.1 --helo OEMCOMPUTER --mail-from '<printer@iprev.test>')
expect_eq "trusted: not scored" "$(json_get "$out" 'j["scored"]')" False
expect_eq "trusted: no headers" "$(json_get "$out" 'j["headers"]')" "{}"
out=$(check --client-ip 198.51.100.12 --helo x --mail-from '<a@iprev.test>' --auth alice)
expect_eq "auth: not scored" "$(json_get "$out" 'j["scored"]')" False
expect_eq "auth: A-R says so" "$(json_get "$out" 'j["headers"]["Authentication-Results"]')" \
  "mx.test.example; auth=pass smtp.auth=alice"

# Human-readable output explains each check.
human=$("$BIN" check --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 2 --authserv-id mx.test.example \
  --client-ip 198.51.100.11 --helo liar.iprev.test --mail-from '<a@iprev.test>' 2>/dev/null)
expect_match "human output" "$human" 'iprev +fail +-2 +PTR liar.iprev.test does not resolve back to 198.51.100.11'

# Bad input: a clear error, exit 2.
"$BIN" check --client-ip 999.1.1.1 --json >/dev/null 2>"$WORK/err"; rc=$?
expect_eq "bad ip: exit code" "$rc" 2
expect_match "bad ip: message" "$(cat "$WORK/err")" "client-ip"
finish
