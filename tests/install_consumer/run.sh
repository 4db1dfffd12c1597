#!/usr/bin/env bash
# Installs Nimbus from a build tree, then builds and runs a function against
# the installed tree only: find_package(Nimbus), nimbus_add_function, the
# installed nimbus::testing, and the installed `nimbus run`.
# usage: run.sh <nimbus build dir> <scratch dir>
set -euo pipefail
build=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/nimbus"
test -f "$prefix/lib/cmake/Nimbus/NimbusConfig.cmake"

# 1. An outside CMake project, built against the installed tree.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$here/function" -B "$work/consumer-build" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer-build" >/dev/null
(cd "$work/consumer-build" && ctest --output-on-failure >/dev/null)

out=$(echo '{"body": "ping"}' | "$prefix/bin/nimbus" run "$work/consumer-build/consumer.so" --event - --json)
echo "$out" | grep -q '"body":"{\\"echo\\":\\"ping\\",\\"function\\":\\"consumer\\"}"' || {
  echo "unexpected output from the prebuilt library: $out" >&2; exit 1; }

# 2. The installed nimbus builds a function.yaml against the installed SDK.
cp -r "$here/function" "$work/fn"
out=$(echo '{"body": "pong"}' | NIMBUS_CMAKE_DIR= "$prefix/bin/nimbus" run "$work/fn/function.yaml" --event - --json)
echo "$out" | grep -q '"body":"{\\"echo\\":\\"pong\\",\\"function\\":\\"consumer\\"}"' || {
  echo "unexpected output from function.yaml: $out" >&2; exit 1; }
grep -q "$prefix/lib/cmake/Nimbus" "$work/fn/.nimbus/sdk" || {
  echo "the installed nimbus did not build against the installed SDK" >&2; exit 1; }

echo "install consumer: ok"
