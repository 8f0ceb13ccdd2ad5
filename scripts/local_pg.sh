#!/usr/bin/env bash
# Project-local PostgreSQL/PostGIS cluster under .local/pg.
#   scripts/local_pg.sh start   initialise (first time), start, create roles/database/PostGIS
# Two roles (README: Database roles): the owner (LOCAL_PG_USER, owns the database and
# runs the migrations) and the application's (LOCAL_PG_APP_USER, owns nothing; the web and
# worker processes connect as it; `manage.py migrate` grants it its privileges). An
# existing cluster is brought up to this on the next start; running it twice is harmless.
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
APP_USER=${LOCAL_PG_APP_USER:-gis_app}
APP_PASSWORD=${LOCAL_PG_APP_PASSWORD:-gis-app-local}
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
  # Idempotent: roles, database, PostGIS in the database and in template1 (so test
  # databases created by the owner role get PostGIS too). psql's variables quote the names
  # and passwords (:'v' a literal, :"v" an identifier).
  [ "$APP_USER" != "$DB_USER" ] || die "LOCAL_PG_APP_USER must differ from LOCAL_PG_USER (the owner)."
  psql_super -d postgres -v owner="$DB_USER" -v owner_pw="$DB_PASSWORD" \
    -v app="$APP_USER" -v app_pw="$APP_PASSWORD" -v db="$DB_NAME" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'owner', :'owner_pw')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app', :'app_pw')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
-- the application's role: no superuser, no databases, no roles, whatever it was before
SELECT format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', :'app')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'owner')
FROM pg_database WHERE datname = :'db' AND datdba <> to_regrole(:'owner') \gexec
SQL
  local db
  for db in template1 "$DB_NAME"; do
    psql_super -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  done
  # In the database: nothing the application's role owns (an earlier set-up may have made
  # it the owner of tables; the owner takes them over), no creating in schema public.
  psql_super -d "$DB_NAME" -v owner="$DB_USER" -v app="$APP_USER" <<'SQL'
SELECT format('REASSIGN OWNED BY %I TO %I', :'app', :'owner')
WHERE EXISTS (SELECT 1 FROM pg_class WHERE relowner = to_regrole(:'app'))
   OR EXISTS (SELECT 1 FROM pg_proc WHERE proowner = to_regrole(:'app')) \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
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
