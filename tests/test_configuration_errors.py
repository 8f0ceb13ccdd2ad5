"""Bad configuration ends in one clear message and a non-zero exit status, never a traceback.

These run the real entry points (`scripts/local_pg.sh`, `manage.py check_database`) in
subprocesses against the configured database (normally the project-local cluster).
"""

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DB = settings.DATABASES["default"]
PG_HOST = DB["HOST"] or "127.0.0.1"
PG_PORT = int(DB["PORT"] or 5432)
PG_USER = DB["USER"]
PG_PASSWORD = DB["PASSWORD"]
PG_DB = DB["NAME"]
# The project-local cluster's socket directory (scripts/local_pg.sh), for superuser access.
PG_RUN_DIR = Path(os.environ.get("LOCAL_PG_DIR", ROOT / ".local" / "pg")) / "run"
WRONG_PASSWORD = "wrong-Pw-" + secrets.token_hex(4)


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root with extra environment, capturing its output."""
    full_env = {**os.environ, **env}
    return subprocess.run(
        args, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120, check=False
    )


def check_database(database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """`manage.py check_database`, against DATABASE_URL if given, else the configured one."""
    env = {"DATABASE_URL": database_url} if database_url else {}
    return run([sys.executable, "manage.py", "check_database"], **env)


def url_for(name: str, password: str = PG_PASSWORD) -> str:
    return f"postgis://{PG_USER}:{password}@{PG_HOST}:{PG_PORT}/{name}"


def assert_clean_failure(result: subprocess.CompletedProcess[str], *secrets_: str) -> str:
    """Exit status 2, no traceback, no secret in the output; return stderr."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    for secret in secrets_:
        assert secret not in output
    return result.stderr


@pytest.fixture
def held_port() -> Iterator[socket.socket]:
    """A socket bound to a free 127.0.0.1 port (not yet listening) for the test's duration."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock
    finally:
        sock.close()


def test_local_pg_refuses_a_port_in_use(held_port: socket.socket, tmp_path: Path) -> None:
    held_port.listen(1)
    port = held_port.getsockname()[1]
    pg_dir = tmp_path / "pg"
    result = run(
        ["scripts/local_pg.sh", "start"], LOCAL_PG_PORT=str(port), LOCAL_PG_DIR=str(pg_dir)
    )
    assert result.returncode != 0, result.stdout + result.stderr
    assert str(port) in result.stderr
    assert "LOCAL_PG_PORT" in result.stderr
    assert not (pg_dir / "data" / "PG_VERSION").exists()
    assert not (pg_dir / "data").exists()


def test_unreachable_database_names_target_not_password(held_port: socket.socket) -> None:
    # Bound but not listening: connections are refused for as long as the test holds it.
    port = held_port.getsockname()[1]
    url = f"postgis://gis:{WRONG_PASSWORD}@127.0.0.1:{port}/gis"
    stderr = assert_clean_failure(check_database(url), WRONG_PASSWORD)
    assert f"127.0.0.1:{port}/gis" in stderr
    assert "cannot reach" in stderr
    assert "refused" in stderr.lower()
    assert "DATABASE_URL" in stderr
    assert "make demo" in stderr


def test_wrong_password_is_an_authentication_error() -> None:
    stderr = assert_clean_failure(check_database(url_for(PG_DB, WRONG_PASSWORD)), WRONG_PASSWORD)
    assert "authentication" in stderr
    assert f"{PG_HOST}:{PG_PORT}/{PG_DB}" in stderr
    assert "DATABASE_URL" in stderr


def test_missing_database_is_named() -> None:
    name = f"missing_{secrets.token_hex(4)}"
    stderr = assert_clean_failure(check_database(url_for(name)), PG_PASSWORD)
    assert f"database '{name}' does not exist" in stderr


def uses_local_cluster() -> bool:
    return not os.environ.get("DATABASE_URL") and (PG_RUN_DIR / f".s.PGSQL.{PG_PORT}").exists()


def admin_sql(sql: str) -> None:
    """Run SQL as the local cluster's superuser (as root) or else as the CREATEDB role."""
    if os.geteuid() == 0 and uses_local_cluster():
        subprocess.run(
            ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
            + ["-h", str(PG_RUN_DIR), "-p", str(PG_PORT), "-U", "postgres", "-d", "postgres"]
            + ["-c", sql],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return
    conn = psycopg2.connect(
        dbname=PG_DB, user=PG_USER, password=PG_PASSWORD, host=PG_HOST, port=PG_PORT
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def test_database_without_postgis_asks_for_a_superuser() -> None:
    name = f"nopostgis_{secrets.token_hex(4)}"
    try:
        admin_sql(f"CREATE DATABASE {name} OWNER {PG_USER} TEMPLATE template0")
    except psycopg2.errors.InsufficientPrivilege:
        pytest.skip(f"role {PG_USER} may not create databases")
    try:
        stderr = assert_clean_failure(check_database(url_for(name)), PG_PASSWORD)
        assert "PostGIS" in stderr
        assert "CREATE EXTENSION postgis;" in stderr
        assert "superuser" in stderr
        assert f"{PG_HOST}:{PG_PORT}/{name}" in stderr
    finally:
        admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_configured_database_is_ok() -> None:
    result = check_database()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("database ok: PostgreSQL ")
    assert "PostGIS 3." in result.stdout
