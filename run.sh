#!/usr/bin/env bash
# run.sh — installs what is missing, builds, and runs legit-milter in the
# foreground: on its default socket (inet:8895@127.0.0.1) with the system's
# resolvers, in DRY-RUN mode (scores and adds headers, never rejects or
# holds mail) and logging to this terminal. Extra arguments go to the milter
# and win: ./run.sh --mode enforce, ./run.sh -c etc/legit-milter.conf
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target legit-milter
echo "run.sh: legit-milter in dry-run mode (nothing rejected or held; --mode enforce to change)," \
  "logging to this terminal (--log syslog to change); its first lines name the config file," \
  "socket and resolver. Ctrl-C stops it." >&2
exec build/legit-milter --mode dry-run --log stderr "$@"
