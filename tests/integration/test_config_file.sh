#!/bin/bash
# test_config_file.sh — the shipped config file and `-t` against the real
# binary: etc/legit-milter.conf must equal the defaults' rendering
# (`legit-milter -c /dev/null --dump-config`) byte for byte (regenerate it
# when options or checks change), it must pass -t, and -t must fail on a
# broken file with a message naming the option (and the line). The default
# file without -c (here $LEGIT_MILTER_CONF, never the host's /etc file, except
# where a test only reads the name), --dump-config printing the effective
# config, a line appended after [points], an option set twice, a quoted '#'.
# Also --help (listing every command: check, dig, memory, stats), each command's --help,
# dig --help and --version exit 0.
#
# Usage: test_config_file.sh /path/to/legit-milter   (ctest passes it;
# LEGIT_SOURCE_DIR = repo root). Exit 0 all passed, 1 some failed, 77 skip.
# Prints "N passed, N failed" at the end.
BIN=${1:-}
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "SKIP: no legit-milter binary given (usage: $0 BIN)"; exit 77; }
. "$(dirname "$0")/lib.sh"
CONF="$SRC/etc/legit-milter.conf"
TMP=$WORK
bad() { fail "$1" "${2:-}"; }

# --- the shipped file is what the binary generates ---
if "$BIN" -c /dev/null --dump-config >"$TMP/dump.conf" 2>"$TMP/dump.err"; then
  if cmp -s "$TMP/dump.conf" "$CONF"; then
    ok "etc/legit-milter.conf equals -c /dev/null --dump-config (the defaults)"
  else
    bad "etc/legit-milter.conf differs from the defaults' --dump-config; regenerate it with:"
    echo "       $BIN -c /dev/null --dump-config > $CONF"
    diff -u "$CONF" "$TMP/dump.conf" | head -60
  fi
else
  bad "--dump-config exits $? ($(head -c 300 "$TMP/dump.err"))"
fi

# A "# ===== name =====" heading with nothing under it (next heading, the
# section line, or the end of the file follows) is noise: none may exist.
empty=$(awk '/^# ===== .* =====$/ { if (h != "") print h; h = $0; next }
             /^\[/ { if (h != "") print h; h = ""; next }
             /^$/ { next } { h = "" } END { if (h != "") print h }' "$TMP/dump.conf")
expect_eq "--dump-config: no empty headings" "$empty" ""
if out=$("$BIN" -t -c "$CONF" 2>&1); then
  ok "-t -c etc/legit-milter.conf exits 0"
else
  bad "-t -c etc/legit-milter.conf fails: $out"
fi

# --- -t on broken files: non-zero, message names the option (and line) ---
# expect_error NAME FILE-TEXT WORD...: each WORD must appear in the message.
expect_error() {
  local name=$1 text=$2
  shift 2
  local f="$TMP/$name.conf"
  printf '%s' "$text" >"$f"
  local out rc
  out=$("$BIN" -t -c "$f" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    bad "$name: -t exits 0 on a broken file"
    return
  fi
  for word in "$@"; do
    if [[ "$out" != *"$word"* ]]; then
      bad "$name: message lacks '$word': $out"
      return
    fi
  done
  ok "$name: exits $rc, names it ($out)"
}

expect_error bad-number $'reject-below = abc\n' "reject-below" "abc"
expect_error bad-mode $'# test\nmode = enforcing\n' "mode" "enforcing" "line 2"
expect_error unknown-option $'mode = enforce\n\ndns-sever = 192.0.2.1\n' "dns-sever" "line 3"
expect_error unknown-points $'[points]\niprev.fial = 1\n' "points.iprev.fial" "line 2"
expect_error bad-network $'trusted-networks = 10.0.0.0/33\n' "trusted-networks" "10.0.0.0/33"
expect_error thresholds $'quarantine-below = -6\nreject-below = -2\n' "reject-below" "quarantine-below" "line 2"
expect_error bad-socket $'socket = inet:127.0.0.1:8895\n' "socket"

expect_error set-twice $'mode = enforce\n# x\nmode = dry-run\n' "option 'mode' is set twice" "line 1 and line 3"
expect_error unclosed-quote $'reject-reply = "no end\n' "reject-reply" "no closing quote" "line 1"

# --- which file is read without -c: named by -t, the milter and check ---
printf 'mode = dry-run\n' >"$TMP/default.conf"
expect_eq "-t names the default file it read" "$(LEGIT_MILTER_CONF=$TMP/default.conf "$BIN" -t 2>/dev/null | tail -1)" \
  "configuration OK (read $TMP/default.conf)"
expect_eq "-t says when the default file does not exist" "$(LEGIT_MILTER_CONF=$TMP/none.conf "$BIN" -t 2>/dev/null | tail -1)" \
  "configuration OK (no $TMP/none.conf: built-in defaults apply)"
expect_match "-t -c names the file" "$("$BIN" -t -c "$CONF" 2>/dev/null | tail -1)" "^configuration OK \(read $CONF\)$"
# The compiled-in default: only its name is checked (the host's file may or may not exist).
expect_match "compiled-in default is /etc/legit-milter.conf" \
  "$(env -u LEGIT_MILTER_CONF "$BIN" -t --socket inet:1@127.0.0.1 2>&1)" "/etc/legit-milter.conf"
expect_match "check names the file it read" \
  "$(LEGIT_MILTER_CONF=$TMP/default.conf "$BIN" check --client-ip 127.0.0.1 --helo localhost 2>&1 | head -1)" \
  "^config: read $TMP/default.conf$"
expect_match "check's default dump-config is the file's effect" \
  "$(LEGIT_MILTER_CONF=$TMP/default.conf "$BIN" --dump-config | grep '^mode')" "^mode = dry-run$"
MPORT=$(free_port)
LEGIT_MILTER_CONF=$TMP/default.conf "$BIN" --socket "inet:$MPORT@127.0.0.1" --log stderr 2>"$TMP/milter.err" &
MPID=$!
PIDS+=($MPID)
wait_line "$TMP/milter.err" "config: "
expect_match "the milter logs the file it read" "$(cat "$TMP/milter.err")" "config: read $TMP/default.conf"
kill "$MPID" 2>/dev/null

# --- --dump-config prints the effective config; it reads back the same ---
{ cat "$CONF"; echo 'mode = dry-run'; echo 'reject-reply = "See https://example.org/#policy (score %s)"'; } >"$TMP/appended.conf"
expect_eq "a line appended after [points] (and a quoted '#') passes -t" "$("$BIN" -t -c "$TMP/appended.conf" 2>/dev/null | tail -1)" \
  "configuration OK (read $TMP/appended.conf)"
"$BIN" -c "$TMP/appended.conf" --dns-timeout 3 --dump-config >"$TMP/effective.conf"
expect_eq "effective dump: mode from the file" "$(grep -c '^mode = dry-run$' "$TMP/effective.conf")" 1
expect_eq "effective dump: dns-timeout from the command line" "$(grep -c '^dns-timeout = 3$' "$TMP/effective.conf")" 1
expect_eq "effective dump: the quoted reply" \
  "$(grep '^reject-reply' "$TMP/effective.conf")" 'reject-reply = "See https://example.org/#policy (score %s)"'
expect_eq "effective dump: the rest stays commented out" "$(grep -c '^#quarantine-below = -4$' "$TMP/effective.conf")" 1
"$BIN" -c "$TMP/effective.conf" --dump-config >"$TMP/effective2.conf"
expect_eq "effective dump reads back to the same config" "$(diff <(tail -n +3 "$TMP/effective.conf") <(tail -n +3 "$TMP/effective2.conf") | wc -l)" 0

out=$("$BIN" -t -c "$TMP/does-not-exist.conf" 2>&1)
rc=$?
if [ $rc -ne 0 ] && [[ "$out" == *"does-not-exist.conf"* ]]; then
  ok "missing file: exits $rc, names the file"
else
  bad "missing file: rc=$rc: $out"
fi

out=$("$BIN" -t --dns-timeout abc 2>&1)
rc=$?
if [ $rc -ne 0 ] && [[ "$out" == *"dns-timeout"* ]]; then
  ok "bad command-line value: exits $rc, names the option"
else
  bad "bad command-line value: rc=$rc: $out"
fi

# --- help and version ---
if out=$("$BIN" --help 2>&1) && [[ "$out" == *"--reject-below"* ]]; then
  ok "--help exits 0 and lists the options"
else
  bad "--help: $out"
fi
# Every command main() dispatches on (read from its source) is listed by
# --help and answers its own --help with exit 0.
help=$out
cmds=$(grep -oE 'string_view\(argv\[1\]\) == "[a-z]+"' "$SRC/milter/glue/main.cc" | grep -oE '"[a-z]+"' | tr -d '"')
# The grep must find the commands we know of, or the loop below tests nothing.
for c in check dig memory stats report; do
  if [[ " $(echo $cmds) " == *" $c "* ]]; then ok "main.cc's dispatch read: $c"; else bad "main.cc's dispatch read: $c missing"; fi
done
for cmd in $cmds; do
  expect_match "--help lists the $cmd command" "$(grep -E "^  $cmd +[a-z]" <<<"$help")" .
  "$BIN" "$cmd" --help >/dev/null 2>&1; expect_eq "$cmd --help exits 0" "$?" 0
done
if out=$("$BIN" dig --help 2>&1) && [[ "$out" == *"--dns-server"* ]]; then
  ok "dig --help exits 0 and shows its options"
else
  bad "dig --help: $out"
fi
if out=$("$BIN" --version 2>&1) && [ -n "$out" ]; then
  ok "--version exits 0 ($out)"
else
  bad "--version: $out"
fi


# --- output cut short is an error, not a shorter config ---
for args in "-c /dev/null --dump-config" "--help" "--version" "--man-page 5"; do
  # shellcheck disable=SC2086
  out=$("$BIN" $args 2>&1 >/dev/full); rc=$?
  expect_eq "$args to a full disk: exit 1, says why" "$rc:$(grep -c 'cannot write to standard output' <<<"$out")" "1:1"
done

# --- lib.sh's points_but: every row of the binary under test, whatever the environment ---
nkeys=$(points_keys <"$CONF" | wc -l)
expect_eq "points_keys reads the shipped file's rows" "$([ "$nkeys" -ge 50 ] && echo many)" many
printf '[points]\niprev.pass = 3\ndkim.pass = 4\n' >"$TMP/env-points.conf"
got=$(LEGIT_MILTER_CONF=$TMP/env-points.conf points_but '' iprev.fail=-2 2>&1)
expect_eq "points_but: every row though the environment's file sets two" "$(points_keys <<<"$got" | wc -l)" "$nkeys"
expect_eq "points_but: set, kept and zeroed rows" "$(grep -E '^(iprev\.(pass|fail)|dkim\.pass) ' <<<"$got" | tr '\n' ' ')" \
  "iprev.pass = 0 iprev.fail = -2 dkim.pass = 0 "
# A binary from another tree (a stale build directory, with fewer checks) is
# refused, naming the rows: once, a config with 69 rows of 98 came from one.
{ echo '#!/bin/sh'; echo "sed '/^# ===== dmarc =====/,\$d' '$CONF'"; } >"$TMP/stale-bin"
chmod +x "$TMP/stale-bin"
got=$(BIN=$TMP/stale-bin points_but '' 2>&1); rc=$?
expect_eq "points_but refuses a binary with other rows" "$rc:$(grep -c 'are not those of' <<<"$got"):$(grep -c '^< dmarc\.' <<<"$got")" \
  "1:1:$(grep -c '^#dmarc\.' "$CONF")"

finish
