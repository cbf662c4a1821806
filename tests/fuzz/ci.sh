#!/usr/bin/env bash
# tests/fuzz/ci.sh [TOTAL_SECONDS] — the CI fuzz run (test.sh calls it):
# builds every tests/fuzz/fuzz_*.cc with libFuzzer + ASan + UBSan in
# build-test-fuzz/ and runs each for an equal share of TOTAL_SECONDS
# (default 280, at most 30 s per target), starting from the seed corpus and
# the saved crashes. Fails on the first crash, leak, UB report or timeout,
# naming the input libFuzzer saved. Longer runs: tests/fuzz/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
total=${1:-${LEGIT_FUZZ_SECONDS:-280}}
dir=${LEGIT_FUZZ_BUILD:-$root/build-test-fuzz}
if ! command -v "${LEGIT_FUZZ_CXX:-clang++-14}" >/dev/null; then
  echo "fuzz: clang++-14 missing (scripts/deps.sh test installs it)" >&2
  exit 1
fi
"$here/build.sh" "$dir"
targets=()
for f in "$here"/fuzz_*.cc; do t=$(basename "$f" .cc); targets+=("${t#fuzz_}"); done
per=$(( total / ${#targets[@]} ))
(( per > 30 )) && per=30
(( per < 5 )) && per=5
passed=0 failed=0
for t in "${targets[@]}"; do
  log=$dir/fuzz-$t.log
  if LEGIT_FUZZ_BUILD=$dir LEGIT_FUZZ_NO_BUILD=1 "$here/run.sh" "$t" "$per" >"$log" 2>&1; then
    echo "fuzz $t: ok ($per s, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') runs)"
    passed=$((passed + 1))
  else
    echo "fuzz $t: FAILED — $log" >&2
    grep -E "ERROR|SUMMARY|runtime error|property violated|Test unit written" "$log" | head -20 >&2
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
