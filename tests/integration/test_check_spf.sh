#!/usr/bin/env bash
# test_check_spf.sh — the spf and spf-helo checks through `legit-milter check
# --json` against tests/dns/spf.test.zone: every MAIL FROM result (pass, fail,
# softfail, neutral, none, permerror for syntax / two records / too many
# lookups / void lookups, temperror for a TXT lookup that times out), the
# include/redirect/mx/a/ptr mechanisms, TXT strings joined, IPv6 clients,
# spf-helo pass/fail/none, the null sender, and the A-R entries.
# usage: test_check_spf.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
# Long records (issue 9 item 4: libspf2 dropped "-all" past 64 ip4
# mechanisms), served as several strings, and broad records (pass-broad).
$PY - "$WORK/long.json" <<'PYEOF'
import json, sys
d = {}
def add(name, mechs, tail="-all", strings=True):
    rec = " ".join(["v=spf1"] + mechs + ([tail] if tail else []))
    d[name] = [{"TXT": [rec[i:i + 250] for i in range(0, len(rec), 250)]}]
for n in (60, 64, 200, 2000):
    ip4 = ["ip4:10.%d.%d.1" % (i // 250, i % 250) for i in range(n)]
    add("m%d.long.test" % n, ip4)                                # client not listed: fail
    add("hit%d.long.test" % n, ip4 + ["ip4:203.0.113.200"])     # listed last: pass
    add("v6m%d.long.test" % n, ["ip6:2001:db8:%x::/48" % i for i in range(n)])
add("inc.long.test", ["include:i%d.long.test" % i for i in range(40)])
add("plusall.long.test", [], "+all")
add("wide.long.test", ["ip4:203.0.0.0/8"])
add("wide6.long.test", ["ip6:2001::/16"])
add("qall.long.test", [], "?all")
add("a0.long.test", ["a/0"]); d["a0.long.test"].append({"A": "192.0.2.1"})
json.dump(d, open(sys.argv[1], "w"))
PYEOF
start_dns "$SRC/tests/dns/spf.test.zone" "$SRC/tests/dns/spf-reverse.zone" --json "$WORK/long.json"

# Lookups get 5 s (answers take milliseconds; a short deadline turns a
# starved zone server into temperror under load); 1 s where one is meant to
# time out.
DNS_TIMEOUT=5
check() { check_json "$@"; }
result_of() { results_of "$@"; }
detail_of() { json_get "$1" "[c['detail'] for c in j['checks'] if c['check'] == '$2'][0]"; }
ar_of() { json_get "$1" 'j["headers"]["Authentication-Results"].replace("\n\t", " ")'; }

while read -r ip domain want; do
  t=$DNS_TIMEOUT
  [ "$want" = temperror ] && t=1
  out=$(DNS_TIMEOUT=$t check --client-ip "$ip" --helo mail.spf.test --mail-from "<user@$domain>")
  expect_eq "spf $domain from $ip" "$(result_of "$out" spf)" "$want"
  expect_match "A-R spf $domain" "$(ar_of "$out")" "spf=${want%-broad} smtp.mailfrom=$domain"
done <<'ROWS'
203.0.113.130 pass.spf.test pass
203.0.113.170 pass.spf.test fail
203.0.113.130 fail.spf.test fail
203.0.113.130 softfail.spf.test softfail
203.0.113.130 neutral.spf.test neutral
203.0.113.130 none.spf.test none
203.0.113.130 nospf.spf.test none
203.0.113.130 nxdomain.spf.test none
203.0.113.130 syntax.spf.test permerror
203.0.113.130 twice.spf.test permerror
203.0.113.145 toomany.spf.test permerror
203.0.113.146 voids.spf.test permerror
203.0.113.130 slow.spf.test temperror
203.0.113.130 slowinc.spf.test temperror
203.0.113.144 split.spf.test pass
203.0.113.150 include.spf.test pass
203.0.113.130 include.spf.test fail
203.0.113.130 redirect.spf.test pass
203.0.113.151 mx.spf.test pass
203.0.113.152 a.spf.test pass
203.0.113.153 ptr.spf.test pass
203.0.113.154 ptr.spf.test fail
2001:db8:a3::1 v6.spf.test pass
2001:db8:a3::52 a.spf.test pass
2001:db8:a3::53 a.spf.test fail
2001:db8:a4::1 v6.spf.test fail
203.0.113.200 m60.long.test fail
203.0.113.200 m64.long.test fail
203.0.113.200 m200.long.test fail
203.0.113.200 m2000.long.test fail
203.0.113.200 hit60.long.test pass
203.0.113.200 hit64.long.test pass
203.0.113.200 hit2000.long.test pass
10.1.200.1 m2000.long.test pass
2001:db8:ffff::1 v6m64.long.test fail
2001:db8:ffff::1 v6m2000.long.test fail
2001:db8:3f::1 v6m64.long.test pass
203.0.113.200 inc.long.test permerror
203.0.113.200 plusall.long.test pass-broad
203.0.113.200 wide.long.test pass-broad
2001:db8:a3::1 wide6.long.test pass-broad
203.0.113.200 qall.long.test neutral-broad
203.0.113.200 a0.long.test pass-broad
ROWS

out=$(check --client-ip 203.0.113.200 --helo mail.spf.test --mail-from '<user@inc.long.test>')
expect_match "too long for libspf2: permerror says why" "$(detail_of "$out" spf)" 'too long for libspf2: it kept [0-9]+ of 41 mechanisms'
out=$(check --client-ip 203.0.113.200 --helo mail.spf.test --mail-from '<user@plusall.long.test>')
expect_match "pass-broad: A-R keeps the RFC word" "$(ar_of "$out")" 'spf=pass smtp.mailfrom=plusall.long.test'

# Points: a DNS timeout is never evidence; fail is.
out=$(DNS_TIMEOUT=1 check --client-ip 203.0.113.130 --helo mail.spf.test --mail-from '<user@slow.spf.test>')
expect_eq "temperror: zero points" "$(json_get "$out" "[c['points'] for c in j['checks'] if c['check'] == 'spf'][0]")" 0
expect_match "temperror: detail names the lookup" "$(detail_of "$out" spf)" 'slow.spf.test/TXT: timeout'
out=$(check --client-ip 203.0.113.140 --helo mail.spf.test --mail-from '<user@exp.spf.test>')
expect_match "fail: libspf2 comment in detail" "$(detail_of "$out" spf)" 'does not designate 203.0.113.140 as permitted sender'

# HELO identity.
out=$(check --client-ip 203.0.113.160 --helo mail.spf.test --mail-from '<user@pass.spf.test>')
expect_eq "spf-helo pass" "$(result_of "$out" spf-helo)" pass
expect_match "A-R spf-helo" "$(ar_of "$out")" 'spf=pass smtp.helo=mail.spf.test'
out=$(check --client-ip 203.0.113.160 --helo badhelo.spf.test --mail-from '<user@pass.spf.test>')
expect_eq "spf-helo fail" "$(result_of "$out" spf-helo)" fail
out=$(check --client-ip 203.0.113.160 --helo '[203.0.113.160]' --mail-from '<user@pass.spf.test>')
expect_eq "spf-helo address literal: none" "$(result_of "$out" spf-helo)" none
ar=$(ar_of "$out")
expect_eq "spf-helo address literal: no A-R entry" "$([[ $ar == *smtp.helo* ]] && echo yes || echo no)" no
out=$(check --client-ip 203.0.113.160 --helo OEMCOMPUTER --mail-from '<user@pass.spf.test>')
expect_eq "spf-helo single label: none" "$(result_of "$out" spf-helo)" none

# Null sender: the MAIL FROM identity is postmaster@HELO, scored by spf-helo.
out=$(check --client-ip 203.0.113.160 --helo mail.spf.test --mail-from '<>')
expect_eq "null sender: spf none" "$(result_of "$out" spf)" none
expect_match "null sender: detail" "$(detail_of "$out" spf)" 'null sender.*postmaster@mail.spf.test'
expect_eq "null sender: spf-helo pass" "$(result_of "$out" spf-helo)" pass
ar=$(ar_of "$out")
expect_match "null sender: A-R has the HELO result" "$ar" 'spf=pass smtp.helo=mail.spf.test'
expect_eq "null sender: A-R has no smtp.mailfrom" "$([[ $ar == *smtp.mailfrom* ]] && echo yes || echo no)" no

# Hostile MAIL FROM domains: none without a lookup, never a crash.
for from in 'user@' 'user@nodot' "user@$(printf 'a%.0s' {1..70}).spf.test" 'user@a..spf.test'; do
  out=$(check --client-ip 203.0.113.130 --helo mail.spf.test --mail-from "<$from>")
  expect_eq "bad domain '${from:0:30}': none" "$(result_of "$out" spf)" none
done
finish
