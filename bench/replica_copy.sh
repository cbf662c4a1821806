#!/usr/bin/env bash
# bench/replica_copy.sh — what the local copy of a Redis memory
# (memory-replica, milter/memory/redis_replica.h) costs in RAM and start-up
# time: a Redis filled with N records shaped like the milter's (a third
# network histories h:n:NET:ok, a third hashed addresses c:a:HASH, a third
# greylisting triplets g:t:HASH; each a hash {c,f,l,h} with a TTL), then two
# milters on it in the same run: memory-replica yes and no. Prints the
# seconds from start to "local copy of N records" and the resident-memory
# difference per record. usage: bench/replica_copy.sh [BUILD_DIR]  env: N=200000
set -uo pipefail
BUILD=$(realpath "${1:-build}") || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.." || exit 1
N=${N:-200000}
export LEGIT_SOURCE_DIR=$PWD
. tests/integration/lib.sh
BIN=$BUILD/legit-milter
[ -x "$BIN" ] || { echo "missing $BIN (build first)"; exit 1; }
command -v redis-server >/dev/null || skip "redis-server is not installed"
start_dns tests/dns/e2e.test.zone
RPORT=$(free_port)
start_redis "$RPORT" >/dev/null || { echo "redis-server did not start"; exit 1; }
redis-cli -p "$RPORT" EVAL "
  for i = 1, tonumber(ARGV[1]) do
    local k
    if i % 3 == 0 then k = string.format('legit:h:n:10.%d.%d.0/24:ok', math.floor(i / 256) % 256, i % 256)
    elseif i % 3 == 1 then k = string.format('legit:c:a:%016x', i * 2654435761)
    else k = string.format('legit:g:t:%016x', i * 40503) end
    redis.call('HSET', k, 'c', '3.5', 'f', '1764000000', 'l', '1764300000', 'h', '2592000')
    redis.call('EXPIRE', k, 86400 * 30)
  end
  return redis.call('DBSIZE')" 0 "$N" >"$WORK/filled" || { echo "filling Redis failed"; exit 1; }
echo "# legit-milter bench/replica_copy.sh $(date -u +%FT%TZ), git $(git rev-parse --short HEAD 2>/dev/null), N=$N, Redis keys $(cat "$WORK/filled")"
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
t0=$(date +%s.%N)
milter_bg "$WORK/with.log" --memory "redis://127.0.0.1:$RPORT/0"
WITH=$MILTER_PID
for _ in $(seq 1 600); do grep -q 'local copy of' "$WORK/with.log" && break; sleep 0.1; done
grep -q 'local copy of' "$WORK/with.log" || { echo "no copy made:"; tail -3 "$WORK/with.log"; exit 1; }
t1=$(date +%s.%N)
milter_bg "$WORK/without.log" --memory "redis://127.0.0.1:$RPORT/0" --memory-replica no
WITHOUT=$MILTER_PID
sleep 1
a=$(rss_kb "$WITH") b=$(rss_kb "$WITHOUT")
grep -o 'local copy of [0-9]* records' "$WORK/with.log"
awk -v a="$a" -v b="$b" -v n="$(cat "$WORK/filled")" -v t0="$t0" -v t1="$t1" 'BEGIN {
  printf "copy made within %.1f s of the milter'"'"'s start (start-up included)\n", t1 - t0
  printf "resident memory: with the copy %.1f MiB, without %.1f MiB: %.0f bytes per record\n", a / 1024, b / 1024, (a - b) * 1024 / n }'
