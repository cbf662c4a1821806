#!/bin/bash
# test_spf_pool.sh — no thread and no uname per SPF evaluation (issue 11
# item 2): the real milter under `strace -f -c` scores 40 messages (two SPF
# evaluations each, spf and spf-helo) over the milter protocol; thread
# creations (clone/clone3) and uname calls must not grow with the messages
# (before: 2 threads and 2 uname per message). Verdicts are checked too.
# usage: test_spf_pool.sh /path/to/legit-milter   (exit 77 = skipped)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
[ -x "$BIN" ] || skip "no binary at $BIN"
command -v strace >/dev/null || skip "strace is not installed"
start_dns "$SRC/tests/dns/milter.zone" "$SRC/tests/dns/milter-reverse.zone"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0"
PORT=$(free_port)
strace -f -c -e trace=clone,clone3,uname -o "$WORK/strace" "$BIN" --socket "inet:$PORT@127.0.0.1" \
  --log stderr --dns-server "127.0.0.1@$DNS_PORT" --authserv-id mx.milter.test 2>"$WORK/milter.err" &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 1 300); do
  grep -q "starting legit-milter" "$WORK/milter.err" 2>/dev/null &&
    $PY -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1).close()" 2>/dev/null && break
  sleep 0.1
done
# 5 warm-up messages, then 40 more; strace counts over the whole run, and
# the live thread count (/proc/PID/task) must not grow over the 40.
threads() { ls "/proc/$(pgrep -P "$SPID" -f legit-milter | head -1)/task" 2>/dev/null | wc -l; }
$PY "$SRC/tests/integration/milter/dnsclient.py" "$PORT" 203.0.113.10 mail.milter.test QW 5 >"$WORK/warm" 2>&1
T1=$(threads)
$PY "$SRC/tests/integration/milter/dnsclient.py" "$PORT" 203.0.113.10 mail.milter.test QM 40 >"$WORK/msgs" 2>&1
T2=$(threads)
expect_eq "40 messages scored" "$(grep -c ' spf=none(0) spf-helo=none(0) ' "$WORK/msgs")" 40
kill -TERM "$(pgrep -P "$SPID" -f legit-milter | head -1)" 2>/dev/null
wait "$SPID" 2>/dev/null
cat "$WORK/strace" | sed 's/^/# /'
CLONES=$(awk '$NF == "clone" || $NF == "clone3" {n += $4} END {print n + 0}' "$WORK/strace")
UNAMES=$(awk '$NF == "uname" {print $4}' "$WORK/strace"); UNAMES=${UNAMES:-0}
echo "# 45 messages (90 SPF evaluations): $CLONES thread creations, $UNAMES uname calls in all; live threads $T1 -> $T2"
if [ "$T2" -le $((T1 + 2)) ]; then ok "live threads do not follow the messages ($T1 -> $T2 over 40)"
else fail "live threads grow" "$T1 -> $T2 over 40 messages"; fi
if [ "$CLONES" -lt 45 ]; then ok "thread creations do not follow SPF evaluations ($CLONES for 90)"
else fail "thread per SPF evaluation" "$CLONES clones for 45 messages"; fi
if [ "$UNAMES" -lt 10 ]; then ok "no uname per message ($UNAMES for 45 messages)"
else fail "uname per message" "$UNAMES for 45 messages"; fi
finish
