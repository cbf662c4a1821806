#!/usr/bin/env bash
# test_milter_protocol.sh — the real legit-milter binary over the milter
# protocol, on a loopback port, with a zone-file DNS server:
#   * miltertest (milter/scenarios.lua): X-Legit-Score and Authentication-
#     Results for a forward-confirmed client, forged headers removed, trusted
#     and SASL-authenticated clients, two messages and an abort on one
#     connection, a PTR that times out (temperror, still accepted);
#   * milter/milterclient.py: negotiated actions/steps/macros, DATA answered,
#     the exact index and order of header edits, reject (550 + the configured text),
#     tempfail (451 on temperror), quarantine, and end-of-message latency;
#     a forged-field flood: 50 forged X-Legit-Score all deleted, 51
#     refuse the message (550 5.7.1, logged; milter/glue/eom_actions.h);
#   * probe sessions (milterclient.py probe): EHLO then QUIT, unknown
#     commands, no HELO, MAIL without a message, a PTR that times out: every
#     step answered continue, nothing sent after QUIT, exactly one
#     "NOQUEUE: ... probe: ..." line each in the log;
#   * the log: one line per message with queue id, client, helo, from,
#     score, action; TCP_NODELAY on accepted sockets (milter/nodelay_probe.c
#     as LD_PRELOAD reads it from inside the process); -t and exit codes;
#     clean stop on SIGTERM.
# usage: test_milter_protocol.sh PATH/TO/legit-milter   (exit 77 = skipped)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
HERE="$SRC/tests/integration/milter"
command -v miltertest >/dev/null || skip "miltertest is not installed (Debian package miltertest)"
[ -x "$BIN" ] || skip "no binary at $BIN"
[ -f "$SRC/tests/dns/zoneserver.py" ] || skip "tests/dns/zoneserver.py is missing"
start_dns "$SRC/tests/dns/milter.zone" "$SRC/tests/dns/milter-reverse.zone"

# The probe shim, when a C compiler is around (it only observes, and with
# LEGIT_PROBE_BLOCK_NODELAY=1 plays the negative control).
PROBE=""
if command -v cc >/dev/null && cc -shared -fPIC -O2 -o "$WORK/probe.so" "$HERE/nodelay_probe.c" -ldl 2>"$WORK/cc.err"; then
  PROBE="$WORK/probe.so"
fi

# start_milter NAME EXTRA-ARGS... : sets PORT_<NAME>, PID_<NAME>; stderr in $WORK/NAME.err
start_milter() {
  local name=$1 port; shift
  port=$(free_port)
  env ${PROBE:+LD_PRELOAD=$PROBE} LEGIT_PROBE_LOG="$WORK/probe.$name.log" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$BIN" --socket "inet:$port@127.0.0.1" --log stderr --dns-server "127.0.0.1@$DNS_PORT" \
    --dns-timeout 2 --authserv-id mx.test.example "$@" 2>"$WORK/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  if wait_started "$WORK/$name.err" "$pid" "$port"; then
    eval "PORT_$name=$port PID_$name=$pid"
    return 0
  fi
  echo "legit-milter ($name) did not start:"; cat "$WORK/$name.err"; exit 1
}

# Feeds "ok - X" / "FAIL - X: why" lines of a helper into ok/fail.
tally() {
  local line seen=0
  while IFS= read -r line; do
    case "$line" in
      "ok - "*) ok "${line#ok - }"; seen=1 ;;
      "FAIL - "*) fail "${line#FAIL - }" "reported by the helper"; seen=1 ;;
      *) echo "     $line" ;;
    esac
  done
  return $((1 - seen))
}
run_helper() {  # NAME COMMAND... : its assertions, and a FAIL if it said nothing / exited badly
  local name=$1; shift
  "$@" >"$WORK/$name.out" 2>&1
  local rc=$?
  tally <"$WORK/$name.out" || fail "$name" "no output: $(head -c 500 "$WORK/$name.out")"
  [ $rc -eq 0 ] || fail "$name exit status" "$rc"
}

# --- command line: -t, --version, exit codes -------------------------------
out=$("$BIN" -t --dns-server "127.0.0.1@$DNS_PORT" 2>&1); rc=$?
expect_match "-t on a good configuration" "$rc:$out" "^0:configuration OK \\(no config file"
out=$("$BIN" -t --socket bogus 2>&1); rc=$?
expect_eq "-t bad socket: exit 2" "$rc" 2
expect_match "-t bad socket: names the option" "$out" "^legit-milter: option 'socket'"
expect_match "--version" "$("$BIN" --version 2>&1)" "^legit-milter [0-9]+\.[0-9]+"

# --- the main instance ------------------------------------------------------
start_milter main
expect_match "start line: version, socket, dns, mode, TCP_NODELAY" "$(head -1 "$WORK/main.err")" \
  "starting legit-milter [0-9.]+ .*socket=inet:$PORT_main@127.0.0.1 .*mode=enforce .*dns-servers=127.0.0.1@$DNS_PORT .*tcp-nodelay=on"

run_helper miltertest miltertest -D port="$PORT_main" -s "$HERE/scenarios.lua"
for t in negotiate forged forgedflood timing probe fallback hostile; do run_helper "client-$t" $PY "$HERE/milterclient.py" "$t" "$PORT_main"; done

expect_match "forged flood: the refusal is logged" "$(grep 'QFLOOD51: milter eom: 51 forged' "$WORK/main.err")" \
  'more than 50\): refused with 550 5\.7\.1'
expect_match "forged flood: the message line names the action the MTA got" \
  "$(grep ' QFLOOD51: client=' "$WORK/main.err")" ' action=reject forged-refused=51 checks='

# One log line per message: queue id, client, helo, from, score, action.
for qid in QGOOD1 QFORGED1 QAUTH2 QTWO1 QTWO2 QABORT1 QTEMP1; do
  n=$(grep -c " $qid: " "$WORK/main.err")
  expect_eq "log: one line for $qid" "$n" 1
  expect_match "log: $qid line has client, helo, from, score, action" "$(grep " $qid: " "$WORK/main.err")" \
    " $qid: client=[^ ]+\[[0-9a-f.:]+\] helo=<[^>]*> from=<[^>]*> score=-?[0-9.]+ action=(accept|quarantine|reject|tempfail)"
done
for qid in QTRUST1 QAUTH1; do
  expect_eq "log: one line for $qid (not scored)" "$(grep -cE " $qid: .* action=accept reason=(trusted|authenticated)( |$)" "$WORK/main.err")" 1
done
# Every message line is key=value fields, each key once (no free text).
expect_eq "log: message lines have unique keys, no free text" "$($PY - "$WORK/main.err" <<'PYEOF'
import re, sys
bad = []
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"\]: (\w+): (client=.*)$", line)
    if not m or " probe: " in line:
        continue
    rest = re.sub(r"=<[^>]*>", "=<>", m.group(2))  # quoted values may hold anything
    keys = [t.split("=", 1)[0] for t in rest.split(" ")]
    if any("=" not in t for t in rest.split(" ")) or len(keys) != len(set(keys)):
        bad.append(m.group(1))
print(" ".join(bad) or "ok")
PYEOF
)" ok
expect_eq "log: no line for the aborted message" "$(grep -c " QABORT0: " "$WORK/main.err")" 0
expect_eq "log: 100 lines for the 100 timed messages" "$(grep -c " QTIME[0-9]*: .*score=" "$WORK/main.err")" 100
# One probe line per session of milterclient.py probe (client probe-KIND),
# logged when libmilter closes the session: maybe after the client is gone.
wait_line "$WORK/main.err" 'client=probe-[a-z]+\.milter\.test\[' 8
while IFS='|' read -r kind want; do
  lines=$(grep -F "client=probe-$kind.milter.test[" "$WORK/main.err")
  expect_eq "probe log: one line for probe-$kind" "$(grep -c . <<<"$lines")" 1
  expect_eq "probe log: probe-$kind" "${lines#*legit-milter\[*\]: }" "NOQUEUE: client=probe-$kind.milter.test$want"
done <<'EOF'
ehlo|[203.0.113.21] helo=<User> probe: ehlo-quit iprev=fail ptr=none
dot|[203.0.113.22] helo=<> probe: unknown-command "." iprev=fail ptr=none
dots|[203.0.113.22] helo=<User> probe: unknown-command "." count=3 iprev=fail ptr=none
hostile|[203.0.113.22] helo=<> probe: unknown-command "GET / \x22x\x22\x0d\x0aX: AAAAAAAAAAAAAAAAAAAAAAAAAA..." iprev=fail ptr=none
nohelo|[203.0.113.23] helo=<> probe: no-helo iprev=fail ptr=none
pass|[203.0.113.10] helo=<mail.milter.test> probe: ehlo-quit iprev=pass ptr=mail.milter.test
nomsg|[203.0.113.21] helo=<User> probe: no-message mail=1 iprev=fail ptr=none
slowptr|[203.0.113.13] helo=<User> probe: ehlo-quit iprev=temperror ptr=none
EOF
expect_eq "probe log: none for a trusted client (EHLO then QUIT from 127.0.0.1)" \
  "$(grep -c 'client=probe-trusted' "$WORK/main.err")" 0
expect_eq "log: no callback errors" "$(grep -c "milter [a-z]*: .*on-error=" "$WORK/main.err")" 0

# --- reject / tempfail and quarantine instances -----------------------------
# reject-below = (score of the PTR-timeout client) + 0.25: that client's
# reject rests on iprev=temperror (iprev=pass is worth more than 0.25), so the
# engine softens it to tempfail (on-error=tempfail); the client without a PTR
# (iprev=fail, ptr=none) scores lower still and is rejected outright.
# (The same message as milterclient.py sends: its From header is scored by dmarc.)
printf 'From: sender@milter.test\r\n\r\nbody\r\n' >"$WORK/tscore.eml"
tscore=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$BIN" check --json --client-ip 203.0.113.13 --helo mail.milter.test \
  --mail-from sender@milter.test --message "$WORK/tscore.eml" --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 2 2>/dev/null)
below=$(json_get "$tscore" 'j["score"] + 0.25')
start_milter reject --reject-below "$below" --quarantine-below "$below" --on-error tempfail \
  --reject-reply "Rejected for the test (score %s)"
run_helper client-reject $PY "$HERE/milterclient.py" reject "$PORT_reject"
start_milter quarantine --quarantine-below 1000 --reject-below -1000
run_helper client-quarantine $PY "$HERE/milterclient.py" quarantine "$PORT_quarantine"

# --- TCP_NODELAY on accepted sockets (inherited from the listener) ----------
if [ -n "$PROBE" ]; then
  probes=$(cat "$WORK"/probe.main.log 2>/dev/null | sort | uniq -c | sed 's/^ *//')
  expect_match "accepted milter sockets all have TCP_NODELAY ($probes)" "$probes" "^[0-9]+ accept nodelay=[1-9][0-9]*$"
  # Negative control: without TCP_NODELAY the timing check must see the stall.
  LEGIT_PROBE_BLOCK_NODELAY=1 start_milter nagle
  $PY "$HERE/milterclient.py" timing "$PORT_nagle" >"$WORK/nagle.out" 2>&1
  grep '^timing' "$WORK/nagle.out" | sed 's/^/     control without TCP_NODELAY: /'
  expect_match "control: without TCP_NODELAY the timing check fails" "$(cat "$WORK/nagle.out")" "FAIL - timing"
  expect_match "control: start line reports tcp-nodelay=FAILED" "$(grep starting "$WORK/nagle.err")" "tcp-nodelay=FAILED"
else
  skip_part "no C compiler: TCP_NODELAY probe (the timing check still runs)"
fi

# --- clean stop on SIGTERM ----------------------------------------------------
kill -TERM "$PID_main"
for _ in $(seq 1 150); do kill -0 "$PID_main" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID_main" 2>/dev/null; then
  fail "SIGTERM stops the milter within 15 s" "still running"
else
  wait "$PID_main"; rc=$?
  expect_eq "SIGTERM: exit status 0" "$rc" 0
  expect_match "SIGTERM: logs 'stopped'" "$(grep -c 'legit-milter\[[0-9]*\]: stopped$' "$WORK/main.err")" "^1$"
fi

finish
