#!/usr/bin/env bash
# deps.sh — installs the Debian 12 packages legit-milter needs, only those
# that are missing. `deps.sh build` for building and running the milter,
# `deps.sh test` adds what the tests use (Postfix, swaks, miltertest, DNS and
# DKIM tools, redis-server, promtool, Chromium, clang's libFuzzer, packaging
# tools). Needs root (or sudo) only when something is missing.
#
# It never reconfigures a mail server: build mode installs no MTA at all, and
# test mode preseeds Postfix's debconf answers ("No configuration") only when
# Postfix is not installed yet, so a production MX keeps its admin's answers.
set -euo pipefail
what=${1:-build}

build_pkgs=(g++ cmake make pkg-config libmilter-dev libspf2-dev libopendkim-dev
            libunbound-dev libldns-dev libpsl-dev libidn2-dev libboost-program-options-dev doctest-dev
            liblmdb-dev libhiredis-dev libcivetweb-dev zlib1g-dev libssl-dev)
test_pkgs=(postfix swaks miltertest python3 python3-dnslib python3-dkim python3-authres
           python3-spf python3-yaml python3-milter python3-cryptography python3-dnspython
           opendkim opendkim-tools spamassassin fail2ban systemd iproute2 procps gcc strace
           redis-server prometheus chromium clang-14 libclang-rt-14-dev libfuzzer-14-dev
           lintian debhelper dpkg-dev fakeroot groff man-db curl)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${pkgs[@]}"; do
  installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing: ${missing[*]}"
if [[ " ${missing[*]} " == *" postfix "* ]]; then
  # Postfix is new here: install it without a system configuration (nothing
  # starts; the tests run their own private instance, tests/integration/postfix/).
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  echo "postfix postfix/mailname string localhost" | $SUDO debconf-set-selections
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
