#!/usr/bin/env bash
# run.sh — installs what is missing, builds, and runs legit-milter in the
# foreground with its built-in defaults (inet:8895@127.0.0.1, the system's
# resolvers). Extra arguments go to the milter: ./run.sh -c etc/legit-milter.conf
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target legit-milter
exec build/legit-milter "$@"
