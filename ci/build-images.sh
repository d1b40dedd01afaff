#!/usr/bin/env bash
# Builds local/postgres:15, local/redis:7, local/nats:2.9 and local/debian:12 (a base image for
# the container_image exercise) from Debian packages with debootstrap: CI machines
# reach no image registry. The root filesystem is cached in $1 (default /var/tmp/service-rootfs).
# Needs DOCKER_HOST (ci/setup-podman.sh) and podman.
set -euo pipefail
ROOT=${1:-/var/tmp/service-rootfs}
if podman image exists local/postgres:15 && podman image exists local/redis:7 && podman image exists local/nats:2.9 && podman image exists local/debian:12; then
  echo "images present"; exit 0
fi
# The Debian mirror this machine is configured with (its host is never written into the repo).
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
if [ ! -x "$ROOT/usr/lib/postgresql/15/bin/postgres" ] || [ ! -x "$ROOT/usr/sbin/nats-server" ]; then
  rm -rf "$ROOT"
  debootstrap --variant=minbase --include=postgresql-15,redis-server,nats-server bookworm "$ROOT" "$MIRROR" >/tmp/debootstrap.log 2>&1 \
    || { tail -20 /tmp/debootstrap.log >&2; exit 1; }
fi
cat > "$ROOT/usr/local/bin/pg-entrypoint" <<'SH'
#!/bin/sh
set -e
D=/var/lib/postgresql/data
if [ ! -s "$D/PG_VERSION" ]; then
  mkdir -p "$D" && chown postgres:postgres "$D"
  su postgres -c "/usr/lib/postgresql/15/bin/initdb -D $D -A trust -U postgres --no-sync" >/dev/null
  echo "host all all all trust" >> "$D/pg_hba.conf"
fi
exec su postgres -c "/usr/lib/postgresql/15/bin/postgres -D $D -c listen_addresses=* -c fsync=off"
SH
chmod +x "$ROOT/usr/local/bin/pg-entrypoint"
tar -C "$ROOT" -c . | podman import --change 'CMD ["/usr/local/bin/pg-entrypoint"]' --change 'EXPOSE 5432' - local/postgres:15 >/dev/null
tar -C "$ROOT" -c . | podman import --change 'CMD ["redis-server","--bind","0.0.0.0","--protected-mode","no","--save","","--appendonly","no"]' --change 'EXPOSE 6379' - local/redis:7 >/dev/null
# The entry point is the server, as in the official image: the container provider passes
# `--jetstream --store_dir …` as the command.
tar -C "$ROOT" -c . | podman import --change 'ENTRYPOINT ["/usr/sbin/nats-server"]' --change 'CMD ["--jetstream"]' --change 'EXPOSE 4222' - local/nats:2.9 >/dev/null
tar -C "$ROOT" -c . | podman import - local/debian:12 >/dev/null
echo "built local/postgres:15 local/redis:7 local/nats:2.9 local/debian:12"
