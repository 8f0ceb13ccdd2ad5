"""A report request cannot hold the server (issue 15, finding 7).

Every statement of a request runs under a time limit (``gis_app.timeouts``): a statement
past it answers a clear JSON error (503 ``statement_timeout``, pointing at the background
export), never a hung worker or a 500, and the connection serves the next request. The
tile fast path, which bypasses the middleware, applies the same limit. Synchronous PDF
exports share a few rendering slots (``reports.gate``): when they are taken, more PDF
requests are refused at once, and /healthz answers meanwhile.

A slow statement is made for real: another session holds an ACCESS EXCLUSIVE lock on the
tables the request reads, so its statement waits (a lock wait counts towards
``statement_timeout``). Without a limit the request would wait for the lock, which a timer
releases after half a minute: the request then succeeds and the test fails.
"""

from __future__ import annotations

import io
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, override_settings
from pypdf import PdfReader

from reports import gate
from tests.conftest import token_for
from tiles.fastpath import TileFastPath

COMPONENTS = "component_catalog_component"
RELEASE_AFTER_S = 30.0  # the lock's end when nothing stops the waiting request earlier


@pytest.fixture
def real_db(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """No test transaction: requests run in autocommit as in production."""
    with django_db_blocker.unblock():
        yield


def other_session() -> psycopg.Connection[Any]:
    """A second database session (as another client of the server would be)."""
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"], port=s["PORT"], user=s["USER"], password=s["PASSWORD"], dbname=s["NAME"]
    )


@contextmanager
def tables_locked(*tables: str) -> Iterator[None]:
    """Another session holds ACCESS EXCLUSIVE locks on ``tables`` until the block ends
    (or, at the latest, ``RELEASE_AFTER_S`` seconds)."""
    holder = other_session()
    guard = threading.Lock()
    for table in tables:
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # type: ignore[arg-type]

    def release() -> None:
        with guard:
            if not holder.closed:
                holder.rollback()
                holder.close()

    timer = threading.Timer(RELEASE_AFTER_S, release)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        release()


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def planner() -> Client:
    return Client(
        HTTP_AUTHORIZATION=f"Token {token_for(Client(), 'planner')}", HTTP_ACCEPT_LANGUAGE="en"
    )


@override_settings(STATEMENT_TIMEOUT_READ_MS=400)
def test_a_statement_past_the_limit_answers_json_and_the_connection_serves_on(
    real_db: None,
) -> None:
    client = planner()
    assert client.get("/api/v1/reports/counts/").status_code == 200
    pid = backend_pid()
    with tables_locked(COMPONENTS):
        response = client.get("/api/v1/reports/counts/")
        chinese = client.get("/api/v1/reports/counts/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 503 and "后台导出" in chinese.json()["detail"]
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "statement_timeout"
    assert "0.4 s" in body["detail"] and "background export" in body["detail"]
    assert response["Retry-After"]
    # The same connection, usable: the next request answers from it.
    assert backend_pid() == pid
    again = client.get("/api/v1/reports/counts/")
    assert again.status_code == 200 and again.json()["kind"] == "counts"
    assert backend_pid() == pid


@override_settings(STATEMENT_TIMEOUT_READ_MS=400)
def test_the_tile_fast_path_applies_the_same_limit(real_db: None) -> None:
    app = TileFastPath(WSGIHandler())
    assert app.enabled
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=status, headers=dict(headers))

    environ = Client().get("/").wsgi_request.environ
    environ.update(PATH_INFO="/tiles/components/14/13660/6745.mvt", QUERY_STRING="")
    assert app.route(environ) is not None  # the fast path answers it, not Django
    with tables_locked("tiles_registrystate", "tiles_tilegeneration", COMPONENTS):
        result = app(environ, start_response)
        body = b"".join(result)
        result.close()  # type: ignore[attr-defined]
    assert answer["status"].startswith("503"), body[:300]
    assert json.loads(body)["error"] == "statement_timeout"


def get(url: str, token: str | None = None) -> tuple[int, dict[str, Any] | bytes]:
    request = urllib.request.Request(url, headers={"Accept-Language": "en"})  # noqa: S310
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            raw = response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, json.loads(raw) if "json" in kind else raw
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@override_settings(STATEMENT_TIMEOUT_READ_MS=1500)
def test_slow_reports_in_parallel_end_at_the_limit_while_healthz_answers(
    real_db: None, live_url: str
) -> None:
    token = token_for(Client(), "planner")
    url = f"{live_url}/api/v1/reports/quality/?level=community"
    with ThreadPoolExecutor(max_workers=6) as pool, tables_locked(COMPONENTS):
        slow: list[Future[Any]] = [pool.submit(get, url, token) for _ in range(6)]
        status, health = get(f"{live_url}/healthz")
        in_flight = sum(not f.done() for f in slow)
        answers = [f.result() for f in slow]
    assert status == 200 and isinstance(health, dict) and health["status"] == "ok"
    assert in_flight > 0  # healthz answered while slow reports were being computed
    for code, body in answers:
        assert code == 503 and isinstance(body, dict), body
        assert body["error"] == "statement_timeout"


def test_pdf_requests_beyond_the_rendering_slots_are_refused_at_once(
    real_db: None, live_url: str
) -> None:
    token = token_for(Client(), "street_admin")
    url = f"{live_url}/api/v1/reports/counts.pdf"
    holder = other_session()
    holder.autocommit = True
    try:
        for slot in range(gate.slots()):  # other requests are rendering PDFs
            holder.execute("SELECT pg_advisory_lock(%s, %s)", [0x52505254, slot])
        with ThreadPoolExecutor(max_workers=4) as pool:
            refused = list(pool.map(lambda _i: get(url, token), range(4)))
            assert get(f"{live_url}/healthz")[0] == 200
        for code, body in refused:
            assert code == 503 and isinstance(body, dict), body
            assert body["error"] == "busy" and "background export" in body["detail"]
    finally:
        holder.close()
    code, pdf = get(url, token)  # a slot is free again
    assert code == 200 and isinstance(pdf, bytes)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Beishan Subdistrict (330106001)" in text
