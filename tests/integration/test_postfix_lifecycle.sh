#!/usr/bin/env bash
# test_postfix_lifecycle.sh — reload and stop of the real legit-milter inside
# a real Postfix (postfix/harness.sh), offline on loopback:
#   1 reload under load: 400 messages on 100 SMTP connections while the config
#     is reloaded with SIGHUP/SIGUSR1 (iprev.pass 1 <-> 3, and one broken
#     file): every message 250 and delivered, none lost, each with exactly
#     one X-Legit-Score and one milter log line (none scored twice);
#   2 after a reload the next message's X-Legit-Score has the new points; a
#     broken file leaves them live;
#   3 SIGTERM with a message in the middle of its DATA: the message is
#     delivered with its verdict (not reset), and the milter exits right after.
# usage: test_postfix_lifecycle.sh PATH/TO/legit-milter  (root + Postfix, else 77)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/integration/postfix/harness.sh"
pf_require
trap 'pf_stop; cleanup' EXIT
start_dns "$SRC/tests/dns/e2e.test.zone" "$SRC/tests/dns/e2e-reverse.zone" "$SRC/tests/dns/e2e-reverse6.zone"
pf_init
points_conf "$WORK/base.conf"
pass_conf() {  # pass_conf POINTS [EXTRA-LINE]: the test config with iprev.pass = POINTS
  { [ -n "${2:-}" ] && echo "$2"; sed "s/^iprev.pass = .*/iprev.pass = $1/" "$WORK/base.conf"; } >"$WORK/live.conf.new"
  mv "$WORK/live.conf.new" "$WORK/live.conf"
}
pass_conf 1
milter_start live -c "$WORK/live.conf"
pf_listener live "smtpd_milters=inet:127.0.0.1:$MPORT_live" milter_default_action=tempfail
pf_start "$MPORT_live"
LOG=$PF/milter-live.log
GOOD=(--helo mail.e2e.test --from sender@e2e.test --to rcpt@example.net)
wait_log() { wait_line "$LOG" "$1" "$2" 150; }  # wait_log REGEX COUNT: the milter log (15 s)
score_of() { grep -m1 '^X-Legit-Score:' "$1" | sed 's/^X-Legit-Score: //'; }
next_score() {  # next_score NAME REGEX: one message through Postfix, its X-Legit-Score
  local f
  pf_swaks live $(xclient 198.18.0.10 mail.e2e.test) "${GOOD[@]}"
  if f=$(sink_file "$SW_QID"); then expect_match "$1" "$(score_of "$f")" "$2"; else fail "$1" "not delivered: $SW_OUT"; fi
}

# ---------------------------------------------------------------- 1 load
# 4 senders in parallel, each 25 SMTP connections of 4 messages (a milter
# connection keeps the config it started with: many connections, so that
# every reload is seen by the next ones).
C=25 M=4
for c in 1 2 3 4; do
  (
    for k in $(seq 1 $C); do
      specs=()
      for i in $(seq 1 $M); do
        f=$WORK/m$c.$k.$i.eml
        printf 'From: <sender@e2e.test>\nTo: <rcpt@example.net>\nSubject: load-%s-%s-%s\n\nHello.\n' "$c" "$k" "$i" >"$f"
        specs+=("sender@e2e.test,rcpt@example.net,$f")
      done
      $PY "$SRC/tests/integration/postfix/multi_send.py" "$PORT_live" 198.18.0.10 mail.e2e.test mail.e2e.test \
        "${specs[@]}"
    done
  ) >"$WORK/load.$c.out" 2>&1 &
  SENDERS+=($!)
done
N=$((4 * C * M))
reloads=0
while kill -0 "${SENDERS[@]}" 2>/dev/null; do
  case $((reloads % 4)) in
    0) pass_conf 3; kill -HUP "$MPID_live" ;;
    1) pass_conf 1; kill -USR1 "$MPID_live" ;;
    2) pass_conf 3 "mode = broken"; kill -HUP "$MPID_live" ;;
    3) pass_conf 1; kill -HUP "$MPID_live" ;;
  esac
  reloads=$((reloads + 1))
  sleep 0.1
done
wait "${SENDERS[@]}"
echo "     $reloads reload signals during $N messages"
expect_eq "load: the milter survived every reload" "$(kill -0 "$MPID_live" 2>&1 && echo alive)" alive
expect_eq "load: every message accepted (250)" "$(cat "$WORK"/load.*.out | grep -c '^250 ')" "$N"
QIDS=$(cat "$WORK"/load.*.out | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p')
lost=0 twice=0 unscored=0 lines=0 old=0 new=0
for q in $QIDS; do
  f=$(sink_file "$q") || { lost=$((lost + 1)); continue; }
  n=$(grep -c '^X-Legit-Score:' "$f")
  [ "$n" -gt 1 ] && twice=$((twice + 1))
  [ "$n" -eq 0 ] && unscored=$((unscored + 1))
  [ "$(grep -c " $q: " "$LOG")" -eq 1 ] || lines=$((lines + 1))
  case $(score_of "$f") in *"iprev=pass(1)"*) old=$((old + 1)) ;; *"iprev=pass(3)"*) new=$((new + 1)) ;; esac
done
echo "     delivered with iprev=pass(1): $old, with iprev=pass(3): $new"
expect_eq "load: no message lost (each queue id in the sink)" "$lost" 0
expect_eq "load: none scored twice (one X-Legit-Score each)" "$twice" 0
expect_eq "load: none unscored" "$unscored" 0
expect_eq "load: one milter log line per message" "$lines" 0
expect_eq "load: both configs were live during the run" "$([ "$old" -gt 0 ] && [ "$new" -gt 0 ] && echo yes)" yes
expect_match "load: a broken file was refused and logged" "$(grep -c 'reload on SIGHUP failed' "$LOG")" "^[1-9]"

# ---------------------------------------------------------------- 2 next message
before=$(grep -c 'is live (generation' "$LOG")
pass_conf 5
kill -HUP "$MPID_live"
wait_log 'is live \(generation' $((before + 1)) || fail "reload: logged" "no line"
expect_match "reload: the change is logged" "$(grep 'is live (generation' "$LOG" | tail -1)" \
  "changed: points.iprev.pass \([13] -> 5\)"
next_score "reload: the next message has the new points" "iprev=pass\(5\)"
failed=$(grep -c 'reload on SIGHUP failed' "$LOG")
pass_conf 7 "mode = sideways"
kill -HUP "$MPID_live"
wait_log 'reload on SIGHUP failed' $((failed + 1)) || fail "reload: a broken file is logged" "no line"
expect_match "reload: a broken file names option, file and line" "$(grep 'reload on SIGHUP failed' "$LOG" | tail -1)" \
  "option 'mode': 'sideways' is not one of: enforce, dry-run \(in .*live.conf line 1\)"
next_score "reload: after a broken file the old points stay live" "iprev=pass\(5\)"

# ---------------------------------------------------------------- 3 SIGTERM mid-DATA
$PY - "$PORT_live" "$MPID_live" >"$WORK/drain.out" 2>&1 <<'PYEOF'
import os, signal, smtplib, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.ehlo("mail.e2e.test")
s.docmd("XCLIENT", "ADDR=198.18.0.10 NAME=mail.e2e.test REVERSE_NAME=mail.e2e.test")
s.ehlo_resp = None
s.ehlo("mail.e2e.test")
s.mail("sender@e2e.test"); s.rcpt("rcpt@example.net")
code, _ = s.docmd("DATA")
s.send(b"From: <sender@e2e.test>\r\nTo: <rcpt@example.net>\r\nSubject: drain\r\n")
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
t0 = time.time()
time.sleep(0.5)
s.send(b"\r\nHello, in flight while the milter stops.\r\n.\r\n")
code, text = s.getreply()
print("reply %d %s" % (code, text.decode()))
s.quit()
print("sent-at %.3f" % t0)
PYEOF
t_end=$(date +%s.%N)
stopped=no
for _ in $(seq 1 50); do kill -0 "$MPID_live" 2>/dev/null || { stopped=yes; break; }; sleep 0.1; done
expect_match "drain: the message in flight is accepted by Postfix" "$(cat "$WORK/drain.out")" "^reply 250 .*queued as"
q=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$WORK/drain.out")
f=$(sink_file "$q") && expect_match "drain: ... delivered with its X-Legit-Score" "$(score_of "$f")" "iprev=pass\(5\)" ||
  fail "drain: ... delivered with its X-Legit-Score" "not in the sink: $(cat "$WORK/drain.out")"
expect_eq "drain: the milter exits after it (within 5 s)" "$stopped" yes
expect_match "drain: the milter logged the wait" "$(cat "$LOG")" "stopping on SIGTERM: connections=1 messages-in-flight=1"
expect_match "drain: ... and the end of it" "$(cat "$LOG")" "messages in flight finished after [0-9]+ ms"
expect_eq "drain: Postfix logged no milter error for it" \
  "$(grep -F "$q" "$PF/maillog" | grep -ciE 'milter.*(error|unexpected|default action)')" 0
expect_eq "no ASan/UBSan report in the milter log" "$(sanitizer_errors)" ""
finish
