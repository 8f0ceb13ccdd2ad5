"""Shared fixtures: the demo data set is loaded once into the test database."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

REPO = Path(__file__).resolve().parent.parent
# The demo loader's accounts (README: Demo accounts); anonymous callers are None.
DEMO_ACCOUNTS = [
    "city_admin",
    "district_admin",
    "street_admin",
    "community_worker",
    "grid_worker",
    "surveyor_water",
    "surveyor_green",
    "planner",
    "auditor",
]
SHARED_DATA = REPO.parent / "shared" / "data"
# Files whose tests are each long and independent: pytest-xdist spreads their tests over
# the workers one by one instead of keeping the file on one worker (make test runs them).
SPREAD_FILES = ("tests/test_api_fuzz.py",)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Browser tests are slow by nature and carry the ``slow`` mark (``-m "not slow"`` runs
    the quick ones). Slow tests come first in the collection; under pytest-xdist the files
    are then handed out largest first (its default), which make test keeps: with slow files
    first, three tests that read the audit log or the layer registry without bounding
    them to their own rows met state committed by earlier browser tests (to fix)."""
    for item in items:
        if "/browser/" in str(item.path):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
    """Whole files per worker (their module fixtures load data once), except SPREAD_FILES."""
    from xdist.scheduler import LoadFileScheduling

    class FileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(SPREAD_FILES):
                return nodeid
            return super()._split_scope(nodeid)

    return FileScheduling(config, log)


@pytest.fixture(scope="session")
def django_db_setup(
    request: Any,
    django_test_environment: Any,
    django_db_blocker: Any,
    django_db_modify_db_settings: Any,
) -> Any:
    """The test database, always created (pytest-django creates it only when some
    collected test is marked ``django_db``; fixtures that commit for real or serve HTTP
    depend on this one and must never reach the development database), with the demo
    areas, organizations and accounts loaded once. Under pytest-xdist each worker has a
    database of its own (``TEST_DB_NAME`` + ``_gw0``, ``_gw1`` ...)."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from gis_app import db_roles
    from layers import demo

    with django_db_blocker.unblock():
        # Created and migrated by the owner; every test then connects as the application's
        # role (which owns nothing), so the whole suite shows that role suffices.
        with db_roles.as_owner():
            config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
        demo.load()
    yield
    with django_db_blocker.unblock(), db_roles.as_owner():
        teardown_databases(config, verbosity=0)


@contextmanager
def in_test_transaction() -> Iterator[None]:
    """As Django's test client: requests sent straight to a WSGI handler must not close the
    test's connection (the test runs inside a transaction), so close_old_connections is off
    while they run."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def stop_process(process: Any, timeout: float = 15) -> None:
    """Terminate a worker subprocess a test started, killing it if it does not stop."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
        process.kill()
        process.wait()


def analyze_all() -> None:
    """Fresh planner statistics on every table of the platform, seeing the current
    transaction's rows (as autovacuum gives them in production). The tests connect as the
    application's role, which owns nothing and so may not ANALYZE: the owner's
    ``analyze_table`` does it (migration core.0004)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT analyze_table(c.oid) FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
              AND NOT c.relispartition
              AND c.relowner = (SELECT proowner FROM pg_proc WHERE proname = 'analyze_table')
            """
        )


def token_for(client: Client, username: str, password: str = "demo-pass-2019") -> str:
    response = client.post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def api_as(db: Any) -> Any:
    """``api_as("street_admin")`` -> a Client that sends that demo user's token."""

    def make(username: str | None) -> Client:
        if username is None:
            return Client()
        key = token_for(Client(), username)
        return Client(HTTP_AUTHORIZATION=f"Token {key}")

    return make


@pytest.fixture(scope="session")
def live_url(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """A real HTTP server on the test database, for clients that speak HTTP themselves
    (GDAL, OWSLib, a browser). Session-wide; tests using it only read, or clean up what
    they commit, because the test database is never flushed (the audit log refuses
    TRUNCATE)."""
    import threading

    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    with django_db_blocker.unblock():
        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.set_app(WSGIHandler())
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
