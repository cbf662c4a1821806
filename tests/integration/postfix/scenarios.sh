# scenarios.sh — scenarios 5 to 9 of test_postfix_e2e.sh (sourced by it; uses
# its helpers hdr/count/ours/value/plain_msg and the listeners it set up):
#   5 SASL-authenticated and trusted-network clients: delivered, not scored
#   6 amavis-like re-injection hop: the verdict survives, never doubled
#   7 milter stopped: Postfix's milter_default_action, tempfail and accept
#   8 three messages on one connection: each scored, each with its queue id
#   9 the macros a real Postfix sends with its default milter_*_macros

s5_not_scored() {
  pf_swaks enf $(xclient 198.18.0.11 '[UNAVAILABLE]' alice) "${GOOD[@]}" --data "@$WORK/forged.eml"
  expect_eq "5: SASL client accepted (would be rejected unauthenticated)" "$SW_RC" 0
  local f; f=$(sink_file "$SW_QID") || { fail "5: SASL delivered" "qid '$SW_QID' not found"; return; }
  expect_eq "5: SASL: no X-Legit-Score at all" "$(count "$f" X-Legit-Score)" 0
  expect_eq "5: SASL: our A-R is auth=pass" \
    "$(hdr "$f" "[v for n, v in j if v.lower().startswith('mx.e2e.test;')]")" \
    "['mx.e2e.test; auth=pass smtp.auth=alice']"
  expect_eq "5: SASL: other A-R kept" "$(hdr "$f" "len([v for n, v in j if v.startswith('other.example;')])")" 1
  expect_match "5: SASL: milter log" "$(milter_line enf "$SW_QID")" \
    'client=unknown\[198.18.0.11\] .* action=accept reason=authenticated auth=<alice> forged-removed=3$'

  # 198.18.0.70 is in the milter's trusted-networks (198.18.0.64/26 added)
  pf_swaks enf $(xclient 198.18.0.70 relay.e2e.test) "${GOOD[@]}" --data "@$WORK/forged.eml"
  f=$(sink_file "$SW_QID") || { fail "5: trusted delivered" "qid '$SW_QID' not found"; return; }
  ok "5: trusted client delivered"
  expect_eq "5: trusted: its X-Legit-Score kept as it was" "$(value "$f" X-Legit-Score)" "99 (accept) forged-by-client"
  expect_eq "5: trusted: its A-R kept (both)" "$(ours "$f")" 2
  expect_match "5: trusted: milter log" "$(milter_line enf "$SW_QID")" \
    'client=relay.e2e.test\[198.18.0.70\] .* action=accept reason=trusted$'
}

# The first smtpd (milter on) hands the message to a content filter; here the
# "filter" is Postfix's own smtp client straight back into a 127.0.0.1
# listener, as amavis would re-inject on 127.0.0.1:10025.
s6_one_hop() {  # s6_one_hop LABEL LISTENER
  local label=$1 listener=$2 f ids
  plain_msg "$WORK/hop.eml" "e2e re-injection $label"
  pf_swaks "$listener" $(xclient 198.18.0.10 mail.e2e.test) "${GOOD[@]}" --data "@$WORK/hop.eml"
  f=$(sink_file "$SW_QID") || { fail "6 $label: delivered after the hop" "qid '$SW_QID' not found"; return; }
  ids=$(hdr "$f" "' '.join(v.split(' id ')[1].split()[0].rstrip(';') for n, v in j if n == 'Received' and 'by mx.e2e.test' in v)")
  expect_eq "6 $label: two passes through Postfix" "$(wc -w <<<"$ids")" 2
  expect_eq "6 $label: one X-Legit-Score" "$(count "$f" X-Legit-Score)" 1
  expect_match "6 $label: it is the first pass's verdict" "$(value "$f" X-Legit-Score)" '^1 \(accept\) .*iprev=pass\(1\)'
  expect_eq "6 $label: one A-R of ours" "$(ours "$f")" 1
  expect_match "6 $label: first pass scored" "$(milter_line enf "$SW_QID")" 'score=1 action=accept'
  HOP2=${ids%% *}  # the newest Received (second pass) comes first
}

s6_reinjection() {
  s6_one_hop "smtpd_milters=" amavis
  expect_eq "6 smtpd_milters=: milter never saw the second pass" "$(milter_line enf "$HOP2" | wc -l)" 0
  s6_one_hop "trusted" amavist
  expect_match "6 trusted: second pass is trusted, not scored" "$(milter_line enf "$HOP2")" \
    'client=unknown\[127.0.0.1\] .* action=accept reason=trusted$'
}

s7_milter_stopped() {
  milter_stop dry
  local before
  before=$(postqueue -c "$PF/etc" -j | wc -l)
  plain_msg "$WORK/down.eml" "e2e milter down"
  pf_swaks dry $(xclient 198.18.0.10 mail.e2e.test) "${GOOD[@]}" --data "@$WORK/down.eml"
  expect_match "7 tempfail: client sees 451 4.7.1" "$SW_OUT" '<\*\* 451 4\.7\.1 '
  expect_eq "7 tempfail: not accepted (the client keeps it and retries)" "$SW_QID" ""
  expect_eq "7 tempfail: nothing queued" "$(postqueue -c "$PF/etc" -j | wc -l)" "$before"
  expect_match "7 tempfail: maillog names the milter" \
    "$(grep "connect to Milter service inet:127.0.0.1:$MPORT_dry" "$PF/maillog" | tail -1)" 'Connection refused'
  pf_swaks dryacc $(xclient 198.18.0.11 '[UNAVAILABLE]') "${GOOD[@]}" --data "@$WORK/down.eml"
  expect_eq "7 accept: accepted (swaks exit)" "$SW_RC" 0
  local f; f=$(sink_file "$SW_QID") || { fail "7 accept: delivered" "qid '$SW_QID' not found"; return; }
  expect_eq "7 accept: delivered without X-Legit-Score" "$(count "$f" X-Legit-Score)" 0
  expect_eq "7 accept: and without our A-R" "$(ours "$f")" 0
}

s8_one_connection() {
  plain_msg "$WORK/m1.eml" "e2e conn 1"
  plain_msg "$WORK/m3.eml" "e2e conn 3"
  local out qids=() i from f
  out=$($PY "$SRC/tests/integration/postfix/multi_send.py" "$PORT_enf" 198.18.0.10 mail.e2e.test \
    mail.e2e.test "a@e2e.test,r1@example.net,$WORK/m1.eml" "b@e2e.test,r2@example.net,$WORK/forged.eml" \
    "c@e2e.test,r3@example.net,$WORK/m3.eml" 2>&1)
  mapfile -t qids < <(sed -n 's/^250 .*queued as \([0-9A-Za-z]*\).*/\1/p' <<<"$out")
  expect_eq "8: three messages accepted on one connection" "${#qids[@]}" 3
  expect_eq "8: three different queue ids" "$(printf '%s\n' "${qids[@]}" | sort -u | wc -l)" 3
  # smtpd logs the disconnect after its 221 reaches the client: wait for it
  wait_line "$PF/maillog" 'disconnect from mail\.e2e\.test\[198\.18\.0\.10\].* mail=3 rcpt=3 data=3 ' 1 50
  expect_match "8: one SMTP session carried them (maillog)" "$(grep 'disconnect from mail.e2e.test\[198.18.0.10\]' "$PF/maillog")" \
    ' mail=3 rcpt=3 data=3 '
  for i in 0 1 2; do
    from=$(printf '%s\n' a b c | sed -n "$((i + 1))p")
    expect_eq "8: message $((i + 1)): one milter line for ${qids[$i]}" "$(milter_line enf "${qids[$i]}" | wc -l)" 1
    expect_match "8: message $((i + 1)): scored on its own" "$(milter_line enf "${qids[$i]}")" \
      "${qids[$i]}: client=mail.e2e.test\[198.18.0.10\] .*from=<$from@e2e.test> score=1 action=accept"
    expect_match "8: message $((i + 1)): Postfix logged the same queue id" \
      "$(grep "${qids[$i]}: client=" "$PF/maillog")" 'client=mail.e2e.test\[198.18.0.10\]'
    f=$(sink_file "${qids[$i]}") && expect_eq "8: message $((i + 1)): one X-Legit-Score" "$(count "$f" X-Legit-Score)" 1
  done
  expect_match "8: forged header removed in message 2 only" \
    "$(milter_line enf "${qids[1]}")|$(milter_line enf "${qids[0]}")$(milter_line enf "${qids[2]}")" \
    'forged-removed=3 [^|]*\|[^|]*$'
  [[ "$(milter_line enf "${qids[0]}")$(milter_line enf "${qids[2]}")" == *forged-removed* ]] &&
    fail "8: messages 1 and 3 had nothing to remove" "forged-removed in their log lines"
}

# spy_has STAGE MACRO VALUE: a macro packet for STAGE (C connect, M mail, E
# end of message) carried MACRO=VALUE in some milter connection.
spy_has() {
  $PY - "$PF/spy.jsonl" "$@" <<'EOF'
import json, sys
f, stage, name, want = sys.argv[1:]
rows = [json.loads(l) for l in open(f)]
got = [r["macros"].get(name) for r in rows if r.get("cmd") == "D" and r.get("stage") == stage]
print("yes" if want in got else "no: %s" % got)
EOF
}

# spy_steps: "OFFERED NEGOTIATED REPLIES" of the spy's first connection
# that carried a message (XCLIENT makes Postfix reconnect first):
# the protocol-step words Postfix offered and the milter chose (hex), and
# the milter's answers in order (one letter each).
spy_steps() {
  $PY - "$PF/spy.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
conn = min(r["conn"] for r in rows if r.get("side") == "mta" and r.get("cmd") == "E")
mine = [r for r in rows if r.get("conn") == conn]
offer = [r["steps"] for r in mine if r.get("side") == "mta" and r.get("cmd") == "O"]
chose = [r["steps"] for r in mine if r.get("side") == "milter" and r.get("cmd") == "O"]
answers = "".join(r["cmd"] for r in mine if r.get("side") == "milter" and r.get("cmd") != "O")
print("%s %s %s" % (hex(offer[0]) if offer else "-", hex(chose[0]) if chose else "-", answers))
EOF
}

s9_macros() {
  expect_eq "9: main.cf sets no milter_*_macros" \
    "$(postconf -c "$PF/etc" -n | grep -c '^milter_.*_macros')" 0
  plain_msg "$WORK/spy.eml" "e2e macros"
  pf_swaks spy $(xclient 198.18.0.10 mail.e2e.test alice) "${GOOD[@]}" --data "@$WORK/spy.eml"
  local qid=$SW_QID
  sink_file "$qid" >/dev/null || fail "9: delivered" "qid '$qid' not found"
  expect_eq "9: connect: {client_addr}" "$(spy_has C '{client_addr}' 198.18.0.10)" yes
  expect_eq "9: connect: {client_name}" "$(spy_has C '{client_name}' mail.e2e.test)" yes
  expect_eq "9: mail: {auth_authen}" "$(spy_has M '{auth_authen}' alice)" yes
  expect_eq "9: end of message: i" "$(spy_has E i "$qid")" yes
  expect_match "9: milter asked for them (setsymlist)" \
    "$(grep '"side": "milter".*"symlists"' "$PF/spy.jsonl" | head -1)" '\{client_addr\}.*\{client_name\}.*auth_authen'
  expect_match "9: the milter used them" "$(milter_line enf "$qid")" \
    "$qid: client=mail.e2e.test\[198.18.0.10\] .*reason=authenticated auth=<alice>"
  # No-reply steps (issue 11): Postfix offers SMFIP_NR_* and SMFIP_SKIP; the
  # milter answers nothing before end-of-data but the body chunk, with SKIP
  # (this message is not scored: no body needed), then its header edits and
  # accept. NR_CONN..NR_EOH and NR_HDR = 0x7f080, SKIP = 0x400.
  local steps; steps=$(spy_steps)
  echo "     spy: offered/negotiated/answers: $steps"
  expect_eq "9: negotiated every no-reply step but the body's, and SKIP" "$(cut -d' ' -f2 <<<"$steps")" 0x7f480
  expect_match "9: answers: SKIP for the body, then edits and accept, no 'continue'" \
    "$(cut -d' ' -f3 <<<"$steps")" '^s[hmi]*a$' 
}

# 10: the layout of contrib/systemd: a unix socket inside the queue
# directory, in a setgid directory owned by the milter's user and group
# postfix, the milter as an unprivileged user with umask 0007, Postfix
# pointing at it with a path relative to queue_directory.
s10_unix_socket() {
  local dir=$PF/spool/legit-milter sock pid f
  sock=$dir/legit-milter.sock
  mkdir -p "$dir" && chown nobody:postfix "$dir" && chmod 2750 "$dir"
  setpriv --reuid nobody --regid nogroup --clear-groups -- sh -c 'umask 0007; exec "$@"' sh \
    "$BIN" --socket "unix:$sock" --log stderr --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 2 \
    --authserv-id mx.e2e.test -c "$WORK/e2e.conf" 2>"$PF/milter-unix.log" &
  pid=$!
  PIDS+=("$pid")
  wait_started "$PF/milter-unix.log" "$pid"
  expect_eq "10: socket group postfix, mode 660 (socket-mode, not the umask), owned by the milter user" \
    "$(stat -c '%G %a %U' "$sock" 2>&1)" "postfix 660 nobody"
  plain_msg "$WORK/unix.eml" "e2e unix socket"
  pf_swaks unix $(xclient 198.18.0.10 mail.e2e.test) "${GOOD[@]}" --data "@$WORK/unix.eml"
  f=$(sink_file "$SW_QID") || { fail "10: delivered via the unix socket" "$(tail -2 <<<"$SW_OUT")"; return; }
  expect_match "10: scored via unix:legit-milter/legit-milter.sock" "$(value "$f" X-Legit-Score)" '^1 \(accept\)'
  expect_match "10: milter ran unprivileged" "$(ps -o user= -p "$pid")" '^nobody$'
  # The same layout with the milter's own `user` option (started as root):
  # the socket goes to the user, its group stays postfix from the setgid dir.
  local usock=$dir/legit-milter-user.sock upid
  sh -c 'umask 0007; exec "$@"' sh "$BIN" --socket "unix:$usock" --user nobody --log stderr \
    --dns-server "127.0.0.1@$DNS_PORT" --authserv-id mx.e2e.test 2>"$PF/milter-user.log" &
  upid=$!
  PIDS+=("$upid")
  wait_started "$PF/milter-user.log" "$upid"
  expect_eq "10: --user keeps the socket's group postfix" "$(stat -c '%G %a %U' "$usock" 2>&1)" "postfix 660 nobody"
  expect_match "10: --user dropped privileges" "$(ps -o user= -p "$upid")" '^nobody$'
  kill "$upid" 2>/dev/null
}
