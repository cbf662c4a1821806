#!/usr/bin/env bash
# test_milter_limits.sh — the limits and safe defaults of the running milter
# (reliability issue, items 7 and 8):
#   * max-sessions: connections beyond the cap are answered at once at the
#     connect step with the on-error action (accept 'a' / tempfail 't'), one
#     log line a minute however many; a slot freed by a close is reused;
#   * RLIMIT_NOFILE raised at start to what max-sessions needs (/proc limits),
#     a clear error when the hard limit forbids it (unprivileged user);
#   * idle-timeout: a command left half-sent is cut after idle-timeout, with
#     a log line; a connection quiet after EHLO or MAIL FROM is closed within
#     idle-timeout + 1.5 s (libmilter's pool alone: up to +600 s) while others
#     are served, and a slow session (a command every 1.2 s) is not cut;
#   * unix socket: mode from socket-mode whatever the umask, group from
#     socket-group; running as root without `user` logs a warning;
#   * -t rejects bad values of the new options.
# usage: test_milter_limits.sh PATH/TO/legit-milter   (exit 77 = skipped)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
HERE="$SRC/tests/integration/milter"
[ -x "$BIN" ] || skip "no binary at $BIN"
start_dns "$SRC/tests/dns/milter.zone" "$SRC/tests/dns/milter-reverse.zone"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# start NAME SOCKET EXTRA-ARGS... : PID_<NAME>; stderr in $WORK/NAME.err
start() {
  local name=$1 sock=$2; shift 2
  "$BIN" --socket "$sock" --log stderr --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 2 "$@" \
    2>"$WORK/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  eval "PID_$name=$pid"
  wait_started "$WORK/$name.err" "$pid" && return 0
  echo "legit-milter ($name) did not start:"; cat "$WORK/$name.err"; return 1
}

# cap PORT N: holds N negotiated+connected sessions open, then opens 5 more
# and prints the first reply letter of each extra connect ("-" = none, as a
# no-reply step), then closes one held session and tries once more.
cap_probe() {
  $PY - "$1" "$2" <<'EOF'
import socket, struct, sys, time
sys.path.insert(0, __import__("os").environ["HERE"])
import milterclient as mc
port, n = int(sys.argv[1]), int(sys.argv[2])
held = []
for k in range(n):
    m = mc.Milter(port); m.connect("203.0.113.10", "held%d.milter.test" % k); held.append(m)
time.sleep(0.3)
out = []
t0 = time.time()
for k in range(5):
    m = mc.Milter(port)
    cmd, _, _ = m.connect("203.0.113.10", "extra%d.milter.test" % k)
    out.append(cmd.decode() or "-")
    m.quit()
took = time.time() - t0
held.pop().quit()
time.sleep(0.3)
m = mc.Milter(port)
cmd, mods, _ = mc.full_session(m, "QAFTERCAP")
m.quit()
scored = any(c in ("h", "i") and nm == "X-Legit-Score" for c, i, nm, v in mods)
print("%s %s %.2f" % ("".join(out), "scored" if scored else "not-scored:%r" % cmd, took))
for m in held:
    m.quit()
EOF
}
export HERE

# --- max-sessions ---------------------------------------------------------------
port=$(free_port)
start capacc "inet:$port@127.0.0.1" --max-sessions 3
read -r answers after took <<<"$(cap_probe "$port" 3)"
expect_eq "cap (on-error accept): 5 connections beyond 3 answered 'a' at connect" "$answers" aaaaa
expect_match "cap: answered at once (5 refusals in ${took}s)" "$took" '^[01]\.'
expect_eq "cap: a slot freed by a close is reused (message scored)" "$after" scored
expect_eq "cap: one log line for the 5 refusals" "$(grep -c 'session limit reached: max-sessions=3, 1 connection' "$WORK/capacc.err")" 1
expect_eq "cap: start line says max-sessions" "$(grep -c 'starting .* max-sessions=3 ' "$WORK/capacc.err")" 1
port=$(free_port)
start captf "inet:$port@127.0.0.1" --max-sessions 2 --on-error tempfail
read -r answers after took <<<"$(cap_probe "$port" 2)"
expect_eq "cap (on-error tempfail): refused connections answered 't'" "$answers" ttttt
expect_match "cap: log names on-error=tempfail" "$(grep 'session limit' "$WORK/captf.err")" 'on-error=tempfail'

# --- RLIMIT_NOFILE ----------------------------------------------------------------
port=$(free_port)
(ulimit -S -n 300; exec "$BIN" --socket "inet:$port@127.0.0.1" --log stderr --dns-server "127.0.0.1@$DNS_PORT" \
  --max-sessions 1000 2>"$WORK/nofile.err") &
pid=$!
PIDS+=("$pid")
wait_started "$WORK/nofile.err" "$pid"
expect_match "nofile: soft limit 300 raised to 2*1000+256" "$(grep 'Max open files' /proc/$pid/limits 2>&1)" 'Max open files +2256 '
expect_match "nofile: start line says open-files=2256" "$(grep starting "$WORK/nofile.err")" 'open-files=2256'
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  out=$(ulimit -S -n 300; ulimit -H -n 400; setpriv --reuid nobody --regid nogroup --clear-groups -- \
        "$BIN" --socket "inet:$(free_port)@127.0.0.1" --log stderr --max-sessions 1000 2>&1); rc=$?
  expect_eq "nofile: hard limit too low (unprivileged): exit 1" "$rc" 1
  expect_match "nofile: the error says what to do" "$out" \
    "option 'max-sessions': max-sessions 1000 needs 2256 open files, but the limit is [0-9]+ \(hard 400\) and cannot be raised .*raise it .*or lower max-sessions"
else
  skip_part "nofile: the hard-limit case (needs root and setpriv)"
fi

# --- idle-timeout -------------------------------------------------------------------
port=$(free_port)
start idle "inet:$port@127.0.0.1" --idle-timeout 2
took=$($PY - "$port" <<'EOF'
import socket, sys, time, os
sys.path.insert(0, os.environ["HERE"])
import milterclient as mc
m = mc.Milter(int(sys.argv[1])); m.connect("203.0.113.10", "idle.milter.test")
m.s.send(b"\0\0")  # half a packet header, then silence
m.s.settimeout(20); t0 = time.time()
try:
    print("%.1f" % (time.time() - t0) if m.s.recv(10) == b"" else "data")
except OSError as e:
    print("not-closed")
EOF
)
expect_match "idle-timeout 2: a half-sent command is cut after ~2 s (${took}s)" "$took" '^[23]\.[0-9]$'
wait_line "$WORK/idle.err" 'idle-timeout: closed'
expect_match "idle-timeout: logged" "$(grep 'idle-timeout' "$WORK/idle.err")" 'closed 1 milter connection\(s\) idle for 2 s or more'

# Quiet between commands: libmilter's worker pool looks for such sessions
# every 600 s only; the reaper (milter/glue/reaper.h) must cut them after
# idle-timeout, keep serving others, and leave a slow but active session be.
port=$(free_port)
start idle2 "inet:$port@127.0.0.1" --idle-timeout 2
out=$($PY - "$port" <<'EOF'
import socket, sys, time, os, threading
sys.path.insert(0, os.environ["HERE"])
import milterclient as mc
port = int(sys.argv[1])
res = {}
def scored(mods):
    return any(c in ("h", "i") and nm == "X-Legit-Score" for c, i, nm, v in mods)
def quiet(name, upto):  # goes silent after EHLO (upto=1) or MAIL FROM (upto=2)
    m = mc.Milter(port); m.connect("203.0.113.10", "quiet.milter.test")
    m.step(m.packet(b"H", mc.z("quiet.milter.test")))
    if upto == 2:
        m.step(m.macros(b"M", i="QIDLE"), m.packet(b"M", mc.z("<sender@milter.test>")))
    t0 = time.time(); m.s.settimeout(12)
    try:
        res[name] = "%.1f" % (time.time() - t0) if m.s.recv(10) == b"" else "data"
    except OSError:
        res[name] = "not-closed"
def slow():  # one command every 1.2 s (idle-timeout 2), 10 steps: ~13 s
    m = mc.Milter(port); m.connect("203.0.113.10", "mail.milter.test"); gap = 1.2
    steps = [[m.packet(b"H", mc.z("mail.milter.test"))],
             [m.macros(b"M", i="QSLOW"), m.packet(b"M", mc.z("<sender@milter.test>"))],
             [m.packet(b"R", mc.z("<rcpt@example.net>"))], [m.macros(b"T", i="QSLOW"), m.packet(b"T")],
             [m.packet(b"L", mc.z("From", "sender@milter.test"))], [m.packet(b"L", mc.z("Subject", "slow"))],
             [m.packet(b"N")], [m.packet(b"B", b"Hello.\r\n")], [m.packet(b"B", b"Again.\r\n")]]
    try:
        for st in steps:
            time.sleep(gap); m.step(*st)
        time.sleep(gap)
        cmd, _, mods = m.step(m.macros(b"E", i="QSLOW"), m.packet(b"E"))
        res["slow"] = "scored" if scored([mc.parse_mod(c, d) for c, d in mods]) else "not-scored:%r" % cmd
        m.quit()
    except (EOFError, OSError) as e:
        res["slow"] = "cut"
def other(name):  # a normal session while the quiet ones wait
    m = mc.Milter(port)
    cmd, mods, _ = mc.full_session(m, "QOTHER")
    res[name] = "scored" if scored(mods) else "not-scored"
    m.quit()
ts = [threading.Thread(target=quiet, args=("ehlo", 1)), threading.Thread(target=quiet, args=("mail", 2)),
      threading.Thread(target=slow)]
for t in ts: t.start()
time.sleep(1.0); other("during")
for t in ts: t.join()
other("after")
print(res["ehlo"], res["mail"], res["slow"], res["during"], res["after"])
EOF
)
read -r t_ehlo t_mail slow during after <<<"$out"
expect_match "idle-timeout 2: quiet after EHLO, closed within 2..3.5 s (${t_ehlo}s)" "$t_ehlo" '^(2\.[0-9]|3\.[0-5])$'
expect_match "idle-timeout 2: quiet after MAIL FROM, closed within 2..3.5 s (${t_mail}s)" "$t_mail" '^(2\.[0-9]|3\.[0-5])$'
expect_eq "idle-timeout 2: a session with a command every 1.2 s for ~13 s is not cut" "$slow" scored
expect_eq "idle-timeout: another session is served while quiet ones wait" "$during" scored
expect_eq "idle-timeout: and after they were closed" "$after" scored
wait_line "$WORK/idle2.err" 'idle-timeout: closed'
expect_eq "idle-timeout: the closes are logged in one line (a minute)" \
  "$(grep -c 'idle-timeout: closed 1 milter connection(s) idle for 2 s or more' "$WORK/idle2.err")" 1
expect_eq "idle-timeout: the milter is still running" "$(kill -0 "$PID_idle2" 2>&1 && echo up)" up

# --- unix socket permissions, root warning -------------------------------------------
mkdir -p "$WORK/sock"
umask 000; start sock0 "unix:$WORK/sock/a.sock"; umask 022
expect_eq "unix socket: mode 660 under umask 000 (socket-mode default)" "$(stat -c %a "$WORK/sock/a.sock")" 660
umask 077; start sock1 "unix:$WORK/sock/b.sock" --socket-mode 0666; umask 022
expect_eq "unix socket: socket-mode 0666 under umask 077" "$(stat -c %a "$WORK/sock/b.sock")" 666
if [ "$(id -u)" = 0 ]; then
  start sock2 "unix:$WORK/sock/c.sock" --socket-group nogroup || fail "socket-group nogroup: starts" "see above"
  expect_eq "unix socket: socket-group nogroup" "$(stat -c '%G %a' "$WORK/sock/c.sock")" "nogroup 660"
  expect_match "root without user: warning logged" "$(cat "$WORK/sock2.err")" "warning: running as root: set 'user'"
  # started (the start line) and no warning: a milter that never started warns of nothing
  start sock3 "unix:$WORK/sock/d.sock" --user nobody
  expect_eq "root with user: started, no warning" \
    "$(grep -c 'starting legit-milter' "$WORK/sock3.err"):$(grep -c 'running as root' "$WORK/sock3.err")" 1:0
else
  skip_part "socket-group and root warnings (needs root)"
fi
out=$("$BIN" -t --socket-group 'no such' 2>&1); rc=$?
expect_eq "-t: bad socket-group: exit 2" "$rc:${out%%:*}" "2:legit-milter"
for bad in "socket-mode 999" "socket-mode 1777" "max-sessions 0" "max-sessions 2.5" "idle-timeout 0"; do
  out=$("$BIN" -t --${bad% *} "${bad#* }" 2>&1); rc=$?
  expect_match "-t rejects --$bad (exit 2, names the option)" "$rc $out" "^2 legit-milter: option '${bad% *}'"
done
out=$("$BIN" --socket "unix:$WORK/sock/e.sock" --socket-group nosuchgroupx --log stderr 2>&1); rc=$?
expect_match "unknown socket-group: exit 2 before anything starts" "$rc $out" "^2 legit-milter: option 'socket-group': no such group"

finish
