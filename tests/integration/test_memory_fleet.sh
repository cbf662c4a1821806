#!/usr/bin/env bash
# test_memory_fleet.sh — two MX hosts sharing one memory: two private Postfix
# instances (postfix/harness.sh), each with its own legit-milter, both on one
# real redis-server started here on a free loopback port (AOF on, so a
# killed Redis keeps what it acknowledged). Clients are faked with XCLIENT.
#   F1 greylisted at A (451 4.7.1), retried through B after greylist-delay: 250
#   F2 a probe burst (EHLO-QUIT) at A: B scores the same /24 lower (probing)
#   F3 an authenticated user's mail out through A: the answer at B is a `reply`
#   F4 Redis killed mid-load and restarted: every message delivered, temperror
#      meanwhile, one log line, reconnected, the queued history not lost
#   F5 LMDB: a milter restart keeps the greylisting memory; an LMDB path that
#      cannot be opened logs clearly and mail flows
#   F6 (run before F4) both milters read a local copy of the memory; `memory
#      forget` at the command line reaches B's copy (greylisted again)
# usage: test_memory_fleet.sh PATH/TO/legit-milter  (root + Postfix, else 77;
# a missing redis-server fails: scripts/deps.sh installs it)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/integration/postfix/harness.sh"
pf_require
stop_all() {
  PF=$WORK/pfa PF_MASTER=${MASTER_A:-} pf_stop
  PF=$WORK/pfb PF_MASTER=${MASTER_B:-} pf_stop
}
trap 'stop_all; cleanup' EXIT
start_dns "$SRC/tests/dns/e2e.test.zone" "$SRC/tests/dns/e2e-reverse.zone" "$SRC/tests/dns/e2e-reverse6.zone"

RPORT=$(free_port)
redis_up() { start_redis "$RPORT" --appendonly yes --appendfsync always; }  # AOF: keeps what it acknowledged
redis_up
R="redis://127.0.0.1:$RPORT/0"

# Points: 0 everywhere but iprev (pass +1, fail -2) and the memory checks;
# greylist band [-8, 0), delay 2 s. memory-timeout 0.2: a loaded test box.
memory_points_conf "$WORK/fleet.conf"
MOPTS=(-c "$WORK/fleet.conf" --greylist-delay 2 --memory-timeout 0.2)

pf_init "$WORK/pfa"
milter_start a "${MOPTS[@]}" --memory "$R"
milter_start c "${MOPTS[@]}" --memory "lmdb:$WORK/c.lmdb"
milter_start d "${MOPTS[@]}" --memory "lmdb:$WORK/no/such/dir/d.lmdb"
pf_listener A "smtpd_milters=inet:127.0.0.1:$MPORT_a"
pf_listener C "smtpd_milters=inet:127.0.0.1:$MPORT_c"
pf_listener D "smtpd_milters=inet:127.0.0.1:$MPORT_d"
pf_start "$MPORT_a"
MASTER_A=$PF_MASTER
LOG_A=$PF/milter-a.log LOG_C=$PF/milter-c.log LOG_D=$PF/milter-d.log
pf_init "$WORK/pfb"
milter_start b "${MOPTS[@]}" --memory "$R"
pf_listener B "smtpd_milters=inet:127.0.0.1:$MPORT_b"
pf_start "$MPORT_b"
MASTER_B=$PF_MASTER
LOG_B=$PF/milter-b.log

line_for() {  # line_for LOG IP [TEXT]: the last milter line of client IP (waits 5 s)
  local l _
  for _ in $(seq 1 50); do
    l=$(grep -F "[$2] " "$1" | grep -F -- "${3:- score=}" | tail -1)
    [ -n "$l" ] && { echo "$l"; return; }
    sleep 0.1
  done
}

# ---------------------------------------------------------------- F1
DOUBT=(--helo mail.far.example --from x@far.example --to bob@e2e.test)
pf_swaks A $(xclient 198.18.0.11 '[UNAVAILABLE]') "${DOUBT[@]}"
expect_match "F1 A: greylisted" "$SW_OUT" '<\*\* +451 4\.7\.1 Greylisted: please try again in 2 seconds'
expect_match "F1 A: log says why" "$(line_for "$LOG_A" 198.18.0.11)" 'action=tempfail .*greylist=new-triplet\(retry-after-2s\)'
sleep 2.5
pf_swaks B $(xclient 198.18.0.11 '[UNAVAILABLE]') "${DOUBT[@]}"
expect_match "F1 B: the retry through the other MX passes" "$SW_OUT" '<- +250 2\.0\.0 Ok: queued as'
expect_match "F1 B: greylist=passed" "$(line_for "$LOG_B" 198.18.0.11)" 'action=accept .*greylist=passed\(retried-after-[0-9]+s\)'

# ---------------------------------------------------------------- F2
pf_swaks B $(xclient 198.18.0.23 '[UNAVAILABLE]') --helo mail.far.example --from y@far.example --to bob@e2e.test
before=$(line_for "$LOG_B" 198.18.0.23)
for _ in 1 2 3 4; do
  pf_swaks A $(xclient 198.18.0.21 '[UNAVAILABLE]') --xclient-before-starttls --helo User --quit-after EHLO
done
for _ in $(seq 1 50); do [ "$(grep -c '\[198\.18\.0\.21\] .*probe: ehlo-quit' "$LOG_A")" -ge 4 ] && break; sleep 0.1; done
sleep 0.5  # the writer's queue
pf_swaks B $(xclient 198.18.0.22 '[UNAVAILABLE]') --helo mail.far.example --from y@far.example --to bob@e2e.test
after=$(line_for "$LOG_B" 198.18.0.22)
expect_match "F2 B before the burst" "$before" 'score=-2 .*history:(new|mixed)\(0\)'
expect_match "F2 B after the burst at A: probing, lower score" "$after" 'score=-4 .*history:probing\(-2\)'

# ---------------------------------------------------------------- F3
printf 'From: alice@e2e.test\nTo: pen.pal@far.example\nSubject: lunch?\nMessage-ID: <fleet-1@e2e.test>\n\nLunch?\n' >"$WORK/out.eml"
pf_swaks A $(xclient 198.18.0.10 mail.e2e.test alice) --helo mail.e2e.test --from alice@e2e.test \
  --to pen.pal@far.example --data "@$WORK/out.eml"
expect_match "F3 A: authenticated outbound delivered" "$SW_OUT" '<- +250 2\.0\.0 Ok: queued as'
sleep 0.5
printf 'From: pen.pal@far.example\nTo: alice@e2e.test\nSubject: Re: lunch?\nIn-Reply-To: <fleet-1@e2e.test>\n\nYes.\n' >"$WORK/re.eml"
pf_swaks B $(xclient 198.18.0.31 '[UNAVAILABLE]') --helo mail.far.example --from other@far.example \
  --to alice@e2e.test --data "@$WORK/re.eml"
expect_match "F3 B: the reply is delivered (not greylisted)" "$SW_OUT" '<- +250 2\.0\.0 Ok: queued as'
expect_match "F3 B: correspondent=reply" "$(line_for "$LOG_B" 198.18.0.31)" 'action=accept .*correspondent:reply\(5\)'

# ---------------------------------------------------------------- F6
# Both milters read a local copy kept in step by the write log (memory-replica):
# a deletion by `memory forget` reaches B's copy, so F1's triplet is new again.
expect_match "F6 A keeps a local copy" "$(cat "$LOG_A")" "memory: local copy of [0-9]+ records from redis://127\.0\.0\.1:$RPORT/0"
expect_match "F6 B keeps a local copy" "$(cat "$LOG_B")" "memory: local copy of [0-9]+ records from redis://127\.0\.0\.1:$RPORT/0"
pf_swaks B $(xclient 198.18.0.11 '[UNAVAILABLE]') "${DOUBT[@]}"
expect_match "F6 B: the passed triplet is known" "$SW_OUT" '<- +250 2\.0\.0 Ok: queued as'
expect_match "F6 forget at the command line" "$("$BIN" memory forget x@far.example -c "$WORK/fleet.conf" --memory "$R")" \
  'records forgotten'
sleep 1.5  # B's copy follows within milliseconds; 0.3 s was too short once at load 20
pf_swaks B $(xclient 198.18.0.11 '[UNAVAILABLE]') "${DOUBT[@]}"
expect_match "F6 B: forgotten in its copy too: greylisted again" "$SW_OUT" '<\*\* +451 4\.7\.1 Greylisted'

# ---------------------------------------------------------------- F4
GOOD=(--helo mail.e2e.test --from sender@e2e.test --to rcpt@example.net)
delivered=0
for i in $(seq 1 21); do
  [ "$i" = 8 ] && { kill -KILL "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null; }
  [ "$i" = 15 ] && redis_up
  pf_swaks A $(xclient IPV6:2001:db8:e2e::10 mail.e2e.test) "${GOOD[@]}"
  [ -n "$SW_QID" ] && delivered=$((delivered + 1))
  [ "$i" = 15 ] && sleep 1.2  # past the 1 s back-off
done
expect_eq "F4: all 21 messages accepted while Redis died and came back" "$delivered" 21
expect_match "F4: temperror while Redis was down" "$(grep -F '[2001:db8:e2e::10]' "$LOG_A")" 'history:temperror\(0\)'
expect_eq "F4: one 'failed' line (at most once a minute)" "$(grep -c 'memory: redis://.* failed: ' "$LOG_A")" 1
expect_match "F4: reconnected" "$(cat "$LOG_A")" "memory: redis://127\.0\.0\.1:$RPORT/0 reachable again"
expect_match "F4: after the restart the history answers again" "$(grep -F '[2001:db8:e2e::10]' "$LOG_A" | tail -1)" 'history:(new|mixed|known-good)'
sleep 2.5  # the writer retries every second
count=$("$BIN" memory show 2001:db8:e2e::10 -c "$WORK/fleet.conf" --memory "$R" | sed -n 's/.*h:n:2001:db8:e2e::\/64:ok *count=\([0-9]*\).*/\1/p')
expect_eq "F4: nothing lost: 21 accepted messages in the shared history (got ${count:-none})" "$(( ${count:-0} >= 21 ))" 1

# ---------------------------------------------------------------- F5
PF=$WORK/pfa
pf_swaks C $(xclient 198.18.0.41 '[UNAVAILABLE]') "${DOUBT[@]}"
expect_match "F5 lmdb: greylisted" "$SW_OUT" '<\*\* +451 4\.7\.1 Greylisted'
milter_stop c
"$BIN" --socket "inet:$MPORT_c@127.0.0.1" --log stderr --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 2 \
  "${MOPTS[@]}" --memory "lmdb:$WORK/c.lmdb" 2>>"$LOG_C" &
PIDS+=($!)
wait_port "$MPORT_c" || { echo "milter c did not restart"; cat "$LOG_C"; exit 1; }
sleep 2.5
pf_swaks C $(xclient 198.18.0.41 '[UNAVAILABLE]') "${DOUBT[@]}"
expect_match "F5 lmdb: after a milter restart the retry passes" "$SW_OUT" '<- +250 2\.0\.0 Ok: queued as'
expect_match "F5 lmdb: greylist=passed" "$(line_for "$LOG_C" 198.18.0.41)" 'greylist=passed'
pf_swaks D $(xclient 198.18.0.42 '[UNAVAILABLE]') "${DOUBT[@]}"
expect_match "F5 unopenable lmdb: mail flows" "$SW_OUT" '<- +250 2\.0\.0 Ok: queued as'
expect_match "F5 unopenable lmdb: clear log line" "$(cat "$LOG_D")" \
  'memory: cannot open lmdb:.*/no/such/dir/d\.lmdb: No such file or directory; running without memory'

expect_eq "no sanitizer report in the milter logs" "$(PF=$WORK/pfa sanitizer_errors; PF=$WORK/pfb sanitizer_errors)" ""
finish
