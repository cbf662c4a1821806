#!/usr/bin/env bash
# test_dkim_flood.sh — a header section built to exhaust the DKIM verifier
# (issue 9 item 3): ~10 MB of DKIM-Signature fields used to cost quadratic
# time and memory inside libopendkim's dkim_eoh (20,000 signatures: 79 s and
# +140 MB in the milter). The limits dkim-max-signatures,
# dkim-max-header-bytes and dkim-max-header-fields now apply as the headers
# arrive: the cost must be linear and small.
#   - `check --message` on 10 MB of DKIM-Signature fields (115,000): scored
#     in < 0.5 s of CPU more than a one-line message (ASan build: 3 s; CPU
#     time, since wall time on a loaded machine is a multiple of it), in no
#     more memory than 10 MB of ordinary fields plus 20 MB (the check command
#     itself holds the file and its parse); 5 signatures evaluated.
#   - the same through the milter protocol: the milter's resident set grows
#     < 20 MB (ASan 100 MB), end-of-message answered < 0.5 s after the last
#     header (ASan 3 s); 115,000 From fields: < 5 MB (ASan 25 MB).
#   - the limits' results: 6 signatures with a limit of 5, 1000 and 1001
#     fields, more than dkim-max-header-bytes.
#   - as root with Postfix installed: the 10 MB message through a private
#     Postfix (postfix/harness.sh) is accepted and scored, the milter's
#     resident set grows < 20 MB.
# usage: test_dkim_flood.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
start_dns "$SRC/tests/dns/dkim.test.zone"
ldd "$BIN" 2>/dev/null | grep -q libasan && ASAN=1 || ASAN=
slack_ms=$([ -n "$ASAN" ] && echo 3000 || echo 500)
# ASan keeps freed memory in quarantine (and adds shadow memory): there the
# milter's growth is only shown to stay bounded.
rss_kb=$([ -n "$ASAN" ] && echo 102400 || echo 20480)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# gen KIND N FILE: a message with N fields of KIND after From/To/Subject.
gen() {
  $PY - "$@" <<'PYEOF'
import sys
kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "wb") as f:
    f.write(b"From: alice@flood.test\r\nTo: bob@example.net\r\nSubject: flood\r\n")
    for i in range(n):
        if kind == "sig":
            f.write(b"DKIM-Signature: v=1; a=rsa-sha256; d=flood.test; s=s%d; h=from:to; bh=AAAA; b=AAAA\r\n" % i)
        else:
            f.write(b"X-Filler: filler %d padding padding padding padding padding padding padding\r\n" % i)
    f.write(b"\r\nHello.\r\n")
PYEOF
}

# measure FILE [options]: "<CPU ms> <peak kB> <wall ms>" of one `check --json`
# run (its JSON in $WORK/out.json); 60 s at most.
measure() {
  local f=$1; shift
  /usr/bin/time -f "%U %S %M %e" -o "$WORK/time" timeout 60 "$BIN" check --json \
    --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 2 --log stderr --client-ip 203.0.113.200 \
    --helo mail.flood.test --mail-from alice@flood.test --message "$f" "$@" \
    >"$WORK/out.json" 2>>"$WORK/stderr"
  tail -n1 "$WORK/time" | awk '{printf "%d %d %d\n", ($1 + $2) * 1000, $3, $4 * 1000}'
}
dkim_of() { json_get "$(cat "$WORK/out.json")" "[(c['result'], c['detail']) for c in j['checks'] if c['check']=='dkim'][0]"; }

gen sig 0 "$WORK/small.eml"
gen sig 115000 "$WORK/sigs.eml"
gen filler 115000 "$WORK/filler.eml"
echo "# message sizes: $(stat -c %s "$WORK/sigs.eml") bytes of DKIM-Signature fields, $(stat -c %s "$WORK/filler.eml") of X-Filler"

read -r t0 m0 w0 <<<"$(measure "$WORK/small.eml")"
read -r tf mf wf <<<"$(measure "$WORK/filler.eml")"
read -r ts ms ws <<<"$(measure "$WORK/sigs.eml")"
echo "# check (CPU, peak RSS, wall): one-line message ${t0} ms ${m0} kB ${w0} ms;" \
  "10 MB of X-Filler ${tf} ms ${mf} kB ${wf} ms; 10 MB of DKIM-Signature ${ts} ms ${ms} kB ${ws} ms"
expect_match "check flood: 5 signatures evaluated, the rest counted" "$(dkim_of)" \
  "s=s4 .*; 114995 more signature\(s\) not evaluated'"
if [ $((ts - t0)) -lt "$slack_ms" ]; then ok "check flood: scored in < ${slack_ms} ms of CPU more than a small message"
else fail "check flood: time" "$ts ms vs $t0 ms of CPU"; fi
if [ $((ms - mf)) -lt 20480 ]; then ok "check flood: memory within 20 MB of plain fields of the same size"
else fail "check flood: memory" "$ms kB vs $mf kB"; fi

# The limits, one by one.
gen sig 6 "$WORK/six.eml"
measure "$WORK/six.eml" >/dev/null
expect_match "6 signatures, limit 5: 1 not evaluated" "$(dkim_of)" "1 more signature\(s\) not evaluated"
expect_eq "6 signatures, limit 5: 5 A-R entries" \
  "$(json_get "$(cat "$WORK/out.json")" "j['headers']['Authentication-Results'].count('dkim=')")" 5
gen filler 997 "$WORK/fields.eml"
measure "$WORK/fields.eml" >/dev/null
expect_eq "1000 fields: within dkim-max-header-fields" "$(dkim_of)" "('none', 'message is not signed')"
measure "$WORK/fields.eml" --dkim-max-header-fields 999 >/dev/null
expect_eq "1000 fields, limit 999: not verified" "$(dkim_of)" "('none', 'message is not signed (over 999 header fields)')"
{ echo "DKIM-Signature: v=1; a=rsa-sha256; d=flood.test; s=s1; h=from; bh=AAAA; b=AAAA"; cat "$WORK/fields.eml"; } >"$WORK/bytes.eml"
measure "$WORK/bytes.eml" --dkim-max-header-bytes 2048 >/dev/null
expect_match "over dkim-max-header-bytes: neutral" "$(dkim_of)" "'neutral'.*1 signature\(s\) not evaluated.*over 2048 bytes of header"

# The same through the milter protocol, against the running milter.
milter_bg "$WORK/milter.log" || fail "milter start" "$(tail -3 "$WORK/milter.log")"
port=$MILTER_PORT mpid=$MILTER_PID
for kind in X-Filler DKIM-Signature; do
  line=$(timeout 120 $PY "$SRC/tests/integration/milter/hdrflood.py" "$port" "$mpid" 115000 "$kind" 2>&1)
  echo "# milter: $line"
  expect_match "milter $kind flood: answered" "$line" "reply [acyrt]"
  eom_ms=$(sed -n 's/.*eom \([0-9.]*\) s.*/\1/p' <<<"$line" | awk '{printf "%d", $1 * 1000}')
  rss=$(sed -n 's/.*rss +\([0-9-]*\) kB.*/\1/p' <<<"$line")
  if [ -n "$eom_ms" ] && [ "$eom_ms" -lt "$slack_ms" ]; then ok "milter $kind flood: end-of-message < ${slack_ms} ms"
  else fail "milter $kind flood: end-of-message time" "$line"; fi
  if [ -n "$rss" ] && [ "$rss" -lt "$rss_kb" ]; then ok "milter $kind flood: resident set grew < $((rss_kb / 1024)) MB"
  else fail "milter $kind flood: memory" "$line"; fi
done
# 115,000 From fields: DMARC keeps the first value and a count (it kept
# every value: +15 MB), so the milter grows as little as for X-Filler.
line=$(timeout 120 $PY "$SRC/tests/integration/milter/hdrflood.py" "$port" "$mpid" 115000 From 2>&1)
echo "# milter: $line"
rss=$(sed -n 's/.*rss +\([0-9-]*\) kB.*/\1/p' <<<"$line")
if [ -n "$rss" ] && [ "$rss" -lt $((rss_kb / 4)) ]; then ok "milter From flood: resident set grew < $((rss_kb / 4096)) MB"
else fail "milter From flood: memory" "$line"; fi
kill -0 "$mpid" 2>/dev/null && ok "milter still running" || fail "milter still running" "it died"

# The same 10 MB message through a real Postfix (root + Postfix only): the
# SMTP transaction, the milter's memory, the delivered verdict.
if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null && command -v smtp-sink >/dev/null; then
  . "$SRC/tests/integration/postfix/harness.sh"
  trap 'pf_stop; cleanup' EXIT
  pf_init
  milter_start flood --mode dry-run  # the sender is unknown: scored, delivered
  pf_listener flood "smtpd_milters=inet:127.0.0.1:$MPORT_flood" milter_default_action=tempfail
  pf_start "$MPORT_flood"
  line=$($PY - "$PORT_flood" "$MPID_flood" "$WORK/sigs.eml" <<'PYEOF'
import smtplib, sys, time
port, pid, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss(key):
    return int([l for l in open("/proc/%d/status" % pid) if l.startswith(key + ":")][0].split()[1])
try:
    open("/proc/%d/clear_refs" % pid, "w").write("5")
except OSError:
    pass
r0 = rss("VmRSS")
s = smtplib.SMTP("127.0.0.1", port, timeout=300)
s.ehlo("mail.flood.test")
s.docmd("XCLIENT", "ADDR=203.0.113.200 NAME=mail.flood.test REVERSE_NAME=mail.flood.test")
s.ehlo_resp = None
s.ehlo("mail.flood.test")
data = open(path, "rb").read().replace(b"Subject: flood", b"Subject: flood\r\nMessage-ID: <flood.1@flood.test>")
t0 = time.time()
s.mail("alice@flood.test", ["SIZE=%d" % len(data)])
s.rcpt("bob@example.net")
code, text = s.data(data)
t = time.time() - t0
s.quit()
words = text.decode(errors="replace").split()
qid = words[-1] if code == 250 else "-"
print("%d %.2f %d %s %s" % (code, t, max(rss("VmHWM"), rss("VmRSS")) - r0, qid, " ".join(words)))
PYEOF
)
  read -r code secs grew qid text <<<"$line"
  echo "# postfix: 10 MB of DKIM-Signature fields: reply $code ($text) after $secs s (whole transaction), milter resident set +$grew kB"
  expect_eq "postfix flood: accepted" "$code" 250
  if [ -n "$grew" ] && [ "$grew" -lt "$rss_kb" ]; then ok "postfix flood: milter grew < $((rss_kb / 1024)) MB"
  else fail "postfix flood: milter memory" "$line"; fi
  f=
  for _ in 1 2 3 4; do f=$(sink_file "$qid") && break; done  # 10 MB to relay: up to 60 s
  score=$($PY -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(" ".join(str(m.get("X-Legit-Score", "")).split()))' "$f" 2>&1)
  expect_match "postfix flood: delivered, DKIM counted" "$score" "dkim=permerror"
  expect_eq "postfix flood: no sanitizer report" "$(sanitizer_errors)" ""
else
  skip_part "the 10 MB message through Postfix (needs root, postfix, smtp-sink)"
fi
finish
