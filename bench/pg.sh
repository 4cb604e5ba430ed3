#!/usr/bin/env bash
# Starts and stops the private PostgreSQL server of the benchmark's
# baseline (bench/RESULTS.md), from Debian's postgresql package: a new
# cluster in a temporary directory, reachable only through a Unix socket
# in that directory (no TCP), with trust authentication for its own user
# `bench`, and the durability defaults (fsync, synchronous_commit on).
# PostgreSQL refuses to run as root, so as root the cluster belongs to
# the unprivileged user `nobody`.
#
#   eval "$(bench/pg.sh start)"   sets PG_DIR and PG_CONNINFO
#   bench/pg.sh stop "$PG_DIR"    stops the server and removes PG_DIR
set -euo pipefail

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "pg.sh: no PostgreSQL server (apt-get install postgresql)" >&2
  exit 69
fi

as_owner() { # command...
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
start)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/tally-pg.XXXXXX")
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody: "$dir"
  fi
  as_owner "$pgbin/initdb" -D "$dir/data" -U bench --auth=trust \
    -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 70
  }
  as_owner "$pgbin/pg_ctl" start -w -D "$dir/data" -l "$dir/server.log" \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c port=5432" \
    >/dev/null || {
    cat "$dir/server.log" >&2
    exit 70
  }
  echo "PG_DIR='$dir'"
  echo "PG_CONNINFO='host=$dir port=5432 user=bench dbname=postgres'"
  ;;
stop)
  dir=${2:?usage: pg.sh stop DIR}
  as_owner "$pgbin/pg_ctl" stop -w -m fast -D "$dir/data" >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start | stop DIR" >&2
  exit 64
  ;;
esac
