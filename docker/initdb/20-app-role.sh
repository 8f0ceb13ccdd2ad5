#!/bin/sh
# First start of the db container (postgis/postgis runs /docker-entrypoint-initdb.d/*):
# the application's role, which owns nothing (README: Database roles). The owner is
# POSTGRES_USER; `manage.py migrate` (the compose file's migrate service) grants the
# application's role its privileges. For a volume initialised before this script existed:
#   docker compose -f docker/compose.yaml exec db sh /docker-entrypoint-initdb.d/20-app-role.sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app="${APP_DB_USER:-gis_app}" -v pw="${APP_DB_PASSWORD:-gis-app}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app', :'pw')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE', :'app') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
