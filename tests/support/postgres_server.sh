#!/usr/bin/env bash
# The PostgreSQL server the `postgres` and `ha` tests use: a server of their own, never the
# system's service. `start STATE` makes a cluster in a new temporary directory (initdb), starts it
# on 127.0.0.1 at a free port (pg_ctl) and writes, under STATE, `url` (the test database's
# postgresql:// URL), `password` (the test role's, mode 0600) and `datadir`. `stop STATE` stops it
# and removes the directory. initdb and the server refuse to run as root: as root, both run as
# `nobody`, which owns the temporary directory. ctest runs these as the fixture `postgres`
# (tests/CMakeLists.txt).
#
# The server is tuned for tests, not for keeping data: fsync, full-page writes and synchronous
# commit are off (a crash of the machine may lose the last transactions, which a test never
# needs; kill -9 of a cspwatch process is unaffected).
set -euo pipefail

action=${1:?usage: postgres_server.sh start|stop STATE_DIR}
state=${2:?usage: postgres_server.sh start|stop STATE_DIR}

bin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bin=$d
done
if [ -z "$bin" ]; then
  echo "postgres_server.sh: no PostgreSQL server installed (scripts/install-deps.sh installs postgresql-15)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

stop() {
  [ -f "$state/datadir" ] || return 0
  local data
  data=$(cat "$state/datadir")
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
  rm -f "$state/datadir" "$state/url" "$state/password"
}

start() {
  stop
  mkdir -p "$state"
  local data password port
  data=$(mktemp -d "${TMPDIR:-/tmp}/cspwatch-pg.XXXXXX")
  echo "$data" >"$state/datadir"
  chmod 0700 "$data"
  if [ "$(id -u)" -eq 0 ]; then chown nobody: "$data"; fi
  password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077 && printf '%s\n' "$password" >"$state/password")
  printf '%s\n' "$password" >"$data/pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown nobody: "$data/pwfile"; fi
  as_owner "$bin/initdb" -D "$data/cluster" -U cspwatch --pwfile="$data/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >"$data/initdb.log" 2>&1 || {
    cat "$data/initdb.log" >&2
    exit 1
  }
  rm -f "$data/pwfile"
  cat >>"$data/cluster/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data'
max_connections = 300
shared_buffers = 64MB
fsync = off
full_page_writes = off
synchronous_commit = off
log_min_messages = warning
EOF
  # A free port: one another process took between our pick and the server's bind makes pg_ctl
  # fail, and we try the next.
  for attempt in $(seq 1 20); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -o "-p $port" -w -t 60 \
      start >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    echo "postgres_server.sh: the server did not start:" >&2
    tail -20 "$data/server.log" >&2 || true
    exit 1
  fi
  as_owner "$bin/psql" -h "$data" -p "$port" -U cspwatch -d postgres -qAt \
    -c "CREATE DATABASE cspwatch_test" >/dev/null
  echo "postgresql://cspwatch@127.0.0.1:$port/cspwatch_test" >"$state/url"
  echo "postgres_server.sh: PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port, data in $data"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: postgres_server.sh start|stop STATE_DIR" >&2
    exit 2
    ;;
esac
