# harness.sh — a private Postfix on loopback for the end-to-end tests
# (sourced after ../lib.sh, whose $WORK, $PY, $PIDS, free_port, skip it uses).
#
#   pf_require              exit 77 unless root with postfix, smtp-sink, swaks
#   pf_init [DIR]           $PF=DIR (default $WORK/pf) with etc/ spool/ sink/,
#                           smtp-sink port (call again with another DIR for a
#                           second instance; save and restore PF/PF_MASTER)
#   milter_start NAME ARG.. the real legit-milter ($BIN) on a free port, its
#                           stderr = log in $PF/milter-NAME.log; sets MPORT_NAME
#   milter_stop NAME        SIGTERM by recorded PID, waits for the exit
#   pf_listener NAME OPT..  one more "127.0.0.1:PORT inet ... smtpd" in
#                           master.cf with "-o OPT" lines; sets PORT_NAME
#   pf_start / pf_stop      smtp-sink + `postfix -c $PF/etc start`; stop by PID
#                           (PF_SINK_DUMP=0: smtp-sink keeps no message files;
#                           PF_MAIN_EXTRA=("name = value"...): main.cf settings
#                           over the template's)
#   pf_swaks NAME ARG..     swaks against listener NAME; output in $SW_OUT,
#                           exit code in $SW_RC, queue id in $SW_QID
#   xclient IP NAME [LOGIN] swaks XCLIENT arguments (NAME and REVERSE_NAME
#                           always: ADDR alone keeps the real client's name)
#   sink_file QID           path of the sink copy of QID (waits up to 15 s)
#   headers_json FILE       [[name, unfolded value], ...] of a message file
#   queue_name QID          hold/deferred/active/incoming/maildrop or ""
#   milter_line NAME QID    the milter log line(s) of queue id QID
#   noleak CMD..            CMD with LeakSanitizer off (sanitizer builds): main.cc
#                           keeps its Config alive on purpose, so `-t` "leaks"
#   sanitizer_errors        ASan/UBSan reports in the milter logs (prints them)
#   points_conf FILE        writes the test config: every points row of
#                           --dump-config 0 except iprev (pass +1, permerror
#                           -5 = quarantine, fail -20 = reject)
# Every process is stopped by recorded PID (pf_stop, then lib.sh's cleanup).
HARNESS_DIR=$SRC/tests/integration/postfix

pf_require() {
  [ "$(id -u)" = 0 ] || skip "needs root (a private Postfix instance is started with postfix -c DIR)"
  local b
  for b in postfix postconf postqueue postcat smtp-sink swaks; do
    command -v "$b" >/dev/null || skip "needs $b (Debian packages postfix, swaks: scripts/deps.sh test)"
  done
  [ -x "$BIN" ] || skip "no legit-milter binary at $BIN"
}

pf_init() {
  PF=${1:-$WORK/pf}
  mkdir -p "$PF/etc" "$PF/spool" "$PF/sink"
  chmod 755 "$PF" "$PF/spool"
  chown nobody:nogroup "$PF/sink"  # smtp-sink -u nobody writes there
  SINK_PORT=$(free_port)
  cp "$HARNESS_DIR/master.cf.in" "$PF/etc/master.cf"
}

wait_port() { wait_listen "$@"; }  # wait_port PORT [TENTHS]: lib.sh's wait_listen

milter_start() {
  local name=$1
  shift
  if ! milter_bg "$PF/milter-$name.log" --authserv-id mx.e2e.test "$@"; then
    echo "legit-milter ($name) did not start:"; cat "$PF/milter-$name.log"; exit 1
  fi
  eval "MPORT_$name=$MILTER_PORT MPID_$name=$MILTER_PID"
}

milter_stop() {
  local pid
  eval "pid=\$MPID_$1"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null  # drains messages in flight; idle: well under 1 s
}

pf_listener() {
  local name=$1 port; shift
  port=$(free_port)
  printf '127.0.0.1:%s inet n - n - - smtpd\n' "$port" >>"$PF/etc/master.cf"
  local opt
  for opt in "$@"; do printf '  -o %s\n' "$opt" >>"$PF/etc/master.cf"; done
  eval "PORT_$name=$port"
  PF_PORTS+=("$port")
}

pf_start() {
  sed -e "s#@PF@#$PF#g" -e "s/@SINK_PORT@/$SINK_PORT/g" -e "s/@MILTER@/${1:-9}/g" \
    "$HARNESS_DIR/main.cf.in" >"$PF/etc/main.cf"
  local _l
  for _l in ${PF_MAIN_EXTRA+"${PF_MAIN_EXTRA[@]}"}; do  # "name = value" lines over the template
    postconf -c "$PF/etc" -e "$_l" || { echo "postconf -e '$_l' failed"; exit 1; }
  done
  local dump=(-d "$PF/sink/%Y%m%d%H%M%S.")
  [ "${PF_SINK_DUMP:-1}" = 0 ] && dump=()  # bench/run.sh: no disk copy per message
  smtp-sink -u nobody -h sink.e2e.test "${dump[@]}" "127.0.0.1:$SINK_PORT" 1024 \
    >"$PF/smtp-sink.out" 2>&1 &
  PIDS+=($!)
  postfix -c "$PF/etc" check >"$PF/postfix-start.out" 2>&1 &&
    postfix -c "$PF/etc" start >>"$PF/postfix-start.out" 2>&1 ||
    { echo "postfix did not start:"; cat "$PF/postfix-start.out" "$PF/maillog" 2>/dev/null; exit 1; }
  local _p
  for _p in $(seq 1 50); do [ -s "$PF/spool/pid/master.pid" ] && break; sleep 0.1; done
  PF_MASTER=$(tr -d ' \n' <"$PF/spool/pid/master.pid")
  for _p in "$SINK_PORT" "${PF_PORTS[@]}"; do
    wait_port "$_p" || { echo "nothing listens on $_p"; cat "$PF/maillog"; exit 1; }
  done
}

pf_stop() {
  [ -n "${PF_MASTER:-}" ] || return 0
  postfix -c "$PF/etc" stop >/dev/null 2>&1 || kill -TERM "$PF_MASTER" 2>/dev/null
  local _
  for _ in $(seq 1 100); do [ -d "/proc/$PF_MASTER" ] || break; sleep 0.1; done
  [ -d "/proc/$PF_MASTER" ] && kill -KILL "$PF_MASTER" 2>/dev/null
  PF_MASTER=
}

xclient() {
  printf '%s\n' --xclient-addr "$1" --xclient-name "$2" --xclient-reverse-name "$2"
  [ -n "${3:-}" ] && printf '%s\n' --xclient-login "$3"
  return 0
}

pf_swaks() {
  local name=$1 port; shift
  eval "port=\$PORT_$name"
  SW_OUT=$(swaks --server "127.0.0.1:$port" --timeout 30 "$@" 2>&1)
  SW_RC=$?
  SW_QID=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' <<<"$SW_OUT" | tail -1)
}

sink_file() {
  local f _
  [ -n "$1" ] || return 1
  for _ in $(seq 1 150); do
    f=$(grep -lE "id $1(;|\$)" "$PF"/sink/* 2>/dev/null | head -1)
    [ -n "$f" ] && { echo "$f"; return 0; }
    sleep 0.1
  done
  return 1
}

headers_json() {
  $PY - "$1" <<'EOF'
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
print(json.dumps([[k, " ".join(str(v).split())] for k, v in m.items()]))
EOF
}

queue_name() {
  postqueue -c "$PF/etc" -j 2>/dev/null | $PY -c 'import json, sys
for l in sys.stdin:
    j = json.loads(l)
    if j["queue_id"] == sys.argv[1]: print(j["queue_name"])' "$1"
}

milter_line() { grep -F " $2: " "$PF/milter-$1.log"; }

points_conf() {
  {
    echo "quarantine-below = -4"
    echo "reject-below = -8"
    echo "anonymous-action = none"  # iprev alone decides: no floor for clients without PTR and SPF
    points_but '' iprev.pass=1 iprev.permerror=-5 iprev.fail=-20
  } >"$1" || { echo "no test config $1 (see above)"; exit 1; }
  noleak "$BIN" -t -c "$1" >/dev/null 2>&1 || { echo "bad test config $1:"; cat "$1"; exit 1; }
}

noleak() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"; }

# No milter log at all is no clean bill: it says so.
sanitizer_errors() {
  compgen -G "$PF/milter-*.log" >/dev/null || { echo "no milter log in $PF"; return; }
  grep -h -A3 -E 'ERROR: AddressSanitizer|runtime error:' "$PF"/milter-*.log | head -20
}
