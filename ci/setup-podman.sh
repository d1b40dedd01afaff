#!/usr/bin/env bash
# Starts Podman's Docker-compatible API socket (there is no Docker daemon on CI machines) and
# prints the `export DOCKER_HOST=…` line. Facts that shaped it:
#  - crun (Podman's default runtime) fails in this sandbox (setrlimit EPERM, hybrid cgroups);
#    runc works.
#  - default ulimits must be lowered or container start fails with setrlimit EPERM.
#  - Podman reports port bindings with an empty HostIp, so testcontainers'
#    get_host_port_ipv4 fails; the runner maps ports explicitly instead.
#  - the service must not run from a folder that may be deleted (see below).
set -euo pipefail
SOCK=${PODMAN_SOCK:-/run/podman/podman.sock}
if DOCKER_HOST=unix://$SOCK docker info >/dev/null 2>&1 || curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
  echo "export DOCKER_HOST=unix://$SOCK"; exit 0
fi
mkdir -p /etc/containers "$(dirname "$SOCK")"
cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
# Started from / : the service outlives this script, and conmon fails ("Failed to get working
# directory") once the folder it was started from is deleted. (Only the podman process may run
# in the background here: anything holding this script's stdout would hang `$(…)` callers.)
cd /
setsid podman system service --time=0 "unix://$SOCK" >/tmp/podman-service.log 2>&1 < /dev/null &
for _ in $(seq 1 100); do
  if curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
    echo "export DOCKER_HOST=unix://$SOCK"; exit 0
  fi
  sleep 0.2
done
echo "podman socket did not come up; see /tmp/podman-service.log" >&2
exit 1
