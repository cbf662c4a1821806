#!/usr/bin/env bash
# test.sh — installs what is missing, builds twice (plain with -Werror, and
# ASan+UBSan), and runs every test (doctest units + integration tests against
# the real binary) in both builds, then every libFuzzer target for a bounded
# time (tests/fuzz/ci.sh, clang, ASan+UBSan, under 5 min). Ends with ctest's
# summary per build and the fuzz count.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh test
jobs=$(nproc)
status=0
for variant in plain asan; do
  dir=build-test-$variant
  flags=(-DLEGIT_WERROR=ON)
  [ $variant = asan ] && flags+=(-DLEGIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  echo "=== $variant build ==="
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "=== $variant tests ==="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" || status=1
done
echo "=== fuzz (libFuzzer, ASan+UBSan) ==="
tests/fuzz/ci.sh || status=1
exit $status
