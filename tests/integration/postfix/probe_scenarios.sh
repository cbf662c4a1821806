# probe_scenarios.sh — scenario 11 of test_postfix_e2e.sh (sourced by it; uses
# the enf listener and its milter): connections that never complete a message,
# as the bots of seeds 000-002 make them, each one "probe:" line in the milter
# log and Postfix's own replies untouched:
#   11 swaks --quit-after EHLO (EHLO then QUIT) -> probe: ehlo-quit
#      a raw session sending "." then QUIT   -> probe: unknown-command "."
#        where Postfix passes "." on (smtpd_forbidden_commands without the
#        regexp for non-letters, as before Postfix 3.7 and in seed 002): the
#        client still sees Postfix's own "50[02] 5.5.2 Error: command not recognized";
#        with the default it hangs up first ("221 2.7.0 Error: I can break
#        rules, too"), the milter never sees the "." and logs probe: no-helo
#      a raw session that only quits         -> probe: no-helo
# XCLIENT presents the bot's address; the part before it comes from 127.0.0.1,
# which is in trusted-networks and logs no probe line.

# raw_smtp PORT IP CMD...: XCLIENT to IP, then each CMD; prints the replies.
raw_smtp() {
  $PY - "$@" <<'EOF'
import socket, sys
port, ip, cmds = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = socket.create_connection(("127.0.0.1", port), 10)
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        line = f.readline().decode(errors="replace").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return lines
def say(cmd):
    try:
        s.sendall(cmd.encode() + b"\r\n")
        print("\n".join("%s -> %s" % (cmd, l) for l in reply()))
    except OSError as e:  # Postfix hung up
        print("%s -> (closed: %s)" % (cmd, e))
reply()
say("EHLO client.e2e.test")
say("XCLIENT ADDR=%s NAME=[UNAVAILABLE]" % ip)
for c in cmds:
    say(c)
s.close()
EOF
}

# probe_line IP: the milter's probe line(s) for client IP
probe_line() { grep -F "[$1] " "$PF/milter-enf.log" | grep ' probe: '; }

s11_probes() {
  # --xclient-before-starttls: swaks 20201014 otherwise quits after the first
  # EHLO, before XCLIENT (the quit-after check comes first in its code)
  pf_swaks enf $(xclient 198.18.0.11 '[UNAVAILABLE]') --xclient-before-starttls --helo User --quit-after EHLO
  expect_match "11 ehlo-quit: swaks quit after EHLO" "$SW_OUT" '-> QUIT'
  local line _
  for _ in $(seq 1 50); do line=$(probe_line 198.18.0.11); [ -n "$line" ] && break; sleep 0.1; done
  expect_eq "11 ehlo-quit: one probe line" "$(grep -c . <<<"$line")" 1
  expect_match "11 ehlo-quit: milter log" "$line" \
    'legit-milter\[[0-9]+\]: NOQUEUE: client=unknown\[198\.18\.0\.11\] helo=<User> probe: ehlo-quit iprev=fail ptr=none$'

  local out
  out=$(raw_smtp "$PORT_dot" 198.18.0.13 . QUIT)
  expect_match "11 dot: Postfix answers the command itself" "$(grep '^\. -> ' <<<"$out")" '^\. -> 50[02] 5\.5\.2 Error: command not recognized$'
  expect_match "11 dot: QUIT answered" "$out" 'QUIT -> 221 '
  for _ in $(seq 1 50); do line=$(probe_line 198.18.0.13); [ -n "$line" ] && break; sleep 0.1; done
  expect_eq "11 dot: one probe line" "$(grep -c . <<<"$line")" 1
  expect_match "11 dot: milter log" "$line" \
    'NOQUEUE: client=unknown\[198\.18\.0\.13\] helo=<> probe: unknown-command "\." iprev=fail ptr=none$'
  out=$(raw_smtp "$PORT_enf" 198.18.0.15 . QUIT)
  expect_match "11 dot, default smtpd_forbidden_commands: Postfix hangs up" "$(grep '^\. -> ' <<<"$out")" '^\. -> 221 2\.7\.0 '
  for _ in $(seq 1 50); do line=$(probe_line 198.18.0.15); [ -n "$line" ] && break; sleep 0.1; done
  expect_match "11 dot, default: milter never saw it, logs no-helo" "$line" \
    'NOQUEUE: client=unknown\[198\.18\.0\.15\] helo=<> probe: no-helo iprev=fail ptr=none$'

  out=$(raw_smtp "$PORT_enf" 198.18.0.14 QUIT)
  for _ in $(seq 1 50); do line=$(probe_line 198.18.0.14); [ -n "$line" ] && break; sleep 0.1; done
  expect_match "11 no-helo: milter log" "$line" \
    'NOQUEUE: client=unknown\[198\.18\.0\.14\] helo=<> probe: no-helo iprev=fail ptr=none$'
  expect_eq "11: no probe line for the trusted 127.0.0.1 part before XCLIENT" \
    "$(grep -c '\[127\.0\.0\.1\] .*probe: ' "$PF/milter-enf.log")" 0
}
