#!/usr/bin/env bash
# Opt-in, outside the default test run: the packaged extension inside a real VS Code workbench
# (code-server 4.100.3 = VS Code 1.100.3, from the npm registry) driven by headless Chromium.
# Installs what it needs (about 450 MB, a few minutes the first time), packages the .vsix, then
# runs host-test/run.js: Replay Tape and the Test Explorer's items, the changed record's diff,
# a C++ and a Python debug session stopped at a breakpoint. Screenshots: ide/vscode/docs/.
#
#   ide/vscode/host-test/run.sh [nimbus]     # default: the repository's build/cli/nimbus
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
nimbus=${1:-$repo/build/cli/nimbus}
[[ -x $nimbus ]] || { echo "host-test: no nimbus at $nimbus: build it first (scripts/test.sh or cmake --build build)" >&2; exit 2; }
"$here/install.sh"
(cd "$here/.." && npm run --silent package)
node "$here/run.js" "$nimbus" "$here/../nimbus-functions.vsix" "$here/../docs"
