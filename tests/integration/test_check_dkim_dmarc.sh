#!/usr/bin/env bash
# test_check_dkim_dmarc.sh — `legit-milter check --json --message FILE` on
# messages signed at test time by python3-dkim (make_dkim_fixtures.py: fresh
# RSA 512/1024/2048 and ed25519 keys every run), against the key and policy
# zones tests/dns/{dkim,dmarc}.test.zone served on loopback: DKIM pass / fail
# / permerror / temperror / policy / none, DMARC pass / fail per policy /
# none / permerror / temperror, and the Authentication-Results header parsed
# by python3-authres (RFC 8601 syntax).
# usage: test_check_dkim_dmarc.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
$PY -c 'import dkim, authres, cryptography' 2>/dev/null || skip "python3-dkim, python3-authres or python3-cryptography missing"
FIX="$WORK/fixtures"
$PY "$SRC/tests/integration/make_dkim_fixtures.py" "$SRC" "$FIX" || { fail "fixtures" "generator failed"; finish; }
start_dns "$FIX/dkim.test.zone" "$FIX/dmarc.test.zone"

# Lookups get 5 s (an answer takes milliseconds, but a 1 s deadline gave
# dmarc-multi spf=temperror dmarc=temperror once at load 13); 1 s only in
# the cases whose key or policy lookup is meant to time out.
check() {  # check CASE [options...]
  local m=$1 t=5; shift
  case $m in timeout | dmarc-tmp) t=1 ;; esac
  "$BIN" check --json --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout $t --authserv-id mx.test.example \
    --log stderr --client-ip 203.0.113.200 --helo mail.elsewhere.test --mail-from '<bounce@elsewhere.test>' \
    --message "$FIX/$m.eml" "$@" 2>"$WORK/stderr"
}
result_of() { json_get "$1" "[c['result'] for c in j['checks'] if c['check'] == '$2'][0]"; }
ar_of() { json_get "$1" 'j["headers"]["Authentication-Results"].replace("\n\t", " ")'; }
# Parses an A-R value with python3-authres; prints the dkim/dmarc results it found.
authres_parse() {
  $PY -c 'import sys, authres
h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + sys.argv[1])
print(" ".join("%s=%s" % (r.method, r.result) for r in h.results if r.method in ("dkim", "dmarc")))' "$1" 2>&1
}

# --- DKIM -----------------------------------------------------------------
while read -r case want ar; do
  out=$(check "$case")
  expect_eq "dkim $case" "$(result_of "$out" dkim)" "$want"
  expect_match "dkim $case: A-R" "$(ar_of "$out")" "$ar"
done <<'ROWS'
unsigned          none      dkim=none
rsa1024-relaxed   pass      dkim=pass header.d=dkim.test header.s=rsa1024 header.a=rsa-sha256 header.b=
rsa2048-simple    pass      dkim=pass header.d=dkim.test header.s=rsa2048
ed25519           pass      dkim=pass header.d=dkim.test header.s=ed header.a=ed25519-sha256
ed25519-simple    pass      dkim=pass header.d=dkim.test header.s=ed
relaxed-spacing   pass      dkim=pass
length-tag        pass      dkim=pass
multi-good-bad    pass      dkim=fail .*header.s=wrong.*dkim=pass .*header.s=rsa2048
body-tampered     fail      dkim=fail \(body hash mismatch\)
header-tampered   fail      dkim=fail
revoked           permerror dkim=permerror \(key revoked\)
nokey             permerror dkim=permerror
garbage-key       permerror dkim=permerror
malformed         permerror dkim=permerror
weak-key          policy    dkim=policy
timeout           temperror dkim=temperror
ROWS

out=$(check rsa2048-simple)
expect_match "dkim: key size in detail" "$(json_get "$out" "[c['detail'] for c in j['checks'] if c['check']=='dkim'][0]")" \
  '2048-bit key: pass'
expect_eq "dkim pass: points" "$(json_get "$out" "[c['points'] for c in j['checks'] if c['check']=='dkim'][0]")" 1
out=$(check timeout)
expect_eq "dkim timeout: zero points" "$(json_get "$out" "[c['points'] for c in j['checks'] if c['check']=='dkim'][0]")" 0
out=$(check rsa1024-relaxed --dkim-max-body-bytes 5)
expect_eq "dkim body over dkim-max-body-bytes" "$(result_of "$out" dkim)" neutral
out=$(check multi-good-bad --dkim-max-signatures 1)
expect_eq "dkim-max-signatures 1: only the first (bad) one" "$(result_of "$out" dkim)" fail
# Under Postfix the value keeps all but one space after the colon, and
# simple/simple passes (unit test); `check --message` strips all of them
# (message_file.cc), so a simple-canonicalised header with extra spaces fails.
out=$(check simple-folded)
echo "note: simple/simple with two spaces after 'Subject:' through check --message: $(result_of "$out" dkim)"

# --- DMARC (MAIL FROM elsewhere.test: SPF never aligns unless given) ----------
while read -r case want ar; do
  out=$(check "$case")
  expect_eq "dmarc $case" "$(result_of "$out" dmarc)" "$want"
  expect_match "dmarc $case: A-R" "$(ar_of "$out")" "$ar"
done <<'ROWS'
dmarc-pass-dkim        pass            dmarc=pass \(p=reject sp=quarantine\) header.from=dmarc.test$
dmarc-sub-pass         pass            dmarc=pass .*header.from=sub.dmarc.test$
dmarc-fail-reject      fail-reject     dkim=pass header.d=dkim.test.*dmarc=fail \(p=reject sp=quarantine\) header.from=dmarc.test$
dmarc-fail-quarantine  fail-quarantine dmarc=fail \(p=quarantine pct=50\) header.from=q.dmarc.test$
dmarc-fail-none        fail-none       dmarc=fail \(p=none\) header.from=n.dmarc.test$
dmarc-sub-fail         fail-quarantine dmarc=fail \(p=reject sp=quarantine\) header.from=sub.dmarc.test$
dmarc-other-txt        fail-quarantine dmarc=fail .*header.from=other.dmarc.test$
dmarc-strict           fail-reject     dkim=pass header.d=dmarc.test.*dmarc=fail \(p=reject\) header.from=s.dmarc.test$
dmarc-no-record        none            dmarc=none header.from=dkim.test$
dmarc-multi            unauthenticated dmarc=none header.from=multi.dmarc.test$
dmarc-bad              permerror       dmarc=permerror \(invalid DMARC record\) header.from=bad.dmarc.test$
dmarc-tmp              temperror       dmarc=temperror header.from=tmp.dmarc.test$
dmarc-two-from         bad-from        dmarc=permerror \(2 From headers\)$
dmarc-two-addresses    fail-reject     dmarc=fail \(p=reject sp=quarantine\) header.from=dmarc.test$
ROWS
out=$(check dmarc-fail-reject)
expect_eq "dmarc fail-reject: points" "$(json_get "$out" "[c['points'] for c in j['checks'] if c['check']=='dmarc'][0]")" -6
out=$(check dmarc-tmp)
expect_eq "dmarc temperror: zero points" "$(json_get "$out" "[c['points'] for c in j['checks'] if c['check']=='dmarc'][0]")" 0
# SPF pass for the org domain aligns (relaxed) with a subdomain From.
out=$(check dmarc-sub-fail --mail-from '<bounce@dmarc.test>')
if [ "$(json_get "$out" "[c['check'] for c in j['checks']].count('spf')")" = 1 ]; then
  expect_eq "dmarc pass via SPF" "$(result_of "$out" dmarc)" pass
  expect_match "dmarc pass via SPF: detail" "$(json_get "$out" "[c['detail'] for c in j['checks'] if c['check']=='dmarc'][0]")" \
    'aligned with SPF dmarc.test'
else
  fail "dmarc pass via SPF" "no spf finding in the check output: DMARC via SPF not tested"
fi
out=$(check dmarc-spf --mail-from '<bounce@dmarc.test>' --client-ip 198.51.100.99)
expect_eq "dmarc: SPF fail does not align" "$(result_of "$out" dmarc)" fail-reject

# Issue 9 item 8: a message with no header section at all is bad-from, not skipped.
printf '\r\nonly a body\r\n' >"$FIX/no-headers.eml"
out=$(check no-headers)
expect_eq "no header section: bad-from" "$(result_of "$out" dmarc)" bad-from
expect_match "no header section: A-R" "$(ar_of "$out")" 'dmarc=permerror \(the message has no header section at all\)'
: >"$FIX/empty.eml"  # no header and no body either
out=$(check empty)
expect_eq "empty message (no header, no body): bad-from" "$(result_of "$out" dmarc)" bad-from
out=$("$BIN" check --json --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 5 --authserv-id mx.test.example \
  --log stderr --client-ip 203.0.113.200 --mail-from '<bounce@elsewhere.test>' 2>>"$WORK/stderr")
expect_eq "check without --message: no message, no dmarc finding" \
  "$(json_get "$out" "len([c for c in j['checks'] if c['check'] == 'dmarc'])")" 0
# The owner's p=reject is a floor: quarantine at least, whatever the score
# (thresholds moved out of the way so the score alone would accept).
low="--quarantine-below -50 --reject-below -100"
out=$(check dmarc-fail-reject $low)
expect_eq "dmarc fail-reject: quarantined by the floor" "$(json_get "$out" 'j["action"]')" quarantine
expect_match "dmarc fail-reject: log names the floor" "$(json_get "$out" 'j["log"]')" ' floor=dmarc:fail-reject'
out=$(check dmarc-fail-reject $low --dmarc-reject-action reject)
expect_eq "dmarc-reject-action reject" "$(json_get "$out" 'j["action"]')" reject
out=$(check dmarc-fail-reject $low --forwarders 203.0.113.0/24)
expect_eq "forwarder: dmarc forwarded" "$(result_of "$out" dmarc)" forwarded
expect_eq "forwarder: accepted" "$(json_get "$out" 'j["action"]')" accept

for case in rsa2048-simple multi-good-bad timeout malformed unsigned dmarc-pass-dkim dmarc-fail-reject \
            dmarc-sub-fail dmarc-tmp dmarc-bad dmarc-two-from; do
  out=$(check "$case")
  expect_match "authres parses A-R of $case" "$(authres_parse "$(ar_of "$out")")" '^dkim=[a-z]+( dkim=[a-z]+)* dmarc=[a-z]+$'
done
finish
