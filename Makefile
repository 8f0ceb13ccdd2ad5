# Smart-community GIS platform. The two commands a new user needs:
#   make demo   set up everything, load the demo data, serve http://127.0.0.1:$(PORT)
#   make test   set up everything, run the quality gates and the whole test suite
# `make demo` and `make serve` run with debug off (scripts/local_env.sh demo); `make dev`
# serves the same data with Django's debug pages and auto-reload, for developers.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8000
LOCAL_PG_PORT ?= 5433
export LOCAL_PG_PORT
LOCAL_MQTT_PORT ?= 1884
export LOCAL_MQTT_PORT
VENV := .venv
# make test runs the suite on this many pytest-xdist workers (a test database each):
# the machine's cores, at most 4; TEST_WORKERS=1 runs it in one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
PY := $(VENV)/bin/python
STAMPS := .local/stamps
MANAGE := $(PY) manage.py
# The servers' environment (debug off or on, local secrets kept under .local/).
DEMO_ENV = server_env=$$(scripts/local_env.sh demo); eval "$$server_env"
DEV_ENV = server_env=$$(scripts/local_env.sh dev); eval "$$server_env"
GUNICORN = $(VENV)/bin/gunicorn gis_app.wsgi --bind 127.0.0.1:$(PORT) --workers 3 --access-logfile -

.PHONY: help demo dev test serve setup db migrate mqtt lint typecheck bench stop-db stop-mqtt clean-local

help:
	@echo "make demo   - install what is missing, start PostGIS, load demo data, serve on :$(PORT)"
	@echo "make test   - the same set-up, then lint, checks and the whole test suite"
	@echo "make dev    - like demo, with debug pages and auto-reload (developers only)"
	@echo "make bench  - benchmarks (results for docs/PERFORMANCE.md)"
	@echo "make stop-db - stop the project-local PostgreSQL cluster"
	@echo "make stop-mqtt - stop the project-local Mosquitto broker"

$(STAMPS):
	@mkdir -p $@

# Debian packages: checked on every run (fast), installed only when missing.
$(STAMPS)/system: scripts/install_system.sh | $(STAMPS)
	@scripts/install_system.sh
	@touch $@

$(STAMPS)/venv: pyproject.toml $(STAMPS)/system
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) (log: .local/pip.log)"
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]' >.local/pip.log 2>&1 \
		|| { tail -n 30 .local/pip.log; exit 1; }
	@touch $@

$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/system
	@npm ci --no-audit --no-fund --silent
	@touch $@

setup: $(STAMPS)/system $(STAMPS)/venv $(STAMPS)/npm

# The project-local cluster, unless DATABASE_URL points elsewhere.
db: setup
	@if [ -z "$${DATABASE_URL:-}" ]; then scripts/local_pg.sh start; fi
	@$(MANAGE) check_database

# `migrate` connects as the database owner and grants the application's role (README:
# Database roles); everything else runs as the application's role, which owns nothing.
migrate: db
	@$(DEMO_ENV); $(MANAGE) migrate --noinput -v 0
	@$(MANAGE) parking_partitions -v 0 >/dev/null
	@$(MANAGE) compilemessages -v 0 --ignore '.venv' --ignore 'node_modules'
	@$(MANAGE) collectstatic --noinput -v 0

# The project-local Mosquitto (parking events over MQTT), unless PARKING_MQTT_HOST is set.
mqtt: setup
	@if [ -z "$${PARKING_MQTT_HOST:-}" ]; then scripts/local_mqtt.sh start; fi

demo: migrate mqtt
	@$(DEMO_ENV); $(MANAGE) load_demo
	@echo "Serving http://127.0.0.1:$(PORT)/  (demo accounts: see README; Ctrl-C stops)"
	@$(DEMO_ENV); \
		$(MANAGE) procrastinate worker --queues imports,reports,notify,matters >.local/worker.log 2>&1 & worker=$$!; \
		$(MANAGE) devices_mqtt_worker >.local/devices-worker.log 2>&1 & devices=$$!; \
		trap 'kill $$worker $$devices 2>/dev/null' EXIT INT TERM; \
		$(GUNICORN)

serve: migrate
	@$(DEMO_ENV); exec $(GUNICORN)

# Debug pages (tracebacks, settings, URL lists): for a developer's own machine only.
dev: migrate mqtt
	@$(DEV_ENV); $(MANAGE) load_demo
	@echo "Serving http://127.0.0.1:$(PORT)/ with DEBUG on (developers only; Ctrl-C stops)"
	@$(DEV_ENV); \
		$(MANAGE) procrastinate worker --queues imports,reports,notify,matters >.local/worker.log 2>&1 & worker=$$!; \
		$(MANAGE) devices_mqtt_worker >.local/devices-worker.log 2>&1 & devices=$$!; \
		trap 'kill $$worker $$devices 2>/dev/null' EXIT INT TERM; \
		$(MANAGE) runserver 127.0.0.1:$(PORT)

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy gis_app layers component_catalog importers tiles map_ui reports survey community

test: migrate lint
	@if [ -z "$${PARKING_MQTT_HOST:-}" ]; then scripts/local_mqtt.sh start \
		|| echo "note: no project-local MQTT broker (see above); the MQTT test starts its own"; fi
	@$(MANAGE) makemigrations --check --dry-run
	@$(MANAGE) check --fail-level WARNING
	@DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		PARKING_CREDENTIAL_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))') \
		NOTIFY_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))') \
		DEVICES_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))') \
		MATTERS_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))') \
		DJANGO_ALLOWED_HOSTS=gis.example.org $(MANAGE) check --deploy --fail-level WARNING
	@$(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadfile

bench: migrate
	@$(PY) bench/ogc_items.py --count 1000000 --requests 50 --database gis_bench --drop-database
	@$(PY) bench/parking.py --rate 1000 --seconds 60 --burst 60000

stop-db:
	@scripts/local_pg.sh stop

stop-mqtt:
	@scripts/local_mqtt.sh stop
