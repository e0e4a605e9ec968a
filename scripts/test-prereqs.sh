#!/usr/bin/env bash
# What the test suite needs besides npm packages, installed from Debian's packages when missing:
# Java 17 and Maven (Kafka from Maven Central), kcat (the outside Kafka client), Chromium (the web
# page test), podman serving the Docker API (the docker driver test), and Python's venv for
# schemathesis (the contract fuzzing test), which goes into a virtualenv of its own from PyPI.
# Run by `npm test` (pretest).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's package lists are empty on a fresh image: fetch them once, before the first install.
apt_updated=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# `python3 -m venv` needs ensurepip, which Debian ships apart.
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "% The tests need: ${missing[*]}. Install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "% installing ${missing[*]} from Debian's packages"
  apt_install "${missing[@]}"
fi

if [ "$(id -u)" = "0" ]; then
  bash test/support/podman-service.sh
elif ! command -v podman >/dev/null 2>&1; then
  echo "% podman is not installed: the docker driver test will be skipped (run test/support/podman-service.sh as root to include it)." >&2
fi

# schemathesis for test/e2e/contract-fuzz.e2e.ts, in a virtualenv reused while it holds this version.
# The version is in test/contract/schemathesis.version, which test/support/schemathesis.ts reads too.
SCHEMATHESIS_VERSION="$(tr -d '[:space:]' < test/contract/schemathesis.version)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-lab/venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
  echo "% installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  # Debian's own python3 has no venv module until python3-venv is installed.
  if ! python3 -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    if [ "$(id -u)" = "0" ]; then
      apt_install python3-venv
    fi
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# kcat against Kafka 4.x with SASL/SCRAM (the class listener) needs librdkafka 2.6.1 or newer: older ones
# repeat the client nonce in SCRAM's final message, which Kafka 4 refuses (3.9 still accepts it), and
# Debian 12's kcat has librdkafka 2.0.2. The confluent-kafka wheel from PyPI carries a recent librdkafka
# (OpenSSL and SASL built in); test/support/kcat.ts runs Debian's kcat with it as librdkafka.so.1.
CONFLUENT_KAFKA_VERSION=2.16.1
rdkafka_dir="$venv/librdkafka"
if ! ls "$venv"/lib/python3*/site-packages/confluent_kafka-"$CONFLUENT_KAFKA_VERSION".dist-info >/dev/null 2>&1; then
  echo "% installing confluent-kafka $CONFLUENT_KAFKA_VERSION into $venv (for its librdkafka)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "confluent-kafka==$CONFLUENT_KAFKA_VERSION"
fi
lib="$(ls "$venv"/lib/python3*/site-packages/confluent_kafka.libs/librdkafka-*.so.1 | head -n 1)"
mkdir -p "$rdkafka_dir"
ln -sfn "$lib" "$rdkafka_dir/librdkafka.so.1"
