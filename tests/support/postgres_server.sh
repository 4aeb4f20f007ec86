#!/usr/bin/env bash
# The PostgreSQL servers the `postgres` and `ha` tests use: servers of their own, never the
# system's service, as many as there are STATE directories (each STATE names one server).
#
#   start STATE    makes a cluster in a new temporary directory (initdb), starts it on 127.0.0.1
#                  at a free port (pg_ctl) and writes, under STATE, `url` (the test database's
#                  postgresql:// URL), `password` (the test role's, mode 0600), `port` and
#                  `datadir`. About 4 s.
#   stop STATE     stops it and removes the directory (nothing when none runs).
#   restart STATE  restarts it on the same port (pg_ctl restart -m fast: every connection is cut).
#   pause STATE    stops it on the same port, keeping its data (pg_ctl stop -m fast): clients
#                  then meet "connection refused" on its port, as when the server is down.
#   resume STATE   starts a paused server again on its port.
#
# initdb and the server refuse to run as root: as root, both run as `nobody`, which owns the
# temporary directory. ctest runs start and stop as the fixture `postgres` (tests/CMakeLists.txt);
# a test that takes a server away (tests/faults/postgres_test.cpp) starts one of its own
# (tests/support/postgres_server.h), since the fixture's is shared by tests running in parallel.
#
# The server is tuned for tests, not for keeping data: fsync, full-page writes and synchronous
# commit are off (a crash of the machine may lose the last transactions, which a test never
# needs; kill -9 of a cspwatch process is unaffected).
set -euo pipefail

usage="usage: postgres_server.sh start|stop|restart|pause|resume STATE_DIR"
action=${1:?$usage}
state=${2:?$usage}

bin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bin=$d
done
if [ -z "$bin" ]; then
  echo "postgres_server.sh: no PostgreSQL server installed (scripts/install-deps.sh installs postgresql-15)" >&2
  exit 1
fi

# As nobody, when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

# nobody must reach the server's programs from "/". A chroot made with `mktemp -d`, as
# ../shared/tools/fresh-machine.sh makes a fresh Debian machine, has a root directory of mode
# 0700, where no other user can walk to anything (a Debian root is 0755): then the root directory
# gets the search permission for others (o+x, nothing more), which an installed system has.
reachable() {
  [ "$(id -u)" -ne 0 ] && return 0
  runuser -u nobody -- test -x "$bin/initdb" 2>/dev/null && return 0
  if [ -z "$(find / -maxdepth 0 -perm -o+x)" ]; then
    echo "postgres_server.sh: / is mode $(stat -c %a /) (a chroot made by mktemp -d?): adding o+x so that nobody can reach $bin" >&2
    chmod o+x /
  fi
  runuser -u nobody -- test -x "$bin/initdb"
}

stop() {
  [ -f "$state/datadir" ] || return 0
  local data
  data=$(cat "$state/datadir")
  # (The pid file is the cluster's: a server left running here would outlive its removed
  # directory until it noticed, a minute later.)
  if [ -f "$data/cluster/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$data/cluster" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
  rm -f "$state/datadir" "$state/url" "$state/password" "$state/port"
}

# The temporary directory of the server STATE names, which must have been started.
datadir() {
  if [ ! -f "$state/datadir" ] || [ ! -f "$state/port" ]; then
    echo "postgres_server.sh: no server was started in $state" >&2
    exit 1
  fi
  cat "$state/datadir"
}

restart() {
  local data
  data=$(datadir)
  as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -m fast -w -t 60 restart >/dev/null
}

pause() {
  local data
  data=$(datadir)
  as_owner "$bin/pg_ctl" -D "$data/cluster" -m fast -w -t 60 stop >/dev/null
}

resume() {
  local data
  data=$(datadir)
  as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -o "-p $(cat "$state/port")" \
    -w -t 60 start >/dev/null
}

start() {
  reachable || {
    echo "postgres_server.sh: the user nobody cannot run $bin/initdb" >&2
    exit 1
  }
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
  # fail, and we try the next. Below Linux's ephemeral range (32768 and up): a paused server's
  # port is not then taken by some client's connection before it resumes.
  for attempt in $(seq 1 20); do
    port=$((20000 + RANDOM % 12768))
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
  echo "$port" >"$state/port"
  echo "postgresql://cspwatch@127.0.0.1:$port/cspwatch_test" >"$state/url"
  echo "postgres_server.sh: PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port, data in $data"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  pause) pause ;;
  resume) resume ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
