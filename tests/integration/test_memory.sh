#!/usr/bin/env bash
# test_memory.sh — the sender memory through `legit-milter check` with a real
# LMDB file and a real redis-server (started here on a free loopback port,
# and on a unix socket with a password, both in the test's temp dir):
#   - check without --record writes nothing and never creates the file
#   - check --record of a doubtful new triplet: tempfail + greylist reason;
#     again at once: too-early; after greylist-delay: its normal action
#   - an authenticated user's mail makes the reply a `reply`
#   - memory show / forget of a network and an address; forget of an
#     address (LMDB, Redis) or network (LMDB) erases its greylisting
#     triplets: the next --record is a new triplet again
#   - Redis killed: temperror within the deadline, action from the score;
#     back: works again; a full LMDB: clear log line, verdict unchanged
# usage: test_memory.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
start_dns "$SRC/tests/dns/iprev.test.zone" "$SRC/tests/dns/iprev-reverse.zone"

# Points: 0 everywhere but iprev (pass +1, fail -2) and the memory checks.
memory_points_conf "$WORK/mem.conf"

mcheck() {  # mcheck MEMORY ARGS..: check --json with this memory and the test points
  local mem=$1; shift
  check_json -c "$WORK/mem.conf" --memory "$mem" --greylist-delay 4 --memory-timeout 0.5 "$@"
}
action_of() { json_get "$1" 'j["action"]'; }
log_of() { json_get "$1" 'j["log"]'; }
DOUBT=(--client-ip 198.51.100.11 --helo x.iprev.test --mail-from '<a@far.example>')

greylist_cycle() {  # greylist_cycle NAME MEMORY RCPT
  local name=$1 mem=$2 rcpt=$3 out
  out=$(mcheck "$mem" "${DOUBT[@]}" --rcpt "$rcpt" --record)
  # The triplet was first seen before this call returned, not when it
  # started: timed from the start, a slow call (load 8-16) made the retry
  # 1 s too early.
  local t0=$(date +%s%N)
  expect_eq "$name: first --record: tempfail" "$(action_of "$out")" tempfail
  expect_match "$name: greylist reason in the log" "$(log_of "$out")" 'greylist=new-triplet\(retry-after-4s\)'
  expect_match "$name: 451 4.7.1 with the retry hint" "$(json_get "$out" 'j["reply"]')" \
    '^451 4.7.1 Greylisted: please try again in 4 seconds'
  # At once, before the slower checks below (an ASan build at load 20 took
  # over 4 s for the three calls that came first here).
  out=$(mcheck "$mem" "${DOUBT[@]}" --rcpt "$rcpt" --record)
  expect_match "$name: retry at once: too early" "$(log_of "$out")" 'action=tempfail .*greylist=too-early'
  out=$(mcheck "$mem" "${DOUBT[@]}" --rcpt "other-$rcpt")
  out=$(mcheck "$mem" "${DOUBT[@]}" --rcpt "other-$rcpt")
  expect_match "$name: check without --record writes nothing (still new)" "$(log_of "$out")" \
    'action=tempfail .*greylist=new-triplet'
  sleep "$(awk "BEGIN { w = 4.3 - ($(date +%s%N) - $t0) / 1e9; print (w > 0 ? w : 0) }")"  # past the delay
  out=$(mcheck "$mem" "${DOUBT[@]}" --rcpt "$rcpt" --record)
  expect_eq "$name: retry after the delay: its normal action" "$(action_of "$out")" accept
  expect_match "$name: greylist=passed" "$(log_of "$out")" 'greylist=passed\(retried-after-[0-9]+s\)'
  out=$(mcheck "$mem" "${DOUBT[@]}" --rcpt "$rcpt" --record)
  expect_match "$name: then known" "$(log_of "$out")" 'action=accept .*greylist=known'
}

reply_cycle() {  # reply_cycle NAME MEMORY
  local name=$1 mem=$2 out
  printf 'From: alice@iprev.test\nTo: pen.pal@far.example\nMessage-ID: <out-%s@iprev.test>\nSubject: hi\n\nhi\n' \
    "$name" >"$WORK/out.eml"
  out=$(mcheck "$mem" --client-ip 198.51.100.10 --helo mail.iprev.test --mail-from '<alice@iprev.test>' \
    --rcpt pen.pal@far.example --auth alice --message "$WORK/out.eml" --record)
  expect_eq "$name: authenticated outbound: not scored" "$(json_get "$out" 'j["scored"]')" False
  printf 'From: pen.pal@far.example\nTo: alice@iprev.test\nIn-Reply-To: <out-%s@iprev.test>\nSubject: Re: hi\n\nhi\n' \
    "$name" >"$WORK/reply.eml"
  out=$(mcheck "$mem" --client-ip 198.51.100.11 --helo x.iprev.test --mail-from '<other@far.example>' \
    --rcpt alice@iprev.test --message "$WORK/reply.eml")
  expect_eq "$name: the reply is a reply" "$(results_of "$out" correspondent)" reply
  expect_eq "$name: reply: accepted, not greylisted" "$(action_of "$out")" accept
  out=$(mcheck "$mem" --client-ip 198.51.100.11 --helo x.iprev.test --mail-from '<pen.pal@far.example>' \
    --rcpt alice@iprev.test)
  expect_eq "$name: mail from the address alice wrote to: correspondent" "$(results_of "$out" correspondent)" correspondent
}

# forget_cycle NAME MEMORY NETWORK-TOO [memory options]: a sender's open
# greylisting triplet goes with `memory forget ADDRESS` (and NETWORK).
WIPED=(--client-ip 198.51.100.11 --helo x.iprev.test --mail-from '<wiped@far.example>')
forget_cycle() {
  local name=$1 mem=$2 network=$3 out; shift 3
  out=$(mcheck "$mem" "${WIPED[@]}" --rcpt f@iprev.test --record)
  expect_match "$name: forget: a new triplet" "$(log_of "$out")" 'action=tempfail .*greylist=new-triplet'
  out=$(mcheck "$mem" "${WIPED[@]}" --rcpt f@iprev.test --record)
  expect_match "$name: forget: recorded (too early)" "$(log_of "$out")" 'greylist=too-early'
  out=$("$BIN" memory show wiped@far.example -c "$WORK/mem.conf" --memory "$mem" "$@" 2>&1)
  expect_match "$name: memory show ADDRESS lists its triplet" "$out" 'g:i:[0-9a-f]{16}:[0-9a-f]{16} +count='
  out=$("$BIN" memory forget wiped@far.example -c "$WORK/mem.conf" --memory "$mem" "$@" 2>&1)
  expect_match "$name: memory forget ADDRESS: its triplet" "$out" \
    'greylisting triplets of wiped@far.example: [1-9][0-9]* records forgotten'
  out=$(mcheck "$mem" "${WIPED[@]}" --rcpt f@iprev.test --record)
  expect_match "$name: after forget ADDRESS: a new triplet again" "$(log_of "$out")" 'greylist=new-triplet'
  [ "$network" = 1 ] || return 0
  out=$("$BIN" memory forget 198.51.100.11 -c "$WORK/mem.conf" --memory "$mem" "$@" 2>&1)
  expect_match "$name: memory forget NETWORK: its triplets" "$out" \
    'greylisting triplets of 198\.51\.100\.0/24: [1-9][0-9]* records forgotten'
  out=$(mcheck "$mem" "${WIPED[@]}" --rcpt f@iprev.test --record)
  expect_match "$name: after forget NETWORK: a new triplet again" "$(log_of "$out")" 'greylist=new-triplet'
}

# ------------------------------------------------------------------ LMDB
L="lmdb:$WORK/memory.lmdb"
out=$(mcheck "$L" "${DOUBT[@]}" --rcpt b@iprev.test)
expect_eq "lmdb: check without --record creates no file" "$(ls "$WORK"/memory.lmdb* 2>/dev/null | wc -l)" 0
expect_eq "lmdb: no file = no memory checks" "$(results_of "$out" history)" ""
greylist_cycle lmdb "$L" b@iprev.test
reply_cycle lmdb "$L"
out=$("$BIN" memory show 198.51.100.200 -c "$WORK/mem.conf" --memory "$L" 2>&1)
expect_match "lmdb: memory show NETWORK" "$out" 'h:n:198\.51\.100\.0/24:ok +count=2\.00'
out=$("$BIN" memory show alice@iprev.test -c "$WORK/mem.conf" --memory "$L" 2>&1)
expect_match "lmdb: memory show ADDRESS (hashed keys)" "$out" 'c:s:[0-9a-f]{16} +count=1'
expect_eq "lmdb: the address is not stored in clear" "$(grep -c 'pen.pal' "$WORK/memory.lmdb")" 0
out=$("$BIN" memory forget 198.51.100.0/24 -c "$WORK/mem.conf" --memory "$L" 2>&1)
expect_match "lmdb: memory forget NETWORK" "$out" 'history of 198\.51\.100\.0/24: [1-9][0-9]* records forgotten'
out=$("$BIN" memory show 198.51.100.0/24 -c "$WORK/mem.conf" --memory "$L" 2>&1)
expect_match "lmdb: forgotten" "$out" 'history of 198\.51\.100\.0/24: nothing remembered'
out=$("$BIN" memory forget pen.pal@far.example -c "$WORK/mem.conf" --memory "$L" 2>&1)
expect_match "lmdb: memory forget ADDRESS" "$out" 'our users wrote to pen.pal@far.example: 1 records forgotten'
forget_cycle lmdb "$L" 1

# A full LMDB (64 KiB): the writes are refused with a clear line, the verdict stands.
F="lmdb:$WORK/full.lmdb"
rcpts=(); for i in $(seq 1 1500); do rcpts+=(--rcpt "user$i@far.example"); done
mcheck "$F" --memory-size 0.0625 --client-ip 198.51.100.10 --helo mail.iprev.test \
  --mail-from '<alice@iprev.test>' --auth alice "${rcpts[@]}" --record >/dev/null
expect_match "lmdb full: clear log line" "$(cat "$WORK/stderr")" 'memory: lmdb:.*full\.lmdb refused [0-9]+ updates \(full or not writable; raise memory-size'
out=$(mcheck "$F" --memory-size 0.0625 --client-ip 198.51.100.10 --helo mail.iprev.test --mail-from '<a@far.example>' --rcpt b@iprev.test --record)
expect_eq "lmdb full: mail still scored and accepted" "$(action_of "$out")" accept
out=$(mcheck "lmdb:$WORK/no/such/dir/m.lmdb" "${DOUBT[@]}" --rcpt b@iprev.test --record 2>&1)
expect_eq "lmdb unwritable dir: verdict without memory" "$(action_of "$out")" accept
expect_match "lmdb unwritable dir: said on stderr" "$(cat "$WORK/stderr")" 'memory: lmdb:.*/no/such/dir/m.lmdb: No such file or directory; checking without memory'

# ------------------------------------------------------------------ Redis
RPORT=$(free_port)
redis_up() {  # TCP, and a unix socket with a password; AOF: a restart keeps what it acknowledged
  start_redis "$RPORT" --appendonly yes --appendfsync always --unixsocket "$WORK/redis.sock" \
    --requirepass "s3cret-pass"
  # Redis listens before it has loaded its AOF and answers -LOADING meanwhile:
  # ready is a PONG over the unix socket, not the socket file appearing.
  for _ in $(seq 1 100); do
    [ -S "$WORK/redis.sock" ] &&
      [ "$(redis-cli -s "$WORK/redis.sock" -a s3cret-pass --no-auth-warning ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  fail "redis-server" "no PONG on the unix socket"; finish
}
redis_up
printf 's3cret-pass\n' >"$WORK/redis.pw"
R="redis://127.0.0.1:$RPORT/0"
mcheck() {
  local mem=$1; shift
  check_json -c "$WORK/mem.conf" --memory "$mem" --memory-password-file "$WORK/redis.pw" \
    --greylist-delay 4 --memory-timeout 0.5 "$@"
}
greylist_cycle redis "$R" c@iprev.test
reply_cycle redis "$R"
greylist_cycle redis-unix "unix:$WORK/redis.sock?db=3" d@iprev.test
forget_cycle redis "$R" 0 --memory-password-file "$WORK/redis.pw"
out=$("$BIN" memory show -c "$WORK/mem.conf" --memory "$R" --memory-password-file "$WORK/redis.pw" 2>&1)
expect_match "redis: memory show counts records" "$out" 'redis://127.0.0.1:[0-9]+/0: [0-9]+ records'
out=$(printf 'wrong\n' >"$WORK/bad.pw"; check_json -c "$WORK/mem.conf" --memory "$R" --memory-password-file "$WORK/bad.pw" \
  "${DOUBT[@]}" --rcpt e@iprev.test)
expect_eq "redis: a wrong password is temperror" "$(results_of "$out" history)" temperror

kill -KILL "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
start=$(date +%s%N)
out=$(mcheck "$R" --memory-timeout 0.02 "${DOUBT[@]}" --rcpt c@iprev.test)
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "redis down: history temperror" "$(results_of "$out" history)" temperror
expect_eq "redis down: not greylisted, action from the score" "$(action_of "$out")" accept
expect_match "redis down: logged" "$(cat "$WORK/stderr")" 'memory: redis://127\.0\.0\.1:[0-9]+/0 connect failed: .*mail flows'
expect_eq "redis down: check still quick (${elapsed_ms} ms)" "$((elapsed_ms < 3000))" 1
redis_up
out=$(mcheck "$R" "${DOUBT[@]}" --rcpt c@iprev.test)
expect_match "redis back: the passed triplet survived (appendonly)" "$(log_of "$out")" 'greylist=known'

finish
