#!/bin/bash
# test_config_file.sh — the shipped config file and `-t` against the real
# binary: etc/legit-milter.conf must equal `legit-milter --dump-config` byte
# for byte (regenerate it when options or checks change), it must pass -t,
# and -t must fail on a broken file with a message naming the option (and
# the line, for an unknown option). Also --help and --version exit 0.
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
if "$BIN" --dump-config >"$TMP/dump.conf" 2>"$TMP/dump.err"; then
  if cmp -s "$TMP/dump.conf" "$CONF"; then
    ok "etc/legit-milter.conf equals --dump-config"
  else
    bad "etc/legit-milter.conf differs from --dump-config; regenerate it with:"
    echo "       $BIN --dump-config > $CONF"
    diff -u "$CONF" "$TMP/dump.conf" | head -60
  fi
else
  bad "--dump-config exits $? ($(head -c 300 "$TMP/dump.err"))"
fi

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
if out=$("$BIN" --version 2>&1) && [ -n "$out" ]; then
  ok "--version exits 0 ($out)"
else
  bad "--version: $out"
fi

finish
