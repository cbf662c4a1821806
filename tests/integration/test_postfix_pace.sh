#!/usr/bin/env bash
# test_postfix_pace.sh — no-reply steps must not stall Postfix (quickack.h).
# Postfix keeps Nagle's algorithm on its milter socket: after a step that
# legit-milter does not answer, Postfix's next small packet waits for the ACK
# of the last one, which the kernel delays (~40 ms) when no reply carries it.
# Before the fix every message through Postfix paid that once (after DATA):
# one SMTP session at a time, 19 msg/s with legit-milter vs 160 without.
# Here: smtp-source -s 1 (one session at a time) through a listener without a
# milter and one with legit-milter, alternating, 3 rounds; the milter's extra
# time per message (medians) must stay under 20 ms — the stall alone is 40.
# The same with every message of a round over one SMTP session (smtp-source
# -d): legit-milter asks for the quick ACK once after each of its replies,
# not at every step, so the second and later messages of a session (whose
# MAIL step follows the end-of-data reply) must not stall either.
# usage: test_postfix_pace.sh PATH/TO/legit-milter
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/integration/postfix/harness.sh"
. "$SRC/bench/lib.sh"  # median
pf_require
command -v smtp-source >/dev/null || skip "needs smtp-source (package postfix)"
trap 'pf_stop; cleanup' EXIT
M=${M:-20}

start_dns "$SRC/tests/dns/bench.zone" "$SRC/tests/dns/bench-reverse.zone" "$SRC/tests/dns/bench-reverse198.zone"
pf_init
milter_start legit --trusted-networks 192.0.2.254/32
pf_listener base smtpd_milters=
pf_listener milt "smtpd_milters=inet:127.0.0.1:$MPORT_legit"
PF_SINK_DUMP=0 pf_start

sent() { grep -c ' status=sent ' "$PF/maillog" 2>/dev/null; }
# run PORT COUNT [OPTS]: ms per message, until every message is delivered
run() {
  local b t0 t1 end
  b=$(sent); t0=$(date +%s%N)
  timeout 120 smtp-source ${3:-} -s 1 -m "$2" -l 1000 -f sender@bench.test -t rcpt@example.net \
    -M mail.bench.test "127.0.0.1:$1" >/dev/null 2>&1 || { echo fail; return; }
  end=$(($(date +%s) + 60))
  while [ "$(sent)" -lt $((b + $2)) ]; do [ "$(date +%s)" -ge "$end" ] && { echo fail; return; }; sleep 0.02; done
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" -v n="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 / n }'
}
run "$PORT_base" 3 >/dev/null; run "$PORT_milt" 3 >/dev/null  # warm-up: processes, DNS cache
: >"$WORK/base"; : >"$WORK/milt"
for r in 1 2 3; do
  run "$PORT_base" "$M" >>"$WORK/base"
  run "$PORT_milt" "$M" >>"$WORK/milt"
done
expect_eq "every run delivered" "$(cat "$WORK/base" "$WORK/milt" | grep -c fail)" 0
# under20 B L: "yes" when the milter adds under 20 ms per message. No median
# (every run failed) is no pass: an empty B and L would read 0 - 0 < 20.
under20() { awk -v b="$1" -v l="$2" 'BEGIN { if (b == "" || l == "") print "no: nothing measured"; else print (l - b < 20) ? "yes" : "no: " l - b " ms" }'; }
B=$(grep -v fail "$WORK/base" | median) L=$(grep -v fail "$WORK/milt" | median)
echo "# ms per message, one session at a time: no milter $(tr '\n' ' ' <"$WORK/base")-> $B; legit-milter $(tr '\n' ' ' <"$WORK/milt")-> $L; load $(cut -d' ' -f1 /proc/loadavg)"
expect_eq "legit-milter adds under 20 ms per message (a Nagle stall is 40)" "$(under20 "$B" "$L")" yes
: >"$WORK/base1"; : >"$WORK/milt1"
for r in 1 2 3; do
  run "$PORT_base" "$M" -d >>"$WORK/base1"
  run "$PORT_milt" "$M" -d >>"$WORK/milt1"
done
expect_eq "every run over one session delivered" "$(cat "$WORK/base1" "$WORK/milt1" | grep -c fail)" 0
B=$(grep -v fail "$WORK/base1" | median) L=$(grep -v fail "$WORK/milt1" | median)
echo "# ms per message, all over one session: no milter $(tr '\n' ' ' <"$WORK/base1")-> $B; legit-milter $(tr '\n' ' ' <"$WORK/milt1")-> $L"
expect_eq "legit-milter adds under 20 ms per message over one session" "$(under20 "$B" "$L")" yes
expect_eq "messages scored" "$(grep -c ' score=.* action=accept' "$PF/milter-legit.log")" $((3 + 6 * M))
expect_eq "no errors" "$(grep -cE '; on-error=|runtime error|Sanitizer' "$PF/milter-legit.log")" 0
finish
