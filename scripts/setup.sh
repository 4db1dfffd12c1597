#!/usr/bin/env bash
# Installs everything Nimbus needs to build and test, from Debian's packages.
# Idempotent: a second run installs nothing and takes a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build git pkg-config
  libgtest-dev libgmock-dev
  nlohmann-json3-dev libfmt-dev libcxxopts-dev libyaml-cpp-dev
  pybind11-dev libcurl4-openssl-dev python3 gdb clang-format clang-tidy
  python3-dev python3-venv libpython3.11-dev   # the Python SDK: Debian's CPython, embeddable (libpython3.11.so)
  libboost1.81-dev               # Beast's HTTP/1.1 parser for the HTTP trigger (docs/architecture.md)
  nginx-light wrk                # bench/http: the baseline server and the load generator
  clang-14 libclang-rt-14-dev    # the fuzz targets (libFuzzer and the sanitizers' runtimes): scripts/fuzz.sh
  libhiredis-dev redis-server    # the redis-stream trigger and the redis binding, and the Redis the tests start
  libnats-dev nats-server        # the nats trigger and its broker
  mosquitto                      # the broker the mqtt trigger's tests start
  librdkafka-dev                 # the kafka-cluster trigger
  libsqlite3-dev                 # the sqlite binding
  openssl libssl-dev             # the mqtt trigger's TLS; the certificates of the brokers' TLS listeners in the tests
  openjdk-17-jre-headless maven  # the Kafka broker the tests start: its jars from Maven Central (below)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages (${missing[*]}); run this script as root" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Packages with daemons (nginx) must not start them: the benchmarks run their own.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python environment the tests use: Debian's CPython (the interpreter the
# engine embeds), the test tools, nuclio's SDK as the reference, and the
# Nimbus Python package itself, built by pip over the project's CMake. It is
# rebuilt only when the SDK's sources change.
venv=.venv
if [[ ! -x $venv/bin/python ]]; then
  echo "setup: creating the Python environment $venv"
  /usr/bin/python3 -m venv "$venv"
fi
python_tools=(pytest==8.3.4 nuclio-sdk==0.5.15 debugpy==1.8.11 scikit-build-core==0.10.7 pybind11==2.13.6 cloudevents==1.11.0 confluent-kafka==2.16.1 paho-mqtt==2.1.0)
if ! "$venv/bin/python" -c "import pytest, nuclio_sdk, debugpy, scikit_build_core, pybind11, cloudevents, confluent_kafka, paho.mqtt" 2>/dev/null; then
  echo "setup: installing ${python_tools[*]}"
  "$venv/bin/pip" install -q --disable-pip-version-check "${python_tools[@]}"
fi
sdk_hash=$(cat scripts/setup.sh $(git ls-files sdk/cpp sdk/python cmake 2>/dev/null || find sdk/cpp sdk/python cmake -type f) | sha256sum | cut -c1-16)
if [[ $(cat "$venv/.nimbus-sdk" 2>/dev/null) != "$sdk_hash" ]]; then
  echo "setup: installing the nimbus Python package (pip install ./sdk/python)"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation ./sdk/python
  echo "$sdk_hash" >"$venv/.nimbus-sdk"
fi

# The VS Code extension's packages (ide/vscode), pinned by its package-lock.json: TypeScript, the
# CDT debug adapter, the DAP test client, vsce. It needs the machine's Node 20 and npm; node-gyp
# builds the adapter's native module against this Node's own headers (nothing downloaded).
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "setup: the VS Code extension needs Node.js 20 or later with npm on PATH" >&2
  exit 1
fi
ext=ide/vscode
lock_hash=$(sha256sum "$ext/package-lock.json" | cut -c1-16)
if [[ $(cat "$ext/node_modules/.nimbus-lock" 2>/dev/null) != "$lock_hash" ]]; then
  echo "setup: installing the VS Code extension's packages (npm ci in $ext)"
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  (cd "$ext" && npm_config_nodedir="$node_prefix" npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$ext/node_modules/.nimbus-lock"
fi

# The Kafka broker's jars (Kafka 4.4.0, KRaft; tools/kafka-broker/pom.xml), for
# tests/e2e/brokers.py and bench/streams: fetched once from Maven Central.
jars=tools/kafka-broker/jars
if [[ ! -f $jars/.complete ]]; then
  echo "setup: fetching the Kafka broker's jars into $jars"
  rm -rf "$jars"
  mvn -q -B -f tools/kafka-broker/pom.xml dependency:copy-dependencies -DoutputDirectory=jars -DincludeScope=runtime
  touch "$jars/.complete"
fi
