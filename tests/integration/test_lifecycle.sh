#!/usr/bin/env bash
# test_lifecycle.sh — the running milter's life cycle, with the real binary
# over the milter protocol (milter/lifecycle_client.py) and a zone-file DNS
# server:
#   * reload on SIGHUP and SIGUSR1: new points in the next message's
#     X-Legit-Score, a message in flight finishes on the old config and is
#     scored once, a broken file is refused (option, file, line in the log)
#     and the old config stays live, the change is logged;
#   * SIGTERM: idle stop in < 1 s (measured), a message in flight finishes
#     while new connections get the on-error action at once, stop-timeout
#     bounds the wait;
#   * the socket: a live unix socket is never taken over, a stale one is
#     replaced, a file in the way is refused, our socket file is removed at
#     exit; inet "in use" only on EADDRINUSE; -t checks the socket directory;
#   * allowlists changed by a reload (allowlist-clients), postmaster@;
#   * the start line and the authserv-id FQDN warning.
# usage: test_lifecycle.sh PATH/TO/legit-milter   (exit 77 = skipped)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
HERE="$SRC/tests/integration/milter"
[ -x "$BIN" ] || skip "no binary at $BIN"
start_dns "$SRC/tests/dns/milter.zone" "$SRC/tests/dns/milter-reverse.zone"
CLIENT=("$PY" "$HERE/lifecycle_client.py")

# run_lc NAME ARGS... : the milter in the background, log in $WORK/NAME.log;
# sets LC_PID (and LC_PORT when the args name no socket of their own).
run_lc() {
  local name=$1; shift
  LC_PORT=$(free_port)
  "$BIN" --socket "inet:$LC_PORT@127.0.0.1" --log stderr --dns-server "127.0.0.1@$DNS_PORT" \
    --dns-timeout 2 "$@" 2>"$WORK/$name.log" &
  LC_PID=$!
  PIDS+=("$LC_PID")
}
# up NAME: waits for the start line (10 s); false if the milter died.
up() { wait_started "$WORK/$1.log" "$LC_PID"; }
# wait_log NAME REGEX: until $WORK/NAME.log has a matching line (10 s).
wait_log() { wait_line "$WORK/$1.log" "$2"; }
# gone PID TENTHS: waits up to TENTHS/10 s for PID to exit.
gone() {
  local _
  for _ in $(seq 1 "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
conf() {  # conf IPREV_PASS [EXTRA-LINE]
  printf 'authserv-id = mx.test.example\n%s\n[points]\niprev.pass = %s\n' "${2:-}" "$1" >"$WORK/reload.conf"
}

# --- reload -----------------------------------------------------------------
conf 1
run_lc main -c "$WORK/reload.conf"
up main || { cat "$WORK/main.log"; exit 1; }
MAIN=$LC_PID MAIN_PORT=$LC_PORT
expect_match "reload: before, iprev.pass = 1" "$("${CLIENT[@]}" score "$MAIN_PORT" R1)" "^a .*iprev=pass\(1\)"
"${CLIENT[@]}" hold "$MAIN_PORT" HOLD1 "$WORK/hold1.ready" "$WORK/hold1.go" >"$WORK/hold1.out" &
HOLD=$!
for _ in $(seq 1 100); do [ -e "$WORK/hold1.ready" ] && break; sleep 0.05; done
conf 3
kill -HUP "$MAIN"
wait_log main "reload on SIGHUP: .* is live" || fail "reload: SIGHUP logged" "no line"
expect_match "reload: the change is logged" "$(grep 'reload on SIGHUP' "$WORK/main.log")" \
  "reload.conf is live \(generation 2\); changed: points.iprev.pass \(1 -> 3\)$"
expect_match "reload: SIGHUP does not stop the milter" "$(kill -0 "$MAIN" 2>&1 && echo alive)" "^alive$"
expect_match "reload: the next message has the new points" "$("${CLIENT[@]}" score "$MAIN_PORT" R2)" \
  "^a .*iprev=pass\(3\)"
touch "$WORK/hold1.go"
wait "$HOLD"
expect_match "reload: the message in flight finishes on the old config" "$(cat "$WORK/hold1.out")" \
  "^a .*iprev=pass\(1\)"
expect_eq "reload: the message in flight is scored once" "$(grep -c ' HOLD1: ' "$WORK/main.log")" 1

conf 3 "reject-below = x"
kill -HUP "$MAIN"
wait_log main "reload on SIGHUP failed" || fail "reload: a broken file is logged" "no line"
expect_match "reload: a broken file is refused with option, file and line" \
  "$(grep 'reload on SIGHUP failed' "$WORK/main.log")" \
  "still running on the previous configuration: option 'reject-below': 'x' is not a number \(in .*reload.conf line 2\)"
expect_match "reload: after a broken file the old config is live" \
  "$("${CLIENT[@]}" score "$MAIN_PORT" R3)" "^a .*iprev=pass\(3\)"

conf 2
kill -USR1 "$MAIN"
wait_log main "reload on SIGUSR1: .* is live" || fail "reload: SIGUSR1 logged" "no line"
expect_match "reload: SIGUSR1 reloads too" "$("${CLIENT[@]}" score "$MAIN_PORT" R4)" "^a .*iprev=pass\(2\)"
kill -USR1 "$MAIN"
wait_log main "generation 4\); nothing changed" && ok "reload: an unchanged file says nothing changed" ||
  fail "reload: an unchanged file says nothing changed" "$(grep reload "$WORK/main.log")"

# --- allowlists, edited without a restart -----------------------------------------
conf 2 "allowlist-clients = 203.0.113.0/28"
kill -HUP "$MAIN"
wait_log main "changed: allowlist-clients" || fail "allowlist: reload logged" "$(grep reload "$WORK/main.log" | tail -1)"
expect_match "allowlist: a client listed by a reload is allowlisted in the next message" \
  "$("${CLIENT[@]}" score "$MAIN_PORT" AL1)" "^a .*allowlist=client\(100\)"
expect_match "allowlist: the result word is in the log line" "$(grep ' AL1: ' "$WORK/main.log")" "allowlist:client\(100\)"
j=$(check_json --client-ip 203.0.113.99 --helo x.example --mail-from a@nowhere.example --rcpt postmaster@example.net)
expect_eq "allowlist: mail to postmaster@ alone (check --json)" "$(results_of "$j" allowlist)" "recipient"
j=$(check_json --client-ip 203.0.113.99 --helo x.example --mail-from a@nowhere.example \
  --rcpt postmaster@example.net --rcpt bob@example.net)
expect_eq "allowlist: postmaster@ does not carry other recipients" "$(results_of "$j" allowlist)" ""

# --- start line ---------------------------------------------------------------
START=$(grep "starting legit-milter" "$WORK/main.log")
for key in "config=$WORK/reload.conf" "authserv-id=mx.test.example" "mode=enforce" \
  "quarantine-below=-4" "reject-below=-8" "trusted-networks=127.0.0.0/8,::1/128" \
  "dns-servers=127.0.0.1@$DNS_PORT" "dns-timeout=2"; do
  expect_match "start line: $key" "$START" " ${key//./\\.}( |$)"
done
expect_eq "start line: no FQDN warning for mx.test.example" "$(grep -c 'fully-qualified' "$WORK/main.log")" 0
run_lc shortid --authserv-id mx
up shortid && expect_match "start: authserv-id 'mx' is warned about" \
  "$(grep 'warning:' "$WORK/shortid.log")" "authserv-id 'mx' is not a fully-qualified domain name"
kill -TERM "$LC_PID"; gone "$LC_PID" 50

# --- SIGPIPE: ignored, a write to a peer that hung up is an error -------------
ign=$(awk '/^SigIgn:/ { print $2 }' "/proc/$MAIN/status")
expect_eq "signals: SIGPIPE is ignored (SigIgn has bit 13)" "$(( 0x$ign >> 12 & 1 ))" 1

# --- SIGTERM ------------------------------------------------------------------
t0=$(now_ms)
kill -TERM "$MAIN"
if gone "$MAIN" 50; then
  wait "$MAIN"; rc=$?
  expect_eq "stop: exit status 0 after reloads" "$rc" 0
  echo "     idle stop after reloads: $(($(now_ms) - t0)) ms"
else
  fail "stop: SIGTERM ends the milter" "still running after 5 s"
fi
worst=0
for i in 1 2 3; do
  run_lc idle$i
  up idle$i || { fail "stop: idle milter $i starts" "$(cat "$WORK/idle$i.log")"; continue; }
  sleep 0.$((RANDOM % 9 + 1))
  t0=$(now_ms); kill -TERM "$LC_PID"; gone "$LC_PID" 100; t=$(($(now_ms) - t0))
  [ "$t" -gt "$worst" ] && worst=$t
done
echo "     idle stop, worst of 3: $worst ms"
[ "$worst" -lt 1000 ] && ok "stop: an idle milter exits in < 1 s ($worst ms)" ||
  fail "stop: an idle milter exits in < 1 s" "$worst ms"

run_lc drain
up drain || { cat "$WORK/drain.log"; exit 1; }
"${CLIENT[@]}" hold "$LC_PORT" DRAIN1 "$WORK/drain.ready" "$WORK/drain.go" >"$WORK/drain.out" &
HOLD=$!
for _ in $(seq 1 100); do [ -e "$WORK/drain.ready" ] && break; sleep 0.05; done
kill -TERM "$LC_PID"
wait_log drain "stopping on SIGTERM: connections=1 messages-in-flight=1" &&
  ok "drain: the stop line counts the message in flight" ||
  fail "drain: the stop line counts the message in flight" "$(grep stopping "$WORK/drain.log")"
sleep 0.5
expect_match "drain: still running while a message is in flight" "$(kill -0 "$LC_PID" 2>&1 && echo alive)" "^alive$"
expect_eq "drain: a new connection gets the on-error action (accept) at once" \
  "$("${CLIENT[@]}" connect "$LC_PORT")" "a"
t0=$(now_ms)
touch "$WORK/drain.go"
wait "$HOLD"
expect_match "drain: the message in flight completes and is scored" "$(cat "$WORK/drain.out")" \
  "^a -?[0-9.]+ \(accept\) iprev=pass"
gone "$LC_PID" 50 && ok "drain: exits once it is done ($(($(now_ms) - t0)) ms after the message)" ||
  fail "drain: exits once it is done" "still running"
expect_match "drain: logs that the messages finished" "$(cat "$WORK/drain.log")" "messages in flight finished after"

run_lc bound --stop-timeout 1
up bound || { cat "$WORK/bound.log"; exit 1; }
"${CLIENT[@]}" hold "$LC_PORT" BOUND1 "$WORK/bound.ready" "$WORK/bound.go" >"$WORK/bound.out" &
HOLD=$!
for _ in $(seq 1 100); do [ -e "$WORK/bound.ready" ] && break; sleep 0.05; done
t0=$(now_ms); kill -TERM "$LC_PID"; gone "$LC_PID" 50; t=$(($(now_ms) - t0))
[ "$t" -ge 900 ] && [ "$t" -lt 2500 ] && ok "drain: stop-timeout 1 bounds the wait ($t ms)" ||
  fail "drain: stop-timeout 1 bounds the wait" "$t ms"
expect_match "drain: a cut message is logged" "$(cat "$WORK/bound.log")" "1 message\(s\) still in flight after stop-timeout: cut"
touch "$WORK/bound.go"; wait "$HOLD"

# --- the socket ---------------------------------------------------------------
SOCK=$WORK/s/milter.sock
mkdir -p "$WORK/s"
run_lc unixA --socket "unix:$SOCK"
up unixA || { cat "$WORK/unixA.log"; exit 1; }
A=$LC_PID
out=$("$BIN" --socket "unix:$SOCK" --log stderr --dns-server "127.0.0.1@$DNS_PORT" 2>&1); rc=$?
expect_eq "socket: a second instance on a live unix socket exits 1" "$rc" 1
expect_match "socket: ... and says why" "$out" "socket unix:$SOCK is in use by a running milter"
answers() { $PY -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print("answers")' "$1" 2>&1; }
expect_eq "socket: the live socket still answers" "$(answers "$SOCK")" "answers"
kill -TERM "$A"; gone "$A" 50
[ -e "$SOCK" ] && fail "socket: our socket file is removed at exit" "still there" ||
  ok "socket: our socket file is removed at exit"
$PY -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"  # bound, never listened: stale
run_lc unixB --socket "unix:$SOCK"
if up unixB; then
  ok "socket: a stale socket file is replaced"
  expect_eq "socket: ... and the new one answers" "$(answers "$SOCK")" "answers"
else
  fail "socket: a stale socket file is replaced" "$(cat "$WORK/unixB.log")"
fi
kill -TERM "$LC_PID"; gone "$LC_PID" 50
echo data >"$SOCK"
out=$("$BIN" --socket "unix:$SOCK" --log stderr 2>&1); rc=$?
expect_eq "socket: a file that is not a socket is refused (exit 1)" "$rc" 1
expect_match "socket: ... and left alone" "$out $(cat "$SOCK")" "is not a socket .* data$"
rm -f "$SOCK"

run_lc inetA
up inetA || { cat "$WORK/inetA.log"; exit 1; }
out=$("$BIN" --socket "inet:$LC_PORT@127.0.0.1" --log stderr 2>&1); rc=$?
expect_eq "socket: a port in use: exit 1" "$rc" 1
expect_match "socket: a port in use is called in use" "$out" "inet:$LC_PORT@127.0.0.1: address in use"
kill -TERM "$LC_PID"; gone "$LC_PID" 50
out=$("$BIN" --socket "inet:$(free_port)@192.0.2.1" --log stderr 2>&1); rc=$?
expect_eq "socket: an address not of this host: exit 1" "$rc" 1
expect_match "socket: ... with the system's text, not 'in use'" "$out" "192.0.2.1: Cannot assign requested address$"

out=$("$BIN" -t --socket "unix:$WORK/none/x.sock" 2>&1); rc=$?
expect_eq "-t: a missing socket directory: exit 2" "$rc" 2
expect_match "-t: ... names it" "$out" "socket directory $WORK/none: No such file or directory"
out=$("$BIN" -t --dns-canary none --socket "unix:$WORK/s/x.sock" 2>&1); rc=$?
expect_match "-t: a writable socket directory is fine" "$rc:$out" "^0:configuration OK"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  chmod 755 "$WORK/s"
  out=$("$BIN" -t --socket "unix:$WORK/s/x.sock" --user nobody 2>&1); rc=$?
  expect_match "-t: a directory the user cannot write to" "$rc:$out" "^2:.*user 'nobody' may not create the socket there"
else
  skip_part "-t: a socket directory the user cannot write to (needs root and a nobody user)"
fi

finish
