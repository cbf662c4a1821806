#!/usr/bin/env bash
# test_metrics.sh — the /metrics endpoint and `legit-milter stats` on the
# real binary: traffic from the milter-protocol drivers (miltertest
# scenarios, milterclient.py forged/timing/probe), then a curl scrape that
# `promtool check metrics` must accept, and every counter compared with the
# log lines the same milter wrote (messages, actions, check results,
# probes, latency and DNS counts per message). Also: metrics-listen is off
# by default, a bad value is a config error, a busy port a start-up error,
# only GET /metrics answers, `stats` prints the same numbers, and a reload
# (SIGHUP) is counted in legit_reloads_total{result} and keeps the counters.
# usage: test_metrics.sh PATH/TO/legit-milter   (exit 77 = skipped)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
HERE="$SRC/tests/integration/milter"
command -v miltertest >/dev/null || skip "miltertest is not installed (Debian package miltertest)"
command -v curl >/dev/null || skip "curl is not installed"
command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_dns "$SRC/tests/dns/milter.zone" "$SRC/tests/dns/milter-reverse.zone"

# start_milter NAME EXTRA-ARGS... : sets MPORT, PID; stderr in $WORK/NAME.err
start_milter() {
  local name=$1 rc
  shift
  milter_bg "$WORK/$name.err" --authserv-id mx.test.example "$@"
  rc=$?
  MPORT=$MILTER_PORT PID=$MILTER_PID
  return $rc
}
scrape() { curl -sS --max-time 10 "http://127.0.0.1:$HPORT/metrics"; }
# metric TEXT 'name{labels}' : the value of one series (0 if absent)
metric() { awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' <<<"$1"; }
# total TEXT name : sum over every series of that name
total() { awk -v k="$2" '{ n = $1; sub(/\{.*/, "", n) } n == k { s += $2 } END { print s + 0 }' <<<"$1"; }

# --- configuration -------------------------------------------------------------
out=$("$BIN" -t --metrics-listen inet:99999@127.0.0.1 2>&1); rc=$?
expect_eq "bad metrics-listen: exit 2" "$rc" 2
expect_match "bad metrics-listen: names the option" "$out" "option 'metrics-listen'"
out=$("$BIN" -t --metrics-listen inet:9095@localhost 2>&1)
expect_match "metrics-listen wants an address literal" "$out" "option 'metrics-listen'"
expect_eq "metrics-listen is empty by default" \
  "$("$BIN" --dump-config | grep -E '^#? *metrics-listen *=' | sed 's/ //g')" "#metrics-listen="

start_milter off || { cat "$WORK/off.err"; exit 1; }
expect_eq "off by default: the start line names no endpoint" "$(grep starting "$WORK/off.err" | grep -c ' metrics=')" 0
kill "$PID"; wait "$PID" 2>/dev/null

# A busy port: the milter refuses to start (exit 1) and says why.
BUSY=$(free_port)
$PY -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("ready", flush=True); time.sleep(60)' "$BUSY" >"$WORK/busy.out" &
PIDS+=($!)
wait_line "$WORK/busy.out" ready
start_milter busy --metrics-listen "inet:$BUSY@127.0.0.1"
wait "$PID" 2>/dev/null; rc=$?
expect_eq "busy metrics port: exit 1" "$rc" 1
expect_match "busy metrics port: says so" "$(cat "$WORK/busy.err")" "option 'metrics-listen': cannot listen on 127.0.0.1:$BUSY"

# --- a milter with traffic ---------------------------------------------------------
HPORT=$(free_port)
start_milter main --metrics-listen "inet:$HPORT@127.0.0.1" || { cat "$WORK/main.err"; exit 1; }
MAIN_PID=$PID
expect_match "start line names the endpoint" "$(grep starting "$WORK/main.err")" "metrics=inet:$HPORT@127.0.0.1"
before=$(scrape)
expect_eq "fresh milter: no message counted" "$(total "$before" legit_messages_total)" 0

miltertest -D port="$MPORT" -s "$HERE/scenarios.lua" >"$WORK/mt.out" 2>&1 || fail "miltertest scenarios" "$(tail -5 "$WORK/mt.out")"
for t in forged timing probe; do
  $PY "$HERE/milterclient.py" "$t" "$MPORT" >"$WORK/client-$t.out" 2>&1 || fail "milterclient $t" "$(tail -3 "$WORK/client-$t.out")"
done
# Sessions close asynchronously in libmilter: wait for the gauge to drop.
for _ in $(seq 1 50); do
  after=$(scrape)
  [ "$(metric "$after" legit_sessions_open)" = 0 ] && break
  sleep 0.2
done
echo "$after" >"$WORK/metrics.txt"

hdr=$(curl -sS -D - -o /dev/null "http://127.0.0.1:$HPORT/metrics")
expect_match "GET /metrics: 200" "$hdr" "HTTP/1.1 200"
expect_match "content type of the text format 0.0.4" "$hdr" "Content-Type: text/plain; version=0.0.4"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1; rc=$?
expect_eq "promtool check metrics accepts the scrape" "$rc:$(cat "$WORK/promtool.out")" "0:"
expect_eq "GET / is 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HPORT/")" 404
expect_eq "POST /metrics is refused" "$(curl -s -o /dev/null -w '%{http_code}' -d x "http://127.0.0.1:$HPORT/metrics")" 405

LOG="$WORK/main.err"
scored=$(grep -c ': client=.* score=-\?[0-9.]* action=' "$LOG")
expect_match "traffic produced scored messages ($scored)" "$scored" '^[1-9][0-9]+$'
expect_eq "messages_total = scored log lines" "$(total "$after" legit_messages_total)" "$scored"
for a in accept quarantine reject tempfail; do
  expect_eq "action=$a: metrics = log" "$(metric "$after" "legit_messages_total{action=\"$a\",mode=\"enforce\"}")" \
    "$(grep -c " score=-\?[0-9.]* action=$a" "$LOG")"
done
expect_eq "unscored trusted = log" "$(metric "$after" 'legit_messages_unscored_total{reason="trusted"}')" \
  "$(grep -c 'trusted-network, not scored\| reason=trusted' "$LOG")"
expect_eq "unscored authenticated = log" "$(metric "$after" 'legit_messages_unscored_total{reason="authenticated"}')" \
  "$(grep -c 'authenticated=.*not scored\| reason=authenticated' "$LOG")"
for cr in iprev:pass iprev:temperror helo:not-fqdn helo:matches-ptr spf:none; do
  c=${cr%%:*} r=${cr#*:}
  expect_eq "check results $c=$r: metrics = log" \
    "$(metric "$after" "legit_check_results_total{check=\"$c\",result=\"$r\"}")" \
    "$(grep ' score=' "$LOG" | grep -o "[=,]$c:$r(" | wc -l)"
done
expect_eq "probes_total = probe lines" "$(total "$after" legit_probes_total)" "$(grep -c ' probe: ' "$LOG")"
for k in ehlo-quit unknown-command no-helo no-message; do
  expect_eq "probe kind $k: metrics = log" "$(metric "$after" "legit_probes_total{kind=\"$k\"}")" \
    "$(grep -c " probe: $k" "$LOG")"
done
expect_eq "sessions open back to 0" "$(metric "$after" legit_sessions_open)" 0
expect_eq "score histogram counts every scored message" "$(metric "$after" legit_score_count)" "$scored"
expect_eq "latency histogram counts every scored message" "$(metric "$after" legit_eom_duration_seconds_count)" "$scored"
expect_eq "every scored log line carries eom-ms= and dns-lookups=" \
  "$(grep ' score=' "$LOG" | grep -c ' eom-ms=[0-9.]* dns-lookups=[0-9]*$')" "$scored"
expect_eq "DNS lookups per message: histogram sum = sum of dns-lookups= in the log" \
  "$(metric "$after" legit_message_dns_lookups_sum)" \
  "$(grep -o ' dns-lookups=[0-9]*' "$LOG" | awk -F= '{ s += $2 } END { print s + 0 }')"
lookups=$(metric "$after" legit_dns_lookups_total)
expect_match "resolver lookups counted ($lookups)" "$lookups" '^[1-9][0-9]*$'
hits=$(metric "$after" legit_dns_cache_hits_total)
expect_match "answer cache hits counted ($hits)" "$hits" '^[1-9][0-9]*$'
expect_eq "cache hits + misses + joined = lookups the checks asked for" \
  "$(( hits + $(metric "$after" legit_dns_cache_misses_total) + $(metric "$after" legit_dns_cache_joined_total) ))" "$lookups"
expect_eq "resolver healthy (canaries answered)" "$(metric "$after" legit_dns_resolver_healthy)" 1
expect_match "the PTR that times out is counted" "$(metric "$after" legit_dns_timeouts_total)" '^[1-9][0-9]*$'
expect_eq "no callback errors" "$(total "$after" legit_errors_total)" 0

# --- stats -----------------------------------------------------------------------------
st=$("$BIN" stats --metrics-listen "inet:$HPORT@127.0.0.1" 2>&1); rc=$?
echo "$st" | sed 's/^/     | /'
expect_eq "stats: exit 0" "$rc" 0
expect_match "stats: messages scored" "$st" "Messages scored: $scored"
expect_match "stats: accept line" "$st" "accept +$(metric "$after" 'legit_messages_total{action="accept",mode="enforce"}') "
expect_match "stats: probes" "$st" "ehlo-quit $(metric "$after" 'legit_probes_total{kind="ehlo-quit"}')"
expect_match "stats: latency quantiles" "$st" "End-of-data latency: p50 [0-9.]+ ms"
expect_match "stats: most frequent check results" "$st" "iprev=pass +[1-9]"
echo "metrics-listen = inet:$HPORT@127.0.0.1" >"$WORK/stats.conf"
expect_match "stats -c FILE reads metrics-listen from the file" "$("$BIN" stats -c "$WORK/stats.conf" 2>&1)" "Messages scored: $scored"
expect_eq "stats --raw is the exposition text" "$("$BIN" stats --raw --metrics-listen "inet:$HPORT@127.0.0.1" | grep -c '^# TYPE legit_')" \
  "$(grep -c '^# TYPE legit_' "$WORK/metrics.txt")"
out=$("$BIN" stats 2>&1); rc=$?
expect_eq "stats without metrics-listen: exit 2" "$rc" 2
expect_match "stats without metrics-listen: says what to set" "$out" "metrics-listen"
out=$("$BIN" stats --metrics-listen "inet:$(free_port)@127.0.0.1" 2>&1); rc=$?
expect_eq "stats with nothing listening: exit 1" "$rc" 1

# --- reload: counted, and the counters survive it --------------------------------------
kill -HUP "$MAIN_PID"
wait_line "$LOG" 'reload on SIGHUP: .* is live' || fail "SIGHUP: reload logged" "$(tail -3 "$LOG")"
re=$(scrape)
expect_eq "SIGHUP: legit_reloads_total{result=ok} 0 -> 1" \
  "$(metric "$after" 'legit_reloads_total{result="ok"}') -> $(metric "$re" 'legit_reloads_total{result="ok"}')" "0 -> 1"
expect_eq "a reload keeps the counters" "$(total "$re" legit_messages_total):$(total "$re" legit_probes_total)" \
  "$scored:$(total "$after" legit_probes_total)"
expect_eq "after a reload the resolver is still watched" "$(metric "$re" legit_dns_resolver_healthy)" 1
kill -TERM "$MAIN_PID"
wait "$MAIN_PID" 2>/dev/null

# A reload that fails (a broken file) is counted as failed.
HPORT=$(free_port)
printf 'metrics-listen = inet:%s@127.0.0.1\n' "$HPORT" >"$WORK/reload.conf"
start_milter rl -c "$WORK/reload.conf" || { cat "$WORK/rl.err"; exit 1; }
echo "reject-below = x" >>"$WORK/reload.conf"
kill -HUP "$PID"
wait_line "$WORK/rl.err" 'reload on SIGHUP failed' || fail "broken file: reload refused" "$(tail -3 "$WORK/rl.err")"
re=$(scrape)
expect_eq "failed reload: legit_reloads_total ok/failed" \
  "$(metric "$re" 'legit_reloads_total{result="ok"}')/$(metric "$re" 'legit_reloads_total{result="failed"}')" "0/1"
kill -TERM "$PID"
wait "$PID" 2>/dev/null

# The local copy of a Redis memory: kept and in step, its records counted;
# Redis gone: reads go to Redis (temperror), the gauge says so.
expect_eq "no memory: no copy" "$(metric "$re" legit_memory_copy_kept)/$(metric "$re" legit_memory_copy_in_step)" "0/0"
RPORT=$(free_port)
start_redis "$RPORT"
redis-cli -p "$RPORT" HSET legit:h:n:192.0.2.0/24:ok c 3 f 1764000000 l 1764000000 h 2592000 >/dev/null
redis-cli -p "$RPORT" EXPIRE legit:h:n:192.0.2.0/24:ok 86400 >/dev/null
HPORT=$(free_port)
start_milter mem --metrics-listen "inet:$HPORT@127.0.0.1" --memory "redis://127.0.0.1:$RPORT/0" || { cat "$WORK/mem.err"; exit 1; }
wait_line "$WORK/mem.err" 'local copy of 1 records' || fail "redis memory: copy made" "$(tail -3 "$WORK/mem.err")"
m=$(scrape)
expect_eq "redis memory: copy kept, in step, 1 record" \
  "$(metric "$m" legit_memory_copy_kept)/$(metric "$m" legit_memory_copy_in_step)/$(metric "$m" legit_memory_copy_records)" "1/1/1"
promtool check metrics <<<"$m" >"$WORK/promtool-mem.out" 2>&1; rc=$?
expect_eq "promtool accepts the scrape with a memory" "$rc:$(cat "$WORK/promtool-mem.out")" "0:"
kill -KILL "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
for _ in $(seq 1 50); do
  m=$(scrape)
  [ "$(metric "$m" legit_memory_copy_in_step)" = 0 ] && break
  sleep 0.1
done
expect_eq "Redis gone: the copy no longer answers" "$(metric "$m" legit_memory_copy_kept)/$(metric "$m" legit_memory_copy_in_step)" "1/0"
kill -TERM "$PID"
finish
