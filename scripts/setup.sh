#!/usr/bin/env bash
# Installs everything Nimbus needs to build and test, from Debian's packages.
# Idempotent: a second run installs nothing and takes a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build git pkg-config
  libgtest-dev libgmock-dev
  nlohmann-json3-dev libfmt-dev libcxxopts-dev libyaml-cpp-dev
  pybind11-dev libcurl4-openssl-dev python3 gdb clang-format clang-tidy
  libboost1.81-dev               # Beast's HTTP/1.1 parser for the HTTP trigger (docs/architecture.md)
  nginx-light wrk                # bench/http: the baseline server and the load generator
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
