#!/usr/bin/env bash
# tests/fuzz/build.sh [DIR] — configures and builds the libFuzzer targets
# (-DLEGIT_FUZZ=ON, clang++-14, ASan+UBSan, -O2 -g, -Werror: the core stays
# warning-free under clang too) in DIR (default
# build-fuzz at the repo root). Used by run.sh and ci.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/build-fuzz}
cxx=${LEGIT_FUZZ_CXX:-clang++-14}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$dir" -DLEGIT_FUZZ=ON -DLEGIT_WERROR=ON -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build "$dir" -j"${LEGIT_FUZZ_JOBS:-$(nproc)}" >&2
