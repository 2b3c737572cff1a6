# Shared by bench scenarios: a throwaway PostgreSQL server from Debian's binaries on a free
# loopback port (run as the `postgres` user when we are root: PostgreSQL refuses root).
# Sets PG_URL (database `postgres`, user `ferry`), PG_PORT; new_database NAME prints a URL for a
# fresh database; call stop_postgres at exit.
pg_run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$PG_BIN" ] || { echo "bench: PostgreSQL is missing (scripts/setup installs it)" >&2; return 1; }
  PG_DIR=$(mktemp -d)
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  pg_run "$PG_BIN/initdb" -D "$PG_DIR/data" -U ferry --auth=trust > "$PG_DIR/initdb.log" 2>&1
  PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # synchronous_commit=off matches the SQLite store's synchronous=NORMAL: a crash may lose the
  # last commits, never corrupt anything.
  pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
    "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c synchronous_commit=off -c max_connections=200" \
    start > /dev/null
  PG_URL="postgres://ferry@127.0.0.1:$PG_PORT/postgres"
}
new_database() {
  pg_run "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ferry "$1"
  echo "postgres://ferry@127.0.0.1:$PG_PORT/$1"
}
stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop > /dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
