#!/bin/sh
# Container start-up: check the database, migrate, compile translations, collect static
# files, optionally load the demo data (LOAD_DEMO=1), then run the command (gunicorn).
set -eu
cd /app

python manage.py check_database
python manage.py migrate --noinput
python manage.py compilemessages -v 0 --ignore node_modules
python manage.py collectstatic --noinput -v 0
if [ "${LOAD_DEMO:-0}" = "1" ]; then
    python manage.py load_demo
fi

if [ "$#" -eq 0 ]; then
    set -- gunicorn gis_app.wsgi --bind 0.0.0.0:8000 --access-logfile -
fi
exec "$@"
