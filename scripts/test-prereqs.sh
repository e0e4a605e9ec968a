#!/usr/bin/env bash
# What the test suite needs besides npm packages, installed from Debian's packages when missing:
# Java 17 and Maven (Kafka from Maven Central), kcat (the outside Kafka client), Chromium (the web
# page test), and podman serving the Docker API (the docker driver test). Run by `npm test` (pretest).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "% The tests need: ${missing[*]}. Install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "% installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(id -u)" = "0" ]; then
  bash test/support/podman-service.sh
elif ! command -v podman >/dev/null 2>&1; then
  echo "% podman is not installed: the docker driver test will be skipped (run test/support/podman-service.sh as root to include it)." >&2
fi
