#!/usr/bin/env bash
# Sets up the machine, builds Nimbus, and runs the hello example through the
# emulator against its event files, printing each response and the logs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target nimbus
build/cli/nimbus run examples/hello/function.yaml --event examples/hello/events/
