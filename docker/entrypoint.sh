#!/bin/sh
# Container start-up.
#   entrypoint.sh migrate   check the database and migrate it (as DATABASE_OWNER_URL when
#                           set: the compose file's one-shot migrate service), then exit
#   entrypoint.sh [cmd...]  compile translations, collect static files, migrate unless
#                           RUN_MIGRATIONS=0, optionally load the demo data (LOAD_DEMO=1),
#                           then run the command (gunicorn by default)
set -eu
cd /app

if [ "${1:-}" = "migrate" ]; then
    python manage.py check_database
    python manage.py migrate --noinput
    exit 0
fi

# Debug off without keys given: generate them once and serve this machine over plain HTTP,
# as `make demo` does.
if [ "${DJANGO_DEBUG:-0}" = "0" ] && [ -z "${DJANGO_SECRET_KEY:-}" ]; then
    eval "$(LOCAL_SECRETS=/app/.local/secrets/secrets.env bash scripts/local_env.sh demo)"
fi

if [ "${RUN_MIGRATIONS:-1}" = "1" ]; then
    python manage.py check_database
    python manage.py migrate --noinput
fi
python manage.py compilemessages -v 0 --ignore node_modules
python manage.py collectstatic --noinput -v 0
if [ "${LOAD_DEMO:-0}" = "1" ]; then
    python manage.py load_demo
fi

if [ "$#" -eq 0 ]; then
    set -- gunicorn gis_app.wsgi --bind 0.0.0.0:8000 --access-logfile -
fi
exec "$@"
