#!/usr/bin/env bash
# test_postfix_e2e.sh — legit-milter inside a real Postfix, offline on loopback.
#
# A private Postfix (postfix -c $WORK/pf/etc, own queue, maillog file, chroot
# n) relays everything to smtp-sink, which keeps each message in a file; the
# real legit-milter binary ($1) scores with tests/dns/e2e*.zone served by
# zoneserver.py; swaks is the client, clients and PTR names are faked with
# XCLIENT. One smtpd listener per scenario (postfix/harness.sh pf_listener).
#
# The points come from a per-test config: every row of --dump-config set to
# 0 except iprev (pass +1, permerror -5 = quarantine, fail -20 = reject), so
# the verdicts hold whatever checks and default points the milter ships.
#   1 delivered: one X-Legit-Score, one A-R with our authserv-id, forged copies
#     gone, other A-R kept (IPv4 and IPv6 clients)
#   2 reject: 550 5.7.1 + our text at the client, milter-reject in the maillog
#   3 quarantine: hold queue, our headers in the held file
#   4 --mode dry-run: delivered, "dry-run would reject" in header and log
#   5 SASL (XCLIENT LOGIN) and trusted network: delivered, not scored
#   6 amavis-like re-injection (content_filter -> 127.0.0.1 listener with
#     smtpd_milters= , or with the milter and a trusted client): one header
#   7 milter stopped: milter_default_action tempfail (451 4.7.1) / accept
#   8 three messages on one connection: each scored, own queue id in the log
#   9 macros with Postfix's default milter_*_macros (a protocol spy)
#  11 probes (postfix/probe_scenarios.sh): EHLO+QUIT, ".", no HELO -> one
#     "probe:" line each in the milter log, Postfix's replies unchanged
#  12 report (postfix/report_scenarios.sh): `legit-milter report` over the
#     milter logs 1-11 wrote, its counts against grep, the --html page
#  10 contrib/systemd's layout: unix socket in the queue directory, setgid
#     directory of group postfix, milter unprivileged with umask 0007
# usage: test_postfix_e2e.sh PATH/TO/legit-milter  (root + Postfix, else 77)
# LEGIT_E2E_LOGDIR=DIR keeps the milter logs and the maillog there.
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/integration/postfix/harness.sh"
pf_require
trap 'pf_stop; cleanup' EXIT
T0=$(date +%s)
start_dns "$SRC/tests/dns/e2e.test.zone" "$SRC/tests/dns/e2e-reverse.zone" "$SRC/tests/dns/e2e-reverse6.zone"
pf_init

# ---------------------------------------------------------------- set-up
points_conf "$WORK/e2e.conf"

milter_start enf -c "$WORK/e2e.conf" --trusted-networks "127.0.0.0/8 ::1/128 198.18.0.64/26"
milter_start dry -c "$WORK/e2e.conf" --mode dry-run
SPY_PORT=$(free_port)
$PY "$SRC/tests/integration/postfix/milter_spy.py" "$SPY_PORT" "$MPORT_enf" "$PF/spy.jsonl" >"$PF/spy.out" 2>&1 &
PIDS+=($!)
wait_port "$SPY_PORT" || { echo "milter_spy did not start"; cat "$PF/spy.out"; exit 1; }

M_ENF="smtpd_milters=inet:127.0.0.1:$MPORT_enf"
pf_listener enf "$M_ENF"
pf_listener dry "smtpd_milters=inet:127.0.0.1:$MPORT_dry" milter_default_action=tempfail
pf_listener dryacc "smtpd_milters=inet:127.0.0.1:$MPORT_dry" milter_default_action=accept
pf_listener reinj smtpd_milters= content_filter=   # like amavis' 127.0.0.1:10025
pf_listener reinjt "$M_ENF" content_filter=        # the same, milter kept (trusted)
pf_listener amavis "$M_ENF" "content_filter=smtp:[127.0.0.1]:$PORT_reinj"
pf_listener amavist "$M_ENF" "content_filter=smtp:[127.0.0.1]:$PORT_reinjt"
pf_listener spy "smtpd_milters=inet:127.0.0.1:$SPY_PORT"
pf_listener dot "$M_ENF" smtpd_forbidden_commands=CONNECT,GET,POST  # "." reaches the milter (11)
pf_listener unix smtpd_milters=unix:legit-milter/legit-milter.sock  # relative to queue_directory
pf_start "$MPORT_enf"
echo "# set-up: $(($(date +%s) - T0)) s"

# A message carrying a forged verdict: our header, our A-R (twice, one in
# another case), and someone else's A-R that must stay.
cat >"$WORK/forged.eml" <<'EOF'
From: Sender <sender@e2e.test>
To: <rcpt@example.net>
Subject: e2e forged verdict
Message-ID: <forged.1@e2e.test>
X-Legit-Score: 99 (accept) forged-by-client
Authentication-Results: mx.e2e.test; iprev=pass policy.iprev=198.18.0.10
Authentication-Results: other.example; spf=pass smtp.mailfrom=e2e.test
Authentication-Results: MX.E2E.TEST; dkim=pass header.d=e2e.test

Hello from the e2e test.
EOF
plain_msg() {  # plain_msg FILE SUBJECT
  printf 'From: <sender@e2e.test>\nTo: <rcpt@example.net>\nSubject: %s\nMessage-ID: <%s@e2e.test>\n\nHello.\n' \
    "$2" "$RANDOM$RANDOM" >"$1"
}
GOOD=(--helo mail.e2e.test --from sender@e2e.test --to rcpt@example.net)
# hdr FILE PYEXPR: evaluate on the message's headers (j = [[name, value]...])
hdr() { json_get "$(headers_json "$1")" "$2"; }
count() { hdr "$1" "len([v for n, v in j if n.lower() == '$2'.lower()])"; }
ours() { hdr "$1" "len([v for n, v in j if n.lower() == 'authentication-results' and v.lower().startswith('mx.e2e.test;')])"; }
value() { hdr "$1" "([v for n, v in j if n.lower() == '$2'.lower()] + [''])[0]"; }

# ---------------------------------------------------------------- 1 delivered
s1_delivered() {
  pf_swaks enf $(xclient 198.18.0.10 mail.e2e.test) "${GOOD[@]}" --data "@$WORK/forged.eml"
  expect_eq "1: accepted (swaks exit)" "$SW_RC" 0
  local f; f=$(sink_file "$SW_QID") || { fail "1: delivered to the sink" "qid '$SW_QID' not found"; return; }
  ok "1: delivered to the sink ($SW_QID)"
  expect_eq "1: exactly one X-Legit-Score" "$(count "$f" X-Legit-Score)" 1
  expect_match "1: X-Legit-Score is ours" "$(value "$f" X-Legit-Score)" '^1 \(accept\) .*iprev=pass\(1\)'
  expect_eq "1: exactly one A-R with our authserv-id" "$(ours "$f")" 1
  expect_eq "1: X-Legit-Score and our A-R on top, above the message's own headers" \
    "$(hdr "$f" "[n if not v.startswith('mx.e2e.test;') else 'ours' for n, v in j if n in ('X-Legit-Score', 'Authentication-Results', 'From', 'Subject')][:2]")" \
    "['X-Legit-Score', 'ours']"
  expect_match "1: our A-R has iprev=pass" \
    "$(hdr "$f" "[v for n, v in j if v.startswith('mx.e2e.test;')][0]")" 'iprev=pass .*policy.iprev=198.18.0.10'
  expect_eq "1: other A-R kept" "$(hdr "$f" "len([v for n, v in j if v.startswith('other.example;')])")" 1
  expect_eq "1: forged values gone" "$(grep -ciE 'forged-by-client|dkim=pass header.d=e2e' "$f")" 0
  expect_match "1: milter log line" "$(milter_line enf "$SW_QID")" \
    "$SW_QID: client=mail.e2e.test\[198.18.0.10\] helo=<mail.e2e.test> from=<sender@e2e.test> score=1 action=accept forged-removed=3 "
  # IPv6 client (XCLIENT ADDR=IPV6:...)
  plain_msg "$WORK/v6.eml" "e2e ipv6"
  pf_swaks enf $(xclient IPV6:2001:db8:e2e::10 mail.e2e.test) "${GOOD[@]}" --data "@$WORK/v6.eml"
  f=$(sink_file "$SW_QID") || { fail "1: IPv6 delivered" "$(grep -E '^(<|<\*\*) ' <<<"$SW_OUT" | tail -3)"; return; }
  expect_match "1: IPv6 client scored" "$(value "$f" Authentication-Results)" \
    '^mx.e2e.test; iprev=pass .*policy.iprev="2001:db8:e2e::10"'
  # Postfix's {client_addr} for an IPv6 client is "IPv6:2001:db8:..." (RFC 5321
  # address-literal form); the log may keep or drop the tag.
  expect_match "1: IPv6 milter log" "$(milter_line enf "$SW_QID")" \
    'client=mail.e2e.test\[(IPv6:)?2001:db8:e2e::10\] .*score=1 action=accept'
}

# ---------------------------------------------------------------- 2 reject
s2_reject() {
  plain_msg "$WORK/rej.eml" "e2e reject"
  pf_swaks enf $(xclient 198.18.0.11 '[UNAVAILABLE]') --helo 198.18.0.11 --from nobody@nx.e2e.test \
    --to rcpt@example.net --data "@$WORK/rej.eml"
  expect_match "2: client sees 550 5.7.1 with our text" "$SW_OUT" \
    '<\*\* 550 5\.7\.1 Message rejected: sender failed legitimacy checks \(score -20\)'
  expect_eq "2: not queued" "$SW_QID" ""
  local line qid
  line=$(grep 'milter-reject: END-OF-MESSAGE from unknown\[198.18.0.11\]' "$PF/maillog" | tail -1)
  expect_match "2: maillog milter-reject" "$line" ': 5\.7\.1 Message rejected: sender failed legitimacy checks'
  qid=$(sed -n 's/.*cleanup\[[0-9]*\]: \([0-9A-Za-z]*\): milter-reject.*/\1/p' <<<"$line")
  expect_match "2: milter log: same queue id, reject" "$(milter_line enf "$qid")" \
    "^.* legit-milter\[[0-9]+\]: $qid: client=unknown\[198.18.0.11\] helo=<198.18.0.11> from=<nobody@nx.e2e.test> score=-20 action=reject checks=iprev:fail\(-20\)"
}

# ---------------------------------------------------------------- 3 quarantine
s3_quarantine() {
  plain_msg "$WORK/q.eml" "e2e quarantine"
  pf_swaks enf $(xclient 198.18.0.12 '[UNAVAILABLE]') "${GOOD[@]}" --data "@$WORK/q.eml"
  expect_eq "3: accepted for the client (swaks exit)" "$SW_RC" 0
  local qid=$SW_QID _
  for _ in $(seq 1 50); do [ "$(queue_name "$qid")" = hold ] && break; sleep 0.1; done
  expect_eq "3: in the hold queue" "$(queue_name "$qid")" hold
  postcat -c "$PF/etc" -hq "$qid" >"$WORK/held.txt" 2>&1
  expect_eq "3: held copy has one X-Legit-Score" "$(count "$WORK/held.txt" X-Legit-Score)" 1
  expect_match "3: held copy: quarantine verdict" "$(value "$WORK/held.txt" X-Legit-Score)" \
    '^-5 \(quarantine\) .*iprev=permerror\(-5\)'
  expect_match "3: held copy: our A-R" "$(value "$WORK/held.txt" Authentication-Results)" \
    '^mx.e2e.test; iprev=permerror'
  expect_match "3: maillog milter-hold" "$(grep "$qid: milter-hold" "$PF/maillog")" 'END-OF-MESSAGE'
  expect_match "3: milter log" "$(milter_line enf "$qid")" 'score=-5 action=quarantine checks=iprev:permerror\(-5\)'
}

# ---------------------------------------------------------------- 4 dry-run
s4_dry_run() {
  plain_msg "$WORK/dry.eml" "e2e dry-run"
  pf_swaks dry $(xclient 198.18.0.11 '[UNAVAILABLE]') --helo 198.18.0.11 --from nobody@nx.e2e.test \
    --to rcpt@example.net --data "@$WORK/dry.eml"
  expect_eq "4: dry-run accepted (swaks exit)" "$SW_RC" 0
  local f; f=$(sink_file "$SW_QID") || { fail "4: delivered" "qid '$SW_QID' not found"; return; }
  expect_match "4: header says dry-run would reject" "$(value "$f" X-Legit-Score)" \
    '^-20 \(accept; dry-run would reject\) iprev=fail\(-20\)'
  expect_match "4: log says so too" "$(milter_line dry "$SW_QID")" 'score=-20 action=accept dry-run=reject checks='
}

. "$SRC/tests/integration/postfix/scenarios.sh"
. "$SRC/tests/integration/postfix/probe_scenarios.sh"
. "$SRC/tests/integration/postfix/report_scenarios.sh"

s1_delivered
s2_reject
s3_quarantine
s4_dry_run
s5_not_scored
s6_reinjection
s8_one_connection
s9_macros
s10_unix_socket
s11_probes
s7_milter_stopped   # stops the dry-run milter
s12_report          # last: reads the logs of all the others
expect_eq "no sanitizer report in the milter logs" "$(sanitizer_errors)" ""

echo "# runtime: $(($(date +%s) - T0)) s"
if [ -n "${LEGIT_E2E_LOGDIR:-}" ]; then
  mkdir -p "$LEGIT_E2E_LOGDIR" && cp "$PF"/milter-*.log "$PF/maillog" "$LEGIT_E2E_LOGDIR/"
fi
finish
