"""Settings, all from environment variables (see README: Configuration).

Production needs DJANGO_SECRET_KEY, DJANGO_DEBUG=0, DJANGO_ALLOWED_HOSTS and DATABASE_URL
(the application's role), plus DATABASE_OWNER_URL for the migration step (README: Database
roles). Without DATABASE_URL the project-local cluster started by `make demo` is used. Debug
is on by default for developers' `manage.py` commands; `make demo` and `make serve` run with
the environment of scripts/local_env.sh (debug off, plain HTTP on this machine only).
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")

# Plain HTTP on this machine (`make demo`): no HTTPS redirect, no HSTS, cookies without the
# Secure flag (a browser would not send those back over http://127.0.0.1). Only for hosts
# that are this machine; production keeps the strict defaults below.
LOCAL_HTTP = env_bool("DJANGO_LOCAL_HTTP", False)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "testserver"}
if LOCAL_HTTP and not set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_LOCAL_HTTP=1 serves plain HTTP and is for this machine only: "
        f"DJANGO_ALLOWED_HOSTS must list only {', '.join(sorted(LOOPBACK_HOSTS))}"
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI as static files, never from a CDN
    "procrastinate.contrib.django",  # background jobs, queued in the same PostgreSQL
    "gis_app.apps.CoreConfig",
    "layers.apps.LayersConfig",
    "component_catalog.apps.ComponentCatalogConfig",
    "importers.apps.ImportersConfig",
    "tiles.apps.TilesConfig",
    "map_ui.apps.MapUiConfig",
    "reports.apps.ReportsConfig",
    "community.devices.apps.DevicesConfig",
    "community.parking.apps.ParkingConfig",
    "community.notify.apps.NotifyConfig",
    "community.matters.apps.MattersConfig",
    "survey.apps.SurveyConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gis_app.csp.ContentSecurityPolicyMiddleware",  # tiles/fastpath.py copies this list
    "gis_app.middleware.ControlCharacterMiddleware",
    "gis_app.timeouts.StatementTimeoutMiddleware",  # keep last (see gis_app.timeouts)
]

ROOT_URLCONF = "gis_app.urls"
WSGI_APPLICATION = "gis_app.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gis_app.navigation.navigation",
            ],
        },
    },
]


def _parse_database_url(name: str, url: str) -> dict[str, Any]:
    if url.split(":", 1)[0] not in {"postgis", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"{name} must point at PostgreSQL with PostGIS (postgis://user:pass@host:port/db)"
        )
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    return dict(config)


def _local_url(user: str, password: str) -> str:
    return "postgis://{user}:{password}@127.0.0.1:{port}/{name}".format(
        user=user,
        password=password,
        port=os.environ.get("LOCAL_PG_PORT", "5433"),
        name=os.environ.get("LOCAL_PG_DB", "gis"),
    )


def database_from_env() -> dict[str, Any]:
    """The connection of the web and worker processes: DATABASE_URL if given, else the
    application's role (which owns nothing) in the project-local cluster of
    scripts/local_pg.sh."""
    url = os.environ.get("DATABASE_URL") or _local_url(
        os.environ.get("LOCAL_PG_APP_USER", "gis_app"),
        os.environ.get("LOCAL_PG_APP_PASSWORD", "gis-app-local"),
    )
    config = _parse_database_url("DATABASE_URL", url)
    config["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    config.setdefault("OPTIONS", {})["connect_timeout"] = 5
    config["OPTIONS"]["application_name"] = "gis_app"
    return config


def database_owner_from_env(app: dict[str, Any]) -> dict[str, Any] | None:
    """The credentials that ``migrate`` (and the test database's creation) use instead of
    the application's: DATABASE_OWNER_URL (or MIGRATE_DATABASE_URL), else the owner role of
    the project-local cluster when DATABASE_URL is unset, else None: one role does both,
    as before (``manage.py check`` then warns, see gis_app/db_roles.py)."""
    url = os.environ.get("DATABASE_OWNER_URL") or os.environ.get("MIGRATE_DATABASE_URL")
    if not url and os.environ.get("DATABASE_URL"):
        return None
    url = url or _local_url(
        os.environ.get("LOCAL_PG_USER", "gis"), os.environ.get("LOCAL_PG_PASSWORD", "gis-local")
    )
    owner = _parse_database_url("DATABASE_OWNER_URL", url)
    if owner["NAME"] != app["NAME"]:
        raise ImproperlyConfigured(
            f"DATABASE_OWNER_URL names the database {owner['NAME']!r} but DATABASE_URL "
            f"names {app['NAME']!r}: both must name the same database"
        )
    return {key: owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}


DATABASES = {"default": database_from_env()}
# Who owns the schema and runs migrations (gis_app.db_roles.as_owner); give it to the
# migration step only, never to the web and worker processes.
DATABASE_OWNER = database_owner_from_env(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / ".local" / "static"))
# Front-end packages come from npm (package.json) and are served as static files, never a CDN.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / name / sub)
    for name, sub in [
        ("leaflet", "dist"),
        ("leaflet.vectorgrid", "dist"),
        ("leaflet-draw", "dist"),
        ("leaflet.markercluster", "dist"),
        ("leaflet.locatecontrol", "dist"),
        ("chart.js", "dist"),
    ]
    if (NODE_MODULES / name / sub).is_dir()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".local" / "media"))
MEDIA_URL = "/media/"
# Web/API uploads for imports (kept under MEDIA_ROOT/imports/<job>/ for the commit).
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024))
# Imports inserting at least this many components load them as a partition of their own
# (indexes built in one pass, then attached); smaller ones insert into the live table.
IMPORT_PARTITION_MIN_ROWS = int(os.environ.get("IMPORT_PARTITION_MIN_ROWS", 50_000))

# Statement time limits (gis_app.timeouts): web reads, web writes, background jobs.
STATEMENT_TIMEOUT_READ_MS = int(os.environ.get("STATEMENT_TIMEOUT_READ_MS", 5000))
STATEMENT_TIMEOUT_WRITE_MS = int(os.environ.get("STATEMENT_TIMEOUT_WRITE_MS", 15000))
STATEMENT_TIMEOUT_JOB_MS = int(os.environ.get("STATEMENT_TIMEOUT_JOB_MS", 600000))
# Report exports answered synchronously: at most this many areas (rows), and at most this
# many rendered at once in the whole deployment (the others: the background export).
REPORTS_SYNC_MAX_AREAS = int(os.environ.get("REPORTS_SYNC_MAX_AREAS", 60))
REPORTS_SYNC_EXPORT_SLOTS = int(os.environ.get("REPORTS_SYNC_EXPORT_SLOTS", 1))
# A TrueType CJK font file for the PDF and images (reports/fonts.py); empty: fontconfig's.
REPORTS_CJK_FONT = os.environ.get("REPORTS_CJK_FONT", "").strip()

# Vector tiles (tiles/): seconds browsers and shared caches keep a public tile; the tile
# cache; server-side prepared statements (off behind a transaction-mode PgBouncer); the
# fast path for anonymous tiles (tiles/fastpath.py).
TILES_PUBLIC_MAX_AGE = int(os.environ.get("TILES_PUBLIC_MAX_AGE", 60))
TILES_CACHE = env_bool("TILES_CACHE", True)
TILES_PREPARED_STATEMENTS = env_bool("TILES_PREPARED_STATEMENTS", True)
TILES_FAST_PATH = env_bool("TILES_FAST_PATH", True)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Sessions live in PostgreSQL (web nodes stay stateless) and expire.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Failed-login throttle (gis_app/auth.py): at most LOGIN_MAX_FAILURES failures per account
# and source address together, and 4x that per source address, within LOGIN_FAILURE_WINDOW
# seconds.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", 15 * 60))

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-pass-2019")
# Real geodata the demo reads (never copies): the checkout's sibling ``shared/data`` unless
# set. Without it the demo runs on generated boundaries (README: Demo).
SHARED_DATA_DIR = Path(os.environ.get("SHARED_DATA_DIR", BASE_DIR.parent / "shared" / "data"))

# Map basemaps (map_ui). The platform's own offline basemap is the default; the online ones
# are offered to the browser only. Tianditu needs a (browser) key: without one it is not
# offered. The tile URL templates can point at a mirror or proxy.
TIANDITU_KEY = os.environ.get("TIANDITU_KEY", "")
MAP_OSM_TILE_URL = os.environ.get(
    "MAP_OSM_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
MAP_TIANDITU_TILE_URL = os.environ.get(
    "MAP_TIANDITU_TILE_URL",
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}",
)
MAP_AMAP_TILE_URL = os.environ.get(
    "MAP_AMAP_TILE_URL",
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}",
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gis_app.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "gis_app.parsers.JSONParser",
        "gis_app.parsers.FormParser",
        "gis_app.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "gis_app.api_common.PagePagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "gis_app.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Smart-community GIS platform API",
    "DESCRIPTION": "REST API of the smart-community GIS platform (DB3301/T 0291-2019). "
    "Geometry in and out as GeoJSON (CRS84).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Production hardening; `manage.py check --deploy` is clean with DJANGO_DEBUG=0.
HTTPS_ONLY = not DEBUG and not LOCAL_HTTP
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS_ONLY) and not LOCAL_HTTP
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000)) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# A refused CSRF check gets the platform's own page (JSON under /api/), like other errors.
CSRF_FAILURE_VIEW = "gis_app.error_pages.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}

# Debian 12 ships GDAL 3.6, which cannot block file/network access from spatial-reference
# strings (gis.W001). The platform never hands user-supplied SRS text to GDAL: CRSs come in
# as EPSG codes or the named Chinese systems and are resolved by pyproj.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Uploads: photos are checked by content; the request body limit sits a little above.
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Smart parking (community.parking). Plate and card numbers are kept only as an HMAC under
# this key (and masked): set PARKING_CREDENTIAL_KEY in production (check parking.E001).
PARKING_DEV_CREDENTIAL_KEY = "insecure-parking-development-key"  # noqa: S105
PARKING_CREDENTIAL_KEY = os.environ.get("PARKING_CREDENTIAL_KEY", PARKING_DEV_CREDENTIAL_KEY)
PARKING_MAX_BATCH = int(os.environ.get("PARKING_MAX_BATCH", 1000))  # events per request
PARKING_HTTP_REPLAY_WINDOW = int(os.environ.get("PARKING_HTTP_REPLAY_WINDOW", 300))  # seconds
# MQTT messages may wait in the broker's queue while the worker is down: a longer window.
PARKING_MQTT_REPLAY_WINDOW = int(os.environ.get("PARKING_MQTT_REPLAY_WINDOW", 24 * 3600))
PARKING_CLOCK_SKEW = int(os.environ.get("PARKING_CLOCK_SKEW", 300))  # event time ahead, seconds
PARKING_MAX_EVENT_AGE_DAYS = int(os.environ.get("PARKING_MAX_EVENT_AGE_DAYS", 35))
PARKING_FIND_CAR_WINDOW = int(os.environ.get("PARKING_FIND_CAR_WINDOW", 600))  # seconds
PARKING_FIND_CAR_PER_ADDRESS = int(os.environ.get("PARKING_FIND_CAR_PER_ADDRESS", 20))
PARKING_FIND_CAR_PER_PLATE = int(os.environ.get("PARKING_FIND_CAR_PER_PLATE", 6))
# The project-local Mosquitto of scripts/local_mqtt.sh (or any MQTT broker).
PARKING_MQTT_HOST = os.environ.get("PARKING_MQTT_HOST", "127.0.0.1")
PARKING_MQTT_PORT = int(
    os.environ.get("PARKING_MQTT_PORT") or os.environ.get("LOCAL_MQTT_PORT") or 1884
)
PARKING_MQTT_USERNAME = os.environ.get("PARKING_MQTT_USERNAME", "parking-worker")
PARKING_MQTT_PASSWORD = os.environ.get("PARKING_MQTT_PASSWORD", "worker-local")
PARKING_MQTT_CLIENT_ID = os.environ.get("PARKING_MQTT_CLIENT_ID", "parking-ingest-worker")

# Notifications (community.notify). Email goes through Django's SMTP backend to this server.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 10))  # seconds
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")
# Links in emails and webhook payloads are made absolute with this address.
NOTIFY_SITE_URL = os.environ.get("NOTIFY_SITE_URL", "http://127.0.0.1:8000")
# Webhook secrets are encrypted at rest under this key (check notify.E001 in production).
NOTIFY_DEV_SECRET_KEY = "insecure-notify-development-key"  # noqa: S105
NOTIFY_SECRET_KEY = os.environ.get("NOTIFY_SECRET_KEY", NOTIFY_DEV_SECRET_KEY)
NOTIFY_WEBHOOK_TIMEOUT = int(os.environ.get("NOTIFY_WEBHOOK_TIMEOUT", 10))  # seconds
# Emails and webhook calls are tried this many times, waiting base * 2^n (capped) between.
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", 6))
NOTIFY_RETRY_BASE_SECONDS = int(os.environ.get("NOTIFY_RETRY_BASE_SECONDS", 30))
NOTIFY_RETRY_MAX_SECONDS = int(os.environ.get("NOTIFY_RETRY_MAX_SECONDS", 3600))
# Device ingest and registry (community.devices). Device secrets are sealed (AES-GCM) under
# a key derived from DEVICES_SECRET_KEY: set it in production (check devices.E001). After
# changing it, list the previous keys (comma-separated) in DEVICES_OLD_SECRET_KEYS and run
# `manage.py devices reseal`. Limits and the broker default to the parking values above.
DEVICES_DEV_SECRET_KEY = "insecure-devices-development-key"  # noqa: S105
DEVICES_SECRET_KEY = os.environ.get("DEVICES_SECRET_KEY", DEVICES_DEV_SECRET_KEY)
DEVICES_OLD_SECRET_KEYS = [
    k for k in os.environ.get("DEVICES_OLD_SECRET_KEYS", "").split(",") if k.strip()
]
# Reporters' contacts on service requests (community.matters) are sealed under a key derived
# from MATTERS_SECRET_KEY: set it in production (check matters.E001); previous keys,
# comma-separated, in MATTERS_OLD_SECRET_KEYS.
MATTERS_DEV_SECRET_KEY = "insecure-matters-development-key"  # noqa: S105
MATTERS_SECRET_KEY = os.environ.get("MATTERS_SECRET_KEY", MATTERS_DEV_SECRET_KEY)
MATTERS_OLD_KEYS = [
    k for k in os.environ.get("MATTERS_OLD_SECRET_KEYS", "").split(",") if k.strip()
]
DEVICES_MAX_BATCH = int(os.environ.get("DEVICES_MAX_BATCH", PARKING_MAX_BATCH))
DEVICES_HTTP_REPLAY_WINDOW = int(
    os.environ.get("DEVICES_HTTP_REPLAY_WINDOW", PARKING_HTTP_REPLAY_WINDOW)
)
DEVICES_MQTT_REPLAY_WINDOW = int(
    os.environ.get("DEVICES_MQTT_REPLAY_WINDOW", PARKING_MQTT_REPLAY_WINDOW)
)
DEVICES_CLOCK_SKEW = int(os.environ.get("DEVICES_CLOCK_SKEW", PARKING_CLOCK_SKEW))
DEVICES_MAX_EVENT_AGE_DAYS = int(
    os.environ.get("DEVICES_MAX_EVENT_AGE_DAYS", PARKING_MAX_EVENT_AGE_DAYS)
)
DEVICES_MQTT_HOST = os.environ.get("DEVICES_MQTT_HOST", PARKING_MQTT_HOST)
DEVICES_MQTT_PORT = int(os.environ.get("DEVICES_MQTT_PORT", PARKING_MQTT_PORT))
DEVICES_MQTT_USERNAME = os.environ.get("DEVICES_MQTT_USERNAME", PARKING_MQTT_USERNAME)
DEVICES_MQTT_PASSWORD = os.environ.get("DEVICES_MQTT_PASSWORD", PARKING_MQTT_PASSWORD)
DEVICES_MQTT_CLIENT_ID = os.environ.get("DEVICES_MQTT_CLIENT_ID", PARKING_MQTT_CLIENT_ID)
