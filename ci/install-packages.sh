#!/usr/bin/env bash
# Debian packages CI needs: Redis (server and redis-cli), nats-server, the Postgres client, Postgres server
# binaries if the machine lacks them, Podman with runc, debootstrap to build images offline, and
# bubblewrap for grade's sandbox.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
command -v psql >/dev/null || need+=(postgresql-client)
if ! command -v postgres >/dev/null && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  need+=(postgresql)
fi
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v pgrep >/dev/null || need+=(procps)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v bwrap >/dev/null || need+=(bubblewrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The local provider runs Postgres as this user when it is started as root.
id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
