#!/usr/bin/env bash
# test_postfix_relay.sh — the open-relay guard (check `relay`) inside a real
# Postfix that is configured as an open relay: mynetworks = 0.0.0.0/0, so
# permit_mynetworks lets every client relay. Recipient domains are in
# tests/dns/relay.test.zone; clients are faked with XCLIENT.
#   1 a foreign domain (its MX is not us; Postfix sends it with smtp to that
#     MX): 550 at the client, relay:open-relay and floor=relay:open-relay in
#     the milter's log line, nothing queued
#   2 three relay attempts: all rejected, ONE loud "OPEN RELAY" warning
#     naming smtpd_relay_restrictions and mynetworks (rate-limited)
#   3 our domain (MX = our public address), a backup-MX domain (MX lists
#     $myhostname), a domain Postfix routes itself (transport "relay", MX at
#     a filtering service): delivered, relay:ok
#   4 our domain and a foreign one in one message: rejected
#   5 an SASL client (XCLIENT LOGIN) to the foreign domain: accepted, not
#     scored
#   6 a milter that cannot tell who we are ({daemon_addr} 127.0.0.1 is
#     private, no helo-our-addresses: behind NAT): accepted, relay:unknown
#   7 the check command given the same macros (--server-*, --rcpt-mailer)
# usage: test_postfix_relay.sh PATH/TO/legit-milter  (root + Postfix, else 77)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/integration/postfix/harness.sh"
pf_require
trap 'pf_stop; cleanup' EXIT
start_dns "$SRC/tests/dns/relay.test.zone"
pf_init

# Every points row 0 (iprev too): only the relay finding's floor decides.
points_conf "$WORK/p.conf"
sed -i 's/^\(iprev\.[a-z-]*\) = .*/\1 = 0/' "$WORK/p.conf"
milter_start guard -c "$WORK/p.conf" --helo-our-addresses 192.0.2.25
milter_start nat -c "$WORK/p.conf"
pf_listener guard "smtpd_milters=inet:127.0.0.1:$MPORT_guard"
pf_listener nat "smtpd_milters=inet:127.0.0.1:$MPORT_nat"
# The open relay: every client is in mynetworks. Our domains are relay
# domains delivered to smtp-sink; filtered.relay.test goes through the
# "relay" transport (transport_maps); everything else is smtp to its MX.
PF_MAIN_EXTRA=(
  "mynetworks = 0.0.0.0/0"
  "relay_domains = shop.relay.test backup.relay.test filtered.relay.test"
  "relay_transport = smtp:[127.0.0.1]:$SINK_PORT"
  "transport_maps = inline:{filtered.relay.test=relay:[127.0.0.1]:$SINK_PORT}"
  "default_transport = smtp"
)
pf_start "$MPORT_guard"

msg() {  # msg SUBJECT: a message file, printed path
  local f="$WORK/m.$RANDOM$RANDOM.eml"
  printf 'From: <alice@sender.relay.test>\nTo: <x@relay.test>\nSubject: %s\nMessage-ID: <%s@sender.relay.test>\n\nHello.\n' \
    "$1" "$RANDOM$RANDOM" >"$f"
  echo "$f"
}
CLIENT=(--helo mail.sender.relay.test --from alice@sender.relay.test)
send() {  # send LISTENER LOGIN|"" RCPT...: one message from 198.18.0.10
  local l=$1 login=$2 to; shift 2
  to=$(IFS=,; echo "$*")
  pf_swaks "$l" $(xclient 198.18.0.10 mail.sender.relay.test $login) "${CLIENT[@]}" --to "$to" \
    --data "@$(msg "relay test $l $to")"
}
# the milter log line of the last transaction on LISTENER's milter (rejected
# messages have a queue id too: Postfix assigns it at MAIL FROM)
last_line() { grep ' score=' "$PF/milter-$1.log" | tail -1; }

# ---------------------------------------------------------------- 1, 2 open relay
send guard "" bob@foreign.relay.test
expect_match "1: foreign domain: 550 5.7.1 at the client" "$SW_OUT" '<\*\* 550 5\.7\.1 '
expect_match "1: the reply says Relay access denied and why" "$SW_OUT" '<\*\* 550 5\.7\.1 Relay access denied: recipient domain .*foreign\.relay\.test'
expect_eq "1: foreign domain: not queued" "$SW_QID" ""
L=$(last_line guard)
# 0 points in the table; the floor's finding carries the score into the reject band (verdict.h)
expect_match "1: log line: relay:open-relay" "$L" ' score=-8\.5 action=reject .*checks=.*relay:open-relay\(-8\.5\)'
expect_match "1: log line: the floor names it" "$L" ' floor=relay:open-relay( |$)'
expect_match "1: maillog: milter-reject" "$(grep 'milter-reject: END-OF-MESSAGE' "$PF/maillog" | tail -1)" \
  'to=<bob@foreign\.relay\.test>'
send guard "" carol@foreign.relay.test
R2=$SW_OUT
send guard "" dave@foreign.relay.test
expect_match "2: second attempt rejected" "$R2" '<\*\* 550 5\.7\.1 '
expect_match "2: third attempt rejected" "$SW_OUT" '<\*\* 550 5\.7\.1 '
expect_eq "2: three open-relay lines" "$(grep -c 'relay:open-relay' "$PF/milter-guard.log")" 3
expect_eq "2: one OPEN RELAY warning (rate-limited)" "$(grep -c 'OPEN RELAY' "$PF/milter-guard.log")" 1
expect_match "2: the warning names the Postfix settings" "$(grep 'OPEN RELAY' "$PF/milter-guard.log")" \
  'smtpd_relay_restrictions.*mynetworks'

# ---------------------------------------------------------------- 3 ours
for to in bob@shop.relay.test bob@backup.relay.test bob@filtered.relay.test; do
  send guard "" "$to"
  expect_eq "3: $to: accepted" "$SW_RC" 0
  if f=$(sink_file "$SW_QID"); then ok "3: $to: delivered ($SW_QID)"; else
    fail "3: $to: delivered" "qid '$SW_QID' not at smtp-sink in 15 s; maillog: $(grep -F "$SW_QID" "$PF/maillog" | tail -3)"; fi
  expect_match "3: $to: relay:ok, accept" "$(milter_line guard "$SW_QID")" ' action=accept .*relay:ok\(0\)'
done

# ---------------------------------------------------------------- 4 mixed
send guard "" bob@shop.relay.test bob@foreign.relay.test
expect_match "4: ours + foreign in one message: 550" "$SW_OUT" '<\*\* 550 5\.7\.1 '

# ---------------------------------------------------------------- 5 SASL
send guard alice bob@foreign.relay.test
expect_eq "5: SASL client to a foreign domain: accepted" "$SW_RC" 0
expect_match "5: SASL: not scored" "$(milter_line guard "$SW_QID")" ' action=accept reason=authenticated auth=<alice>'

# ---------------------------------------------------------------- 6 NAT
send nat "" bob@foreign.relay.test
expect_eq "6: cannot tell who we are: accepted" "$SW_RC" 0
expect_match "6: relay:unknown" "$(milter_line nat "$SW_QID")" ' action=accept .*relay:unknown\(0\)'
expect_eq "6: no warning" "$(grep -c 'OPEN RELAY' "$PF/milter-nat.log")" 0

# ---------------------------------------------------------------- 7 check command
# The same judgement offline: --server-addr/--server-name stand for the
# macros, --rcpt-mailer for Postfix's route (next hop: the recipient domain).
chk() {
  noleak "$BIN" check --json -c "$WORK/p.conf" --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 2 --log stderr \
    --client-ip 198.18.0.10 --helo mail.sender.relay.test --mail-from alice@sender.relay.test \
    --server-name mx.e2e.test --server-addr 192.0.2.25 "$@" 2>>"$WORK/stderr"
}
expect_eq "7: check --rcpt-mailer smtp, foreign: open-relay" \
  "$(results_of "$(chk --rcpt bob@foreign.relay.test --rcpt-mailer smtp)" relay)" open-relay
expect_eq "7: check --rcpt-mailer smtp, backup MX: ok" \
  "$(results_of "$(chk --rcpt bob@backup.relay.test --rcpt-mailer smtp)" relay)" ok
expect_eq "7: check without --rcpt-mailer: unknown" \
  "$(results_of "$(chk --rcpt bob@foreign.relay.test)" relay)" unknown

S=$(sanitizer_errors)
expect_eq "no sanitizer reports" "$S" ""
finish
