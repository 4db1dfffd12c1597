#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with Debian's clang into build-fuzz/
# and runs each over its seed corpus and the regression inputs of crashes found
# and fixed, then for RUNS more executions (default 20000; seeded, so a run is
# repeatable). A crash, a leak, a sanitizer report or a failed property stops it.
#
#   scripts/fuzz.sh [RUNS]        # scripts/test.sh calls it; bench/fuzz/run.py runs them for longer
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20000}
jobs=$(nproc)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DNIMBUS_FUZZ=ON -DNIMBUS_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_targets
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts=build-fuzz/artifacts  # a failing input is kept here (crash-*, leak-*, timeout-*)
mkdir -p "$artifacts"
for source in tests/fuzz/*_fuzz.cpp; do
  target=$(basename "$source" .cpp)
  name=${target%_fuzz}
  inputs=(tests/fuzz/corpus/"$name")
  [[ -d tests/fuzz/regressions/$name ]] && inputs+=(tests/fuzz/regressions/"$name")
  mkdir -p "$scratch/$name"
  echo "fuzz: $target, $runs runs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "build-fuzz/tests/fuzz/$target" -runs="$runs" -seed=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$name-" -print_final_stats=1 "$scratch/$name" "${inputs[@]}" 2>"$scratch/$name.log" || {
    tail -40 "$scratch/$name.log"
    echo "fuzz: $target failed; the input that failed it: $(ls -t "$artifacts"/"$name"-* 2>/dev/null | head -1)" >&2
    exit 1
  }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$scratch/$name.log" | tr '\n' ' '
  echo
done
