#!/usr/bin/env bash
# Prepares podman to stand in for a Docker engine (see /work/shared/design/DOCKER-TESTING.md):
# packages, engine config, and the registry-free "host-runtime" image the docker driver tests use.
# Idempotent; for root on Debian 12. It does NOT start the API service: test/support/podman.ts does,
# per test run, on a private socket.
set -euo pipefail

HOST_RUNTIME_IMAGE="${HOST_RUNTIME_IMAGE:-localhost/kafka-lab-host-runtime:latest}"

if [ "$(id -u)" != "0" ]; then
  echo "podman-service.sh: run me as root (it installs packages and writes /etc/containers)." >&2
  exit 1
fi

if ! command -v podman >/dev/null 2>&1; then
  echo "% installing podman"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman runc conmon netavark aardvark-dns iptables catatonit >/dev/null
fi

# Without default_ulimits = [] containers fail with an rlimit error; without runc the default crun
# fails with "cgroups in hybrid mode not supported".
conf_want='[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
mkdir -p /etc/containers
if [ ! -f /etc/containers/containers.conf ] || [ "$(cat /etc/containers/containers.conf)" != "$conf_want" ]; then
  echo "% writing /etc/containers/containers.conf"
  printf '%s\n' "$conf_want" > /etc/containers/containers.conf
fi

# No registry can be reached: the image is an empty filesystem; containers bind-mount the host's
# /usr /lib /lib64 /bin /etc and run the host's java.
if ! podman image exists "$HOST_RUNTIME_IMAGE"; then
  echo "% creating $HOST_RUNTIME_IMAGE"
  empty_dir="$(mktemp -d)"
  tar -C "$empty_dir" -cf "$empty_dir.tar" .
  podman import --quiet "$empty_dir.tar" "$HOST_RUNTIME_IMAGE" >/dev/null
  rm -rf "$empty_dir" "$empty_dir.tar"
fi

echo "% podman $(podman version --format '{{.Client.Version}}') ready; image $HOST_RUNTIME_IMAGE present"
