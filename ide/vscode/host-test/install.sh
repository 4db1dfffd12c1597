#!/usr/bin/env bash
# Installs a real VS Code workbench (code-server, from the npm registry; the VS Code build
# itself cannot be downloaded here) and playwright-core, pinned by package-lock.json, into
# ide/vscode/host-test/node_modules. code-server's own postinstall downloads ripgrep from the
# internet, so its steps are run here by hand, offline. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
packages=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "host-test: missing packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ -f node_modules/.nimbus-installed ]] && exit 0

export npm_config_nodedir
npm_config_nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
export JOBS=1 npm_config_build_from_source=true
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
npm rebuild argon2 --loglevel=error
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
vscode=node_modules/code-server/lib/vscode
(cd "$vscode" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
# The native modules of the workbench's server (kerberos, @parcel/watcher, @vscode/spdlog, node-pty, ...).
find "$vscode/node_modules" -name binding.gyp -not -path '*/test/*' -not -path '*/deps/*' | while read -r gypfile; do
  (cd "$(dirname "$gypfile")" && node "$gyp" rebuild --loglevel=error >/dev/null 2>&1) ||
    echo "host-test: $(dirname "$gypfile") did not build (the workbench may run without it)" >&2
done
mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
ln -sf /usr/bin/rg "$vscode/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$vscode/node_modules.asar"
(cd "$vscode/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
touch node_modules/.nimbus-installed
echo "host-test: code-server $(node -p "require('./node_modules/code-server/package.json').version") installed"
