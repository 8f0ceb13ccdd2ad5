#!/usr/bin/env bash
# Project-local PostgreSQL/PostGIS cluster under .local/pg.
#   scripts/local_pg.sh start   initialise (first time), start, create role/database/PostGIS
#   scripts/local_pg.sh stop
#   scripts/local_pg.sh status
# PostgreSQL refuses to run as root, so when run as root the server runs as `postgres`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGDIR=${LOCAL_PG_DIR:-$ROOT/.local/pg}
PORT=${LOCAL_PG_PORT:-5433}
DB_NAME=${LOCAL_PG_DB:-gis}
DB_USER=${LOCAL_PG_USER:-gis}
DB_PASSWORD=${LOCAL_PG_PASSWORD:-gis-local}
DATA="$PGDIR/data"
RUN="$PGDIR/run"
LOG="$PGDIR/server.log"

die() { echo "error: $*" >&2; exit 2; }

BIN=""
for candidate in /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
  if [ -x "$candidate/pg_ctl" ]; then BIN=$candidate; break; fi
done
[ -n "$BIN" ] || die "PostgreSQL 15 server binaries not found; install the Debian package postgresql-15 (make demo does this as root)."

if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server; install postgresql-15."
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

is_running() { [ -f "$DATA/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

running_port() { sed -n '4p' "$DATA/postmaster.pid" 2>/dev/null; }

psql_super() { as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U postgres "$@"; }

make_traversable() {
  # The server runs as `postgres`; every ancestor of the data directory must let it pass.
  local dir=$PGDIR
  while [ "$dir" != "/" ]; do
    dir=$(dirname "$dir")
    if ! runuser -u postgres -- test -x "$dir"; then
      echo "note: letting the postgres user traverse $dir (chmod o+x)"
      chmod o+x "$dir"
    fi
  done
}

start() {
  if is_running; then
    [ "$(running_port)" = "$PORT" ] || die "the local cluster in $DATA is already running on port $(running_port), not $PORT; run 'scripts/local_pg.sh stop' first or set LOCAL_PG_PORT=$(running_port)."
    ensure_database
    return 0
  fi
  if port_in_use "$PORT"; then
    die "port $PORT on 127.0.0.1 is taken by another program; set LOCAL_PG_PORT to a free port (e.g. LOCAL_PG_PORT=5434 make demo), or point DATABASE_URL at an existing PostGIS."
  fi
  local sharedir
  sharedir=$("$BIN/pg_config" --sharedir 2>/dev/null || echo /usr/share/postgresql/15)
  [ -f "$sharedir/extension/postgis.control" ] || die "the PostGIS extension is not available to PostgreSQL 15 ($sharedir/extension/postgis.control missing); install the Debian package postgresql-15-postgis-3."

  mkdir -p "$PGDIR"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PGDIR"
    make_traversable
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    echo "Initialising a PostgreSQL cluster in $DATA"
    local pwfile
    pwfile=$(mktemp); echo "$DB_PASSWORD" >"$pwfile"; chmod 644 "$pwfile"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$PGDIR/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$PGDIR/initdb.log" >&2; die "initdb failed (log above)."; }
    rm -f "$pwfile"
  fi
  as_pg mkdir -p "$RUN"
  as_pg chmod 700 "$RUN"
  if ! as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
      -o "-p $PORT -k $RUN -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB" >/dev/null; then
    tail -n 20 "$LOG" >&2 || true
    die "the local PostgreSQL did not start (log: $LOG)."
  fi
  ensure_database
}

ensure_database() {
  # Idempotent: role, database, PostGIS in the database and in template1 (so test
  # databases created by the non-superuser role get PostGIS too).
  psql_super -d postgres <<SQL
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$DB_USER', '$DB_PASSWORD')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$DB_USER')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME') \gexec
SQL
  local db
  for db in template1 "$DB_NAME"; do
    psql_super -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  done
}

stop() {
  if is_running; then as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; echo "stopped"; else echo "not running"; fi
}

status() {
  if is_running; then echo "running on port $(running_port) ($DATA)"; else echo "not running"; exit 3; fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
