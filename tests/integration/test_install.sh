#!/bin/bash
# test_install.sh — `cmake --install` of the build under test into a scratch
# root (DESTDIR): the stripped binary, /etc/legit-milter.conf (the shipped
# file, and an admin's edited file never overwritten), the systemd unit with
# the paths of the install (/usr and /usr/local prefixes), sysusers and
# tmpfiles entries, both man pages, README and examples in the doc directory
# the unit's Documentation= names; the installed binary passes -t.
#
# Usage: test_install.sh /path/to/legit-milter (in its build directory).
# Prints "N passed, N failed".
BIN=${1:-}
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "SKIP: no legit-milter binary given (usage: $0 BIN)"; exit 77; }
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "$(dirname "$BIN")" && pwd)
[ -f "$BUILD/cmake_install.cmake" ] || skip "$BUILD is not a CMake build directory"

install_to() {  # install_to ROOT PREFIX: prints cmake's output
  DESTDIR=$1 cmake --install "$BUILD" --prefix "$2" 2>&1
}

ROOT=$WORK/root
if out=$(install_to "$ROOT" /usr); then ok "cmake --install --prefix /usr exits 0"; else fail "cmake --install" "$out"; fi
for f in usr/sbin/legit-milter etc/legit-milter.conf usr/lib/systemd/system/legit-milter.service \
  usr/lib/sysusers.d/legit-milter.conf usr/lib/tmpfiles.d/legit-milter.conf \
  usr/share/man/man8/legit-milter.8.gz usr/share/man/man5/legit-milter.conf.5.gz \
  usr/share/doc/legit-milter/README.md usr/share/doc/legit-milter/legit-milter.conf.example \
  usr/share/doc/legit-milter/examples/postfix/main.cf.snippet \
  usr/share/doc/legit-milter/examples/fail2ban/filter.d/legit-milter.conf \
  usr/share/doc/legit-milter/examples/grafana/legit-milter.json \
  usr/share/doc/legit-milter/examples/prometheus/legit-milter-alerts.yml; do
  expect_eq "installed: /$f" "$([ -f "$ROOT/$f" ] && echo yes)" yes
done
readelf -S "$ROOT/usr/sbin/legit-milter" >"$WORK/sections" 2>&1; rc=$?
expect_eq "the binary is stripped (readelf exit 0, no .symtab)" "$rc:$(grep -c '\.symtab' "$WORK/sections")" 0:0
expect_eq "the config is the shipped file" "$(cmp -s "$ROOT/etc/legit-milter.conf" "$SRC/etc/legit-milter.conf" && echo same)" same
expect_eq "the config is mode 644" "$(stat -c %a "$ROOT/etc/legit-milter.conf")" 644
unit=$ROOT/usr/lib/systemd/system/legit-milter.service
expect_eq "unit: ExecStart is the installed binary" "$(grep '^ExecStart=' "$unit")" \
  "ExecStart=/usr/sbin/legit-milter -c /etc/legit-milter.conf"
doc=$(sed -n 's|^Documentation=file:||p' "$unit")
expect_eq "unit: Documentation= names the installed README" "$doc" /usr/share/doc/legit-milter/README.md
expect_eq "unit: the README is there" "$([ -f "$ROOT$doc" ] && echo yes)" yes
expect_eq "the installed binary passes -t with the installed config" \
  "$("$ROOT/usr/sbin/legit-milter" -t -c "$ROOT/etc/legit-milter.conf" 2>/dev/null | tail -1)" \
  "configuration OK (read $ROOT/etc/legit-milter.conf)"

# An admin's edit survives a second install.
echo 'mode = dry-run' >>"$ROOT/etc/legit-milter.conf"
out=$(install_to "$ROOT" /usr)
expect_eq "reinstall: the edited config is kept" "$(tail -1 "$ROOT/etc/legit-milter.conf")" "mode = dry-run"
expect_match "reinstall: says it kept it" "$out" "Keeping the existing /etc/legit-milter.conf"

# The default prefix /usr/local: the unit follows, the config stays in /etc.
ROOT2=$WORK/root-local
install_to "$ROOT2" /usr/local >/dev/null
unit=$ROOT2/usr/local/lib/systemd/system/legit-milter.service
expect_eq "/usr/local: ExecStart" "$(grep '^ExecStart=' "$unit" 2>&1)" \
  "ExecStart=/usr/local/sbin/legit-milter -c /etc/legit-milter.conf"
expect_eq "/usr/local: Documentation=" "$(grep '^Documentation=' "$unit" 2>&1)" \
  "Documentation=file:/usr/local/share/doc/legit-milter/README.md"
expect_eq "/usr/local: config in /etc" "$([ -f "$ROOT2/etc/legit-milter.conf" ] && echo yes)" yes
finish
