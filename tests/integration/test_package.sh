#!/bin/bash
# test_package.sh — the Debian package end to end on this machine:
# scripts/build-deb.sh packs the build under test, lintian finds no error,
# `dpkg -i` installs it (system user, conffile, nothing started), the
# installed `legit-milter -t` reads /etc/legit-milter.conf, the milter runs
# from the installed files as the unit would (User=, UMask=, ExecStartPre,
# ExecStart; no systemd here) and scores one milter session, a reinstall
# keeps an edited conffile, `dpkg -r` keeps the conffile, `dpkg -P` leaves
# nothing (`dpkg -L` empty, /etc/legit-milter.conf gone).
#
# Needs root and dpkg; skips (77) otherwise, or when a legit-milter package
# is installed already (not ours to touch). Runs of this test serialise on a
# lock file; the package is purged on any exit.
# Usage: test_package.sh /path/to/legit-milter (in its build directory).
# Prints "N passed, N failed".
BIN=${1:-}
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "SKIP: no legit-milter binary given (usage: $0 BIN)"; exit 77; }
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "$(dirname "$BIN")" && pwd)
[ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
for t in dpkg dpkg-deb cpack setpriv flock; do command -v $t >/dev/null || skip "$t is not installed"; done
PKG=legit-milter

t0=$(date +%s)
deb=$("$SRC/scripts/build-deb.sh" --build-dir "$BUILD" --out "$WORK/dist" 2>"$WORK/build-deb.err" | tail -1)
if [ -f "$deb" ]; then
  ok "build-deb.sh wrote $(basename "$deb") in $(($(date +%s) - t0)) s"
else
  fail "build-deb.sh" "$(tail -5 "$WORK/build-deb.err")"; finish
fi
expect_match "file name: legit-milter_<version>_<arch>.deb" "$(basename "$deb")" \
  "^legit-milter_[0-9][0-9.]*_$(dpkg --print-architecture)\.deb$"
if command -v lintian >/dev/null; then
  lintian "$deb" >"$WORK/lintian.out" 2>&1; rc=$?
  # exit 0 too: a lintian that crashed prints no E: line either
  expect_eq "lintian: exit 0, no errors" "$rc:$(grep '^E:' "$WORK/lintian.out" | tr '\n' ' ')" "0:"
  grep '^W:' "$WORK/lintian.out" | sed 's/^/     lintian /'
else
  skip_part "lintian is not installed"
fi

# One package test at a time on this machine; never touch a package we did
# not install.
exec 9>/tmp/legit-milter-package-test.lock
flock -w 600 9 || { fail "lock" "another package test held the lock for 10 minutes"; finish; }
if dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q 'installed'; then
  skip "a $PKG package is installed already; not touching it"
fi
MPID=""
pkg_cleanup() {
  [ -n "$MPID" ] && kill -9 "$MPID" 2>/dev/null
  dpkg -P $PKG >/dev/null 2>&1
}
trap 'pkg_cleanup; cleanup' EXIT

# dpkg with a retry while another dpkg/apt holds the dpkg lock.
dpkg_retry() {
  local i out rc
  for i in $(seq 1 60); do
    out=$(dpkg "$@" 2>&1); rc=$?
    [[ $rc -ne 0 && "$out" == *"lock"* ]] || { echo "$out"; return $rc; }
    sleep 2
  done
  echo "$out"; return $rc
}

out=$(dpkg_retry -i "$deb"); rc=$?
expect_eq "dpkg -i exits 0" "$rc" 0
echo "$out" | sed 's/^/     dpkg: /'
expect_eq "postinst: nothing alarming" "$(grep -ciE 'warn|error|fail' <<<"$out")" 0
expect_eq "installed" "$(dpkg-query -W -f='${Status}' $PKG)" "install ok installed"
expect_match "conffile: /etc/legit-milter.conf" "$(dpkg-query -W -f='${Conffiles}' $PKG)" "^ /etc/legit-milter.conf [0-9a-f]{32}"
for f in /usr/sbin/legit-milter /usr/lib/systemd/system/legit-milter.service /usr/share/man/man8/legit-milter.8.gz \
  /usr/share/man/man5/legit-milter.conf.5.gz /usr/share/doc/legit-milter/README.md /usr/share/doc/legit-milter/copyright; do
  expect_eq "dpkg -L lists $f" "$(dpkg -L $PKG | grep -cx "$f")" 1
done
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd legit-milter)
expect_match "system user legit-milter (uid < 1000, no login)" "$uid $home $shell" '^[1-9][0-9]{0,2} /nonexistent /usr/sbin/nologin$'
expect_eq "nothing enabled" "$(ls /etc/systemd/system/*.wants/legit-milter.service 2>/dev/null)" ""
expect_eq "installed -t reads /etc/legit-milter.conf" "$(env -u LEGIT_MILTER_CONF /usr/sbin/legit-milter -t 2>/dev/null | tail -1)" \
  "configuration OK (read /etc/legit-milter.conf)"

# The unit's way to start it, with the test's socket and DNS appended (the
# command line wins over the file).
unit=/usr/lib/systemd/system/legit-milter.service
key() { sed -n "s/^$1=//p" "$unit" | head -1; }
start_dns "$SRC/tests/dns/milter.zone" "$SRC/tests/dns/milter-reverse.zone" 9>&-
MPORT=$(free_port)
# The memory store is the real default (LMDB under StateDirectory=); with it,
# greylisting would answer this doubtful first message from a new triplet
# 451 (correct, and tested elsewhere): greylist-below -100 keeps it out.
extra=(--socket "inet:$MPORT@127.0.0.1" --dns-server "127.0.0.1@$DNS_PORT" --dns-timeout 2 --log stderr
       --authserv-id mx.test.example --greylist-below -100)
# as_unit COMMAND...: replaces the (sub)shell with COMMAND as User=/Group=,
# with UMask=, so $! of `as_unit ... &` is the milter's own pid.
as_unit() {
  umask "$(key UMask)"
  exec env -u LEGIT_MILTER_CONF -u LEGIT_MEMORY_DEFAULT setpriv --reuid="$(key User)" --regid="$(key Group)" --init-groups "$@"
}
# StateDirectory= as systemd makes it (the default memory store lives there).
state=/var/lib/$(key StateDirectory)
install -d -m 0755 -o "$(key User)" -g "$(key Group)" "$state"
# shellcheck disable=SC2046
(as_unit $(key ExecStartPre) "${extra[@]}") >"$WORK/pre.out" 2>&1 9>&-
expect_eq "ExecStartPre (-t) passes as User=$(key User)" "$?" 0
# shellcheck disable=SC2046
as_unit $(key ExecStart) "${extra[@]}" 2>"$WORK/milter.err" 9>&- &
MPID=$!
wait_listen "$MPORT"
expect_eq "the milter runs as legit-milter" "$(ps -o user= -p "$MPID" 2>/dev/null | tr -d ' ')" legit-milter
expect_match "it names the config file it read" "$(cat "$WORK/milter.err")" "config: read /etc/legit-milter.conf"
$PY "$SRC/tests/integration/milter/milterclient.py" session "$MPORT" >"$WORK/session.out" 2>&1
while IFS= read -r line; do
  case "$line" in "ok - "*) ok "${line#ok - }" ;; "FAIL - "*) fail "${line#FAIL - }" "milterclient" ;; esac
done <"$WORK/session.out"
grep -q '^ok - session: accepted' "$WORK/session.out" || fail "milter session" "$(head -c 400 "$WORK/session.out")"
wait_line "$WORK/milter.err" ' QSESSION1: '
expect_match "one log line for the session" "$(grep -F ' QSESSION1: ' "$WORK/milter.err")" \
  "QSESSION1: client=mail.milter.test\[203.0.113.10\] .* action=accept checks="
expect_eq "the default memory store was created in StateDirectory=" "$(ls "$state" 2>/dev/null | grep -cx memory.lmdb)" 1
kill "$MPID"; wait "$MPID" 2>/dev/null
expect_eq "the milter stopped on SIGTERM" "$(kill -0 "$MPID" 2>/dev/null && echo running || echo stopped)" stopped
MPID=""

# A reinstall keeps the admin's edit of the conffile.
echo 'mode = dry-run' >>/etc/legit-milter.conf
out=$(dpkg_retry -i "$deb"); rc=$?
expect_eq "reinstall exits 0" "$rc" 0
expect_eq "reinstall keeps the edited conffile" "$(tail -1 /etc/legit-milter.conf)" "mode = dry-run"

out=$(dpkg_retry -r $PKG); rc=$?
expect_eq "dpkg -r exits 0" "$rc" 0
expect_eq "removed: binary gone" "$([ -e /usr/sbin/legit-milter ] && echo present || echo gone)" gone
expect_eq "removed: conffile kept" "$([ -f /etc/legit-milter.conf ] && echo kept)" kept
out=$(dpkg_retry -P $PKG); rc=$?
expect_eq "dpkg -P exits 0" "$rc" 0
expect_eq "purged: dpkg -L lists nothing" "$(dpkg -L $PKG 2>/dev/null | wc -l)" 0
expect_eq "purged: no /etc/legit-milter.conf" "$([ -e /etc/legit-milter.conf ] && echo present || echo gone)" gone
expect_eq "purged: no $state" "$([ -e "$state" ] && echo present || echo gone)" gone
expect_eq "purged: no doc dir" "$([ -e /usr/share/doc/legit-milter ] && echo present || echo gone)" gone
echo "# package test took $(($(date +%s) - t0)) s"
finish
