"""`manage.py check_database`: is the configured database usable by this project?

Connects with plain psycopg2 (before Django's PostGIS backend, whose errors are obscure) and
turns each kind of misconfiguration into one clear paragraph on stderr with exit status 2:
unreachable server, failed authentication, missing database, PostGIS missing (and not
creatable by the role), PostGIS older than 3. On success prints one line to stdout.
"""

import re
from typing import Any

import psycopg2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gis_app import db_roles

EXIT_STATUS = 2
MIN_POSTGIS_MAJOR = 3
FIX_HINT = (
    "Fix DATABASE_URL (postgis://user:password@host:port/dbname), or unset it and run "
    "`make demo` to use the project-local cluster."
)


def describe_target(db: dict[str, Any]) -> str:
    """`host:port/name` of the configured database, never including the password."""
    host = db.get("HOST") or "local socket"
    port = db.get("PORT") or "5432"
    return f"{host}:{port}/{db.get('NAME') or ''}"


def driver_reason(exc: BaseException) -> str:
    """The driver's message on one line, without the repeated "connection to ..." prefix."""
    lines = [" ".join(line.split()) for line in str(exc).splitlines() if line.strip()]
    text = " ".join(line if line.endswith((".", "?", "!", ":")) else f"{line}." for line in lines)
    prefix = r'^connection to server (?:at|on socket) "[^"]*"(?: \([^)]*\))?(?:, port \d+)? failed:'
    text = re.sub(prefix + r"\s*", "", text)
    return text.replace("FATAL: ", "").strip() or f"{exc.__class__.__name__}."


def classify_connect_error(
    exc: psycopg2.Error, db: dict[str, Any], variable: str = "DATABASE_URL"
) -> str:
    """Turn a connection failure into a message naming the target and the likely fix
    (``variable``: the setting that holds these credentials)."""
    target = describe_target(db)
    reason = driver_reason(exc)
    if re.search(r'authentication failed|role ".*" does not exist|no pg_hba\.conf entry', reason):
        return (
            f"authentication as user {db.get('USER')!r} failed for the database at {target}: "
            f"{reason} Check the user name and password in {variable}, or unset "
            "DATABASE_URL and run `make demo` to use the project-local cluster."
        )
    if re.search(r'database ".*" does not exist', reason):
        return (
            f"the database {db.get('NAME')!r} does not exist on the server at {target}: "
            f"{reason} Create it (as a superuser: CREATE DATABASE {db.get('NAME')} OWNER "
            f"{db.get('USER')};) or fix the database name in DATABASE_URL."
        )
    return f"cannot reach the database at {target}: {reason} {FIX_HINT}"


def ensure_postgis(cursor: Any, target: str) -> str:
    """Return the installed PostGIS version, creating the extension if the role may."""
    cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
    row = cursor.fetchone()
    if row is not None:
        return str(row[0])
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    if cursor.fetchone() is None:
        raise CommandError(
            f"the PostGIS extension is not installed in the database at {target} and the "
            "server does not offer it (no 'postgis' in pg_available_extensions). Install the "
            "Debian package postgresql-15-postgis-3 on the database server, then run "
            "`CREATE EXTENSION postgis;` in that database as a superuser.",
            returncode=EXIT_STATUS,
        )
    try:
        # What Django's `migrate` would do anyway; succeeds only for privileged roles.
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg2.Error as exc:
        raise CommandError(
            f"the PostGIS extension is not installed in the database at {target} and this "
            f"role cannot create it: {driver_reason(exc)} Ask a superuser to run "
            "`CREATE EXTENSION postgis;` in that database (if the server lacks it, install "
            "the Debian package postgresql-15-postgis-3 first).",
            returncode=EXIT_STATUS,
        ) from None
    cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
    return str(cursor.fetchone()[0])


class Command(BaseCommand):
    """Connect with psycopg2 as the owner (if configured) and as the application's role
    (settings.DATABASES["default"]) and report on it."""

    help = "Check that the configured database is reachable and has PostGIS 3 or newer."

    # System checks could touch the database through Django's backend; skip them.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        app = settings.DATABASES["default"]
        owner = db_roles.owner_credentials()
        target = describe_target(app)
        if owner:
            # The owner first: it may create PostGIS; then the application's role logs in.
            self.check_one({**app, **owner}, "DATABASE_OWNER_URL")
        pg_version, postgis_version = self.check_one(app, "DATABASE_URL")
        major = re.match(r"\d+", postgis_version)
        if major is None or int(major.group()) < MIN_POSTGIS_MAJOR:
            raise CommandError(
                f"the database at {target} has PostGIS {postgis_version}; this project needs "
                f"PostGIS {MIN_POSTGIS_MAJOR} or newer. Upgrade it (Debian package "
                "postgresql-15-postgis-3, then `ALTER EXTENSION postgis UPDATE;` as a "
                "superuser).",
                returncode=EXIT_STATUS,
            )
        self.stdout.write(
            f"database ok: PostgreSQL {pg_version}, PostGIS {postgis_version} ({target})"
        )

    def check_one(self, db: dict[str, Any], variable: str) -> tuple[str, str]:
        """Connect with ``db``'s credentials; (server version, PostGIS version)."""
        target = describe_target(db)
        opts = db.get("OPTIONS", {})
        try:
            conn = psycopg2.connect(
                dbname=db.get("NAME") or None,
                user=db.get("USER") or None,
                password=db.get("PASSWORD") or None,
                host=db.get("HOST") or None,
                port=db.get("PORT") or None,
                connect_timeout=opts.get("connect_timeout", 5),
                application_name="check_database",
            )
        except psycopg2.Error as exc:
            raise CommandError(
                classify_connect_error(exc, db, variable), returncode=EXIT_STATUS
            ) from None
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("SHOW server_version")
                pg_version = str(cursor.fetchone()[0]).split()[0]
                postgis_version = ensure_postgis(cursor, target)
        except psycopg2.Error as exc:
            raise CommandError(
                f"the database at {target} answered with an error: {driver_reason(exc)}",
                returncode=EXIT_STATUS,
            ) from None
        finally:
            conn.close()
        return pg_version, postgis_version
