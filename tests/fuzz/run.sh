#!/usr/bin/env bash
# tests/fuzz/run.sh TARGET [SECONDS] [libFuzzer options...] — fuzzes one
# target (spf_record, dmarc, ...; the part of tests/fuzz/fuzz_TARGET.cc after
# "fuzz_") for SECONDS (default 600) under ASan+UBSan.
#
# Builds build-fuzz/ (or $LEGIT_FUZZ_BUILD) first, unless LEGIT_FUZZ_NO_BUILD is set. The working corpus is
# $dir/work/TARGET, seeded from tests/fuzz/corpus/TARGET (the repo's seeds
# are never written to); crashes land in $dir/artifacts/TARGET/. A crash:
# fix it at its root, then copy the input to tests/fuzz/regress/TARGET/ (the
# replay test runs it in every build from then on). Exit status: libFuzzer's
# (0 = nothing found).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 TARGET [SECONDS] [libFuzzer options]" >&2; exit 2; }
target=${1#fuzz_}
secs=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
dir=${LEGIT_FUZZ_BUILD:-$root/build-fuzz}
[ -f "$here/fuzz_$target.cc" ] || { echo "no target tests/fuzz/fuzz_$target.cc" >&2; exit 2; }
[ -n "${LEGIT_FUZZ_NO_BUILD:-}" ] || "$here/build.sh" "$dir"
work=$dir/work/$target
art=$dir/artifacts/$target
mkdir -p "$work" "$art"
seeds=()
for d in "$here/corpus/$target" "$here/regress/$target"; do [ -d "$d" ] && seeds+=("$d"); done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}  # why: the file says
exec "$dir/fuzz_$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$art/" -print_final_stats=1 "$@" "$work" "${seeds[@]}"
