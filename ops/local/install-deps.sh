#!/usr/bin/env bash
# Installs everything engaged needs to build and test on a fresh Debian 12 machine:
# the C++ toolchain and libraries from Debian's packages, Java 17 and Maven for the
# local Kafka broker, and Prometheus for the observability test. Idempotent: a
# machine that already has every package does nothing and asks no mirror.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git python3
  librdkafka-dev librocksdb-dev libsimdjson-dev prometheus-cpp-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libspdlog-dev libfmt-dev
  libzstd-dev liblz4-dev libsnappy-dev libbz2-dev zlib1g-dev
  clang clang-format clang-tidy libclang-rt-14-dev
  openjdk-17-jre-headless maven curl prometheus
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
