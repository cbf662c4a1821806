# lib.sh — shared helpers for the integration tests (sourced, not run).
#
#   start_dns ZONEFILE... [-- zoneserver options]  starts tests/dns/zoneserver.py
#                          on a free loopback port, sets DNS_PORT, waits for "ready"
#   free_port              prints a free TCP/UDP port on 127.0.0.1, never one it
#                          printed before in this script (chosen, maybe not bound yet)
#   wait_started LOG PID [PORT [TENTHS]]  until LOG has legit-milter's start line
#                          (and 127.0.0.1:PORT accepts); false at once if PID died,
#                          or after TENTHS/10 s (100: 10 s)
#   wait_line FILE REGEX [N [TENTHS]]  until FILE has N (1) lines matching the
#                          extended REGEX; false after TENTHS/10 s (100: 10 s)
#   wait_listen PORT [TENTHS]  until 127.0.0.1:PORT accepts; false after TENTHS/10 s (10 s)
#   start_blackhole        a DNS port that never answers; sets BLACKHOLE_PORT
#   milter_bg LOG [ARG]... $BIN in the background on a free 127.0.0.1 port, asking the
#                          start_dns server (--dns-timeout 2), its log (stderr) in LOG,
#                          then ARGs; sets MILTER_PORT and MILTER_PID (killed on exit);
#                          waits for the start line and the port (wait_started, 10 s):
#                          false if it died or did not start
#   ok NAME / fail NAME WHY   record one assertion
#   skip_part WHY          a part that cannot run here (a tool missing, not root):
#                          said, and the test ends skipped (77), not passed
#   expect_eq NAME GOT WANT, expect_match NAME TEXT REGEX
#   json_get JSON EXPR     evaluates a python expression on the parsed JSON (j)
#   check_json ARGS...     `$BIN check --json` against the start_dns server
#                          (DNS_TIMEOUT s per lookup, default 2; stderr to $WORK/stderr)
#   results_of JSON CHECK  that check's result words, space-separated, in order
#   points_but KEEP-REGEX [KEY=POINTS]...  the [points] section of the defaults'
#                          --dump-config with every point 0 but these, and the keys
#                          matching KEEP-REGEX ('' for none) at their defaults; fails
#                          (says why) when $BIN's rows are not etc/legit-milter.conf's
#   points_keys            the check.result keys of the [points] rows on stdin
#   memory_points_conf FILE  points for the memory tests (0 but iprev and memory checks;
#                          the anonymous floor off)
#   start_redis PORT [redis-server options]  a real redis-server on 127.0.0.1:PORT
#                          (no snapshots, files in $WORK, output in $WORK/redis.out),
#                          waits until it accepts, sets REDIS_PID; missing or not
#                          starting = the test FAILS (scripts/deps.sh installs it)
#   finish                 prints "N passed, N failed" and exits 0/1
# Everything started through lib.sh is killed on exit.
set -u
# The milter's built-in `memory` default (an LMDB file under /var/lib) is
# replaced by "none" in every test; memory tests pass --memory explicitly.
export LEGIT_MEMORY_DEFAULT=none
# No test reads the host's /etc/legit-milter.conf by accident: without -c the
# binary reads $LEGIT_MILTER_CONF, empty = no file (built-in defaults).
export LEGIT_MILTER_CONF=${LEGIT_MILTER_CONF-}
SRC=${LEGIT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PY=/usr/bin/python3
PASSED=0
FAILED=0
FAILED_NAMES=()
SKIPPED_PARTS=()
PIDS=()
WORK=$(mktemp -d /tmp/legit-it.XXXXXX)
chmod 755 "$WORK"

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# Ports handed out are remembered in $WORK/ports: a port chosen but not yet
# bound (smtp-sink's, picked before the milter's) is never handed out again.
free_port() {
  $PY -c 'import socket, sys
f = sys.argv[1]
try:
    used = set(open(f).read().split())
except OSError:
    used = set()
for _ in range(50):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if str(p) in used:
        continue
    u = socket.socket(type=socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); u.close()
    except OSError:
        u.close(); continue
    open(f, "a").write("%d\n" % p); print(p); break' "$WORK/ports"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_listen() {
  local _
  for _ in $(seq 1 "${2:-100}"); do port_open "$1" && return 0; sleep 0.1; done
  return 1
}

wait_started() {
  local _
  for _ in $(seq 1 "${4:-100}"); do
    grep -q "starting legit-milter" "$1" 2>/dev/null && { [ -z "${3:-}" ] || port_open "$3"; } && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

wait_line() {
  local _ n
  for _ in $(seq 1 "${4:-100}"); do
    n=$(grep -cE -- "$2" "$1" 2>/dev/null)
    [ "${n:-0}" -ge "${3:-1}" ] && return 0
    sleep 0.1
  done
  return 1
}

skip() { echo "SKIP: $*"; exit 77; }

milter_bg() {
  local log=$1
  shift
  MILTER_PORT=$(free_port)
  "$BIN" --socket "inet:$MILTER_PORT@127.0.0.1" --log stderr --dns-server "127.0.0.1@${DNS_PORT:?start_dns first}" \
    --dns-timeout 2 "$@" 2>"$log" &
  MILTER_PID=$!
  PIDS+=("$MILTER_PID")
  wait_started "$log" "$MILTER_PID" "$MILTER_PORT"
}

start_dns() {
  [ -x $PY ] && $PY -c 'import dnslib' 2>/dev/null || skip "python3-dnslib is not installed"
  DNS_PORT=$(free_port)
  local out="$WORK/dns.$DNS_PORT.out"
  $PY "$SRC/tests/dns/zoneserver.py" --port "$DNS_PORT" --addr 127.0.0.1 "$@" >"$out" 2>&1 &
  PIDS+=($!)
  wait_line "$out" ready && return 0
  echo "zoneserver did not start:"; cat "$out"; exit 1
}

# A "DNS server" that reads every query and never answers (UDP and TCP), so
# that every lookup really times out. Sets BLACKHOLE_PORT.
start_blackhole() {
  BLACKHOLE_PORT=$(free_port)
  $PY -c 'import socket, sys, time
p = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", p)); t.listen(64)
print("ready", flush=True)
deadline = time.time() + 900
while time.time() < deadline:
    u.settimeout(1)
    try: u.recvfrom(4096)
    except socket.timeout: pass' "$BLACKHOLE_PORT" >"$WORK/blackhole.out" 2>&1 &
  PIDS+=($!)
  wait_line "$WORK/blackhole.out" ready 1 50 && return 0
  echo "blackhole did not start"; exit 1
}

ok() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); FAILED_NAMES+=("$1"); echo "FAIL - $1: $2"; }
skip_part() { SKIPPED_PARTS+=("$1"); echo "SKIP - $1"; }

expect_eq() {
  if [ "$2" == "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
expect_match() {
  if [[ "$2" =~ $3 ]]; then ok "$1"; else fail "$1" "'$2' does not match /$3/"; fi
}

json_get() {
  $PY -c 'import json, sys
j = json.loads(sys.argv[1])
print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

check_json() {
  "$BIN" check --json --dns-server "127.0.0.1@${DNS_PORT:?start_dns first}" \
    --dns-timeout "${DNS_TIMEOUT:-2}" --authserv-id mx.test.example --log stderr "$@" 2>>"$WORK/stderr"
}

results_of() {
  json_get "$1" "' '.join(c['result'] for c in j['checks'] if c['check'] == '$2')"
}

# The check.result keys of the [points] rows on stdin, in order (commented
# out or not).
points_keys() {
  LC_ALL=C awk '/^\[points\]/ { on = 1; next } on && /^#?[a-z0-9-]+\.[a-z0-9-]+ = / { sub(/^#/, ""); print $1 }'
}

points_but() {
  local keep=$1 dump rows
  shift
  # The built-in defaults (-c /dev/null): a file named by the environment
  # would set rows, and a set row is no longer commented out.
  dump=$("$BIN" -c /dev/null --dump-config) || { echo "points_but: $BIN --dump-config failed" >&2; return 1; }
  # A binary not built from $SRC (a stale build directory) has other rows:
  # said, instead of a config that silently lacks them.
  rows=$(diff <(points_keys <"$SRC/etc/legit-milter.conf") <(points_keys <<<"$dump"))
  if [ -n "$rows" ]; then
    { echo "points_but: the [points] rows of $BIN are not those of $SRC/etc/legit-milter.conf"
      echo "  (a binary built from another tree, or etc/legit-milter.conf not regenerated):"
      head -20 <<<"$rows"; } >&2
    return 1
  fi
  LC_ALL=C awk -v keep="$keep" -v set="$*" '
    BEGIN { n = split(set, kvs, " "); for (i = 1; i <= n; i++) { split(kvs[i], p, "="); want[p[1]] = p[2] } }
    /^\[points\]/ { on = 1; print; next }
    on && /^#?[a-z0-9-]+\.[a-z0-9-]+ = / {
      sub(/^#/, ""); split($0, kv, " = "); v = 0
      if (kv[1] in want) v = want[kv[1]]
      else if (keep != "" && kv[1] ~ keep) v = kv[2]
      print kv[1] " = " v
    }' <<<"$dump"
}

# memory_points_conf FILE: a config whose points are 0 everywhere but iprev
# (pass +1, fail -2) and the memory checks (their defaults): the memory tests.
# The anonymous floor is off too (its clients have no PTR and no SPF: it
# would quarantine what the points decide).
memory_points_conf() {
  { echo "anonymous-action = none"; points_but '^(history|correspondent)\.' iprev.pass=1 iprev.fail=-2; } >"$1" ||
    { fail "memory_points_conf" "no points config (see above)"; finish; }
}

start_redis() {
  local port=$1; shift
  if ! command -v redis-server >/dev/null; then
    fail "redis-server" "not installed (scripts/deps.sh installs it): this test cannot run"
    finish
  fi
  redis-server --port "$port" --bind 127.0.0.1 --save "" --dir "$WORK" "$@" >>"$WORK/redis.out" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  wait_listen "$port" && return 0
  tail -5 "$WORK/redis.out"
  fail "redis-server" "did not start on port $port"
  finish
}

# A part skipped is not a pass: without failures the test exits 77, which
# ctest shows as skipped.
finish() {
  [ $FAILED -gt 0 ] && printf 'failed: %s\n' "${FAILED_NAMES[@]}"
  [ ${#SKIPPED_PARTS[@]} -gt 0 ] && printf 'skipped: %s\n' "${SKIPPED_PARTS[@]}"
  echo "$PASSED passed, $FAILED failed"
  [ $FAILED -gt 0 ] && exit 1
  [ ${#SKIPPED_PARTS[@]} -gt 0 ] && exit 77
  exit 0
}
