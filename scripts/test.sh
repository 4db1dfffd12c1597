#!/usr/bin/env bash
# Sets up the machine, builds everything (Release) with warnings as errors, and
# runs the whole test suite; runs the fuzz targets a short while; then builds
# and runs the suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
jobs=$(nproc)

echo "== format =="
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror

echo "== build and test =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNIMBUS_WERROR=ON >/dev/null  # the default Release build, clean
cmake --build build -j "$jobs"
echo "== clang-tidy =="
git ls-files 'sdk/*.cpp' 'format/*.cpp' 'engine/*.cpp' 'emulator/*.cpp' 'recorder/*.cpp' 'replay/*.cpp' 'cli/*.cpp' | xargs -P "$jobs" -n 4 clang-tidy -p build --quiet
echo "== tests =="
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== VS Code extension: node tests, debugging through DAP (gdb, debugpy), the .vsix =="
(cd ide/vscode && npm test && npm run test:dap && npm run package)

echo "== fuzz (libFuzzer, a short fixed number of runs each) =="
scripts/fuzz.sh 20000

echo "== build and test with ASan + UBSan =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNIMBUS_WERROR=ON -DNIMBUS_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
# The install consumer checks packaging, not memory: it runs in the first pass only.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -E install_consumer
