"""The fast path for anonymous vector tiles (tiles.fastpath, in front of Django in
gis_app.wsgi): it answers exactly as Django's full stack does (status, headers, bytes) for
hits, misses, empty tiles, 304, 404 and bad tiles, in either language and over HTTPS;
callers with a session cookie or a token go through Django; a restricted feature never
reaches an anonymous tile through it; requests start and finish as in Django (the
signals that manage database connections)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import OperationalError, ProgrammingError, connection
from django.test import Client, override_settings
from django.urls import resolve

from tests.components_helpers import Api, inside
from tests.conftest import in_test_transaction
from tests.ogc_data import gas_cover, toilet
from tests.test_tiles import decode, features, tile_of
from tiles import fastpath, sql, views
from tiles.fastpath import TileFastPath

pytestmark = pytest.mark.django_db

Answer = tuple[str, list[tuple[str, str]], bytes]


def environ(path: str, method: str = "GET", **extra: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        **extra,
    }


def call(app: Callable[..., Any], path: str, method: str = "GET", **extra: str) -> Answer:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=status, headers=headers)

    with in_test_transaction():
        result = app(environ(path, method, **extra), start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    return answer["status"], answer["headers"], body


def comparable(answer: Answer) -> Answer:
    """A new CSRF cookie is random and expires a year from now: compare the rest."""
    status, headers, body = answer
    fresh = re.compile(r"csrftoken=[A-Za-z0-9]+; expires=[^;]+;")
    return status, [(k, fresh.sub("csrftoken=*; expires=*;", v)) for k, v in headers], body


class Apps:
    """Django's full stack, and the fast path in front of it; ``passed`` counts the
    requests the fast path handed on to Django."""

    def __init__(self) -> None:
        self.django = WSGIHandler()
        self.passed = 0

        def django_app(environ: dict[str, Any], start_response: Any) -> Any:
            self.passed += 1
            return self.django(environ, start_response)

        self.fast = TileFastPath(django_app)
        assert self.fast.enabled

    def both(self, path: str, **extra: str) -> tuple[Answer, Answer]:
        """The same request through Django and through the fast path (which must answer
        it itself); the tile is cached first, so both are hits."""
        call(self.django, path, **extra)
        passed = self.passed
        by_django = call(self.django, path, **extra)
        by_fast = call(self.fast, path, **extra)
        assert self.passed == passed, "the fast path handed the request to Django"
        return by_django, by_fast

    def same(self, path: str, **extra: str) -> Answer:
        by_django, by_fast = self.both(path, **extra)
        assert comparable(by_fast) == comparable(by_django), (by_fast[:2], by_django[:2])
        return by_fast


@pytest.fixture
def apps() -> Apps:
    return Apps()


@pytest.fixture
def loo() -> dict[str, Any]:
    response = Api("district_admin").create(
        toilet("文一路公厕", inside("330106001001", 1)), comment="快速通道测试"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def url(made: dict[str, Any], z: int, layer: str = "component-0301") -> str:
    tx, ty = tile_of(*made["geometry"]["coordinates"], z)
    return f"/tiles/{layer}/{z}/{tx}/{ty}.mvt"


def header(answer: Answer, name: str) -> str:
    return dict(answer[1])[name]


def test_the_fast_path_answers_as_django_does(apps: Apps, loo: dict[str, Any]) -> None:
    for z in (16, 12):  # features, clusters
        for path in (url(loo, z), url(loo, z, "components")):
            for _round in ("miss", "hit"):
                if _round == "miss":  # each way renders it (a miss)
                    sql.clear()
                    by_django = call(apps.django, path)
                    sql.clear()
                    by_fast = call(apps.fast, path)
                else:
                    by_django, by_fast = apps.both(path)
                assert by_fast == by_django
                assert by_fast[0] == "200 OK" and header(by_fast, "X-Tile-Cache") == _round
                assert loo["id"] in features(by_fast[2], "component-0301") or z < 15
    tile = apps.same(url(loo, 16))
    headers = dict(tile[1])
    assert headers["Cache-Control"].startswith("public, max-age=")
    assert headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    # Django's middleware headers are there (security, language, length, framing)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Length"] == str(len(tile[2]))
    assert headers["Vary"] == "Authorization, Cookie, Accept-Language"
    # 304 for a known ETag, 200 for another
    not_modified = apps.same(url(loo, 16), HTTP_IF_NONE_MATCH=headers["ETag"])
    assert not_modified[0] == "304 Not Modified" and not_modified[2] == b""
    assert apps.same(url(loo, 16), HTTP_IF_NONE_MATCH='"other"')[0] == "200 OK"
    # an empty tile: 204
    assert apps.same("/tiles/component-0301/16/0/0.mvt")[0] == "204 No Content"


def test_errors_are_the_same_in_both_languages(apps: Apps, loo: dict[str, Any]) -> None:
    cases = [
        url(loo, 16, "component-0111"),  # restricted layer
        "/tiles/no-such-layer/16/1/1.mvt",
        url(loo, 23),  # above the layer's maximum zoom
        "/tiles/component-0301/16/70000/1.mvt",  # outside the grid
        "/tiles/components/25/1/1.mvt",
    ]
    for path in cases:
        chinese = apps.same(path)
        assert chinese[0] == "404 Not Found", path
        english = apps.same(path, HTTP_ACCEPT_LANGUAGE="en")
        assert header(english, "Content-Language") == "en"
        assert english[2] != chinese[2]  # the message is in the caller's language
    assert apps.same(url(loo, 16), HTTP_ACCEPT_LANGUAGE="en")[0] == "200 OK"
    # other cookies (language, CSRF) keep the fast path, with their effect: the
    # language, a new CSRF cookie for a malformed one
    answer = apps.same(url(loo, 16), HTTP_COOKIE="django_language=en; csrftoken=abc")
    assert header(answer, "Content-Language") == "en"
    assert header(answer, "Set-Cookie").startswith(" csrftoken=")
    answer = apps.same(url(loo, 16), HTTP_COOKIE="csrftoken=" + "a" * 32)
    assert "Set-Cookie" not in dict(answer[1])


def test_https_headers_are_the_same(loo: dict[str, Any]) -> None:
    with override_settings(SECURE_HSTS_SECONDS=3600, SECURE_HSTS_INCLUDE_SUBDOMAINS=True):
        apps = Apps()  # middleware read their settings when made
        answer = apps.same(url(loo, 16), HTTP_X_FORWARDED_PROTO="https")
    assert header(answer, "Strict-Transport-Security") == "max-age=3600; includeSubDomains"


def test_redirects_and_bad_hosts_go_to_django(loo: dict[str, Any]) -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        apps = Apps()
        passed = apps.passed
        status, headers, _body = call(apps.fast, url(loo, 16))
        assert status.startswith("301") and apps.passed == passed + 1
    apps = Apps()
    status, _headers, _body = call(apps.fast, url(loo, 16), HTTP_HOST="evil.example")
    assert status.startswith("400") and apps.passed == 1


def session_cookie(username: str) -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return f"sessionid={client.cookies['sessionid'].value}"


def test_signed_in_callers_go_through_django_and_keep_their_private_tiles(apps: Apps) -> None:
    made = Api("district_admin").create(gas_cover(inside("330106002001", 2)), comment="快速通道")
    assert made.status_code == 201, made.content
    gas = made.json()
    token = Api("district_admin").client.defaults["HTTP_AUTHORIZATION"]
    for credentials in (
        {"HTTP_COOKIE": session_cookie("district_admin")},
        {"HTTP_AUTHORIZATION": token},
    ):
        for path in (url(gas, 16, "component-0111"), url(gas, 16, "components")):
            passed = apps.passed
            status, headers, body = call(apps.fast, path, **credentials)
            assert apps.passed == passed + 1, "a signed-in caller must go through Django"
            assert status == "200 OK" and dict(headers)["Cache-Control"] == "private, no-cache"
            assert gas["id"] in features(body, "component-0111")
    # the same tiles, anonymous, through the fast path: nothing restricted
    assert apps.same(url(gas, 16, "component-0111"))[0] == "404 Not Found"
    assert "component-0111" not in decode(apps.same(url(gas, 16, "components"))[2])


def test_a_restricted_feature_never_reaches_an_anonymous_tile(apps: Apps) -> None:
    at = inside("330106001001", 3)
    gas = Api("district_admin").create(gas_cover(at), comment="快速通道")
    assert gas.status_code == 201, gas.content
    identifier = gas.json()["id"]
    for z in (8, 10, 12, 14, 15, 16, 18):
        tx, ty = tile_of(*at, z)
        for _round in ("miss", "hit"):
            combined = apps.same(f"/tiles/components/{z}/{tx}/{ty}.mvt")
            assert "component-0111" not in decode(combined[2])
            assert identifier.encode() not in combined[2]
            restricted = apps.same(f"/tiles/component-0111/{z}/{tx}/{ty}.mvt")
            assert restricted[0] == "404 Not Found"
        # a session cookie Django does not know: Django answers, as anonymous
        status, _headers, body = call(
            apps.fast, f"/tiles/components/{z}/{tx}/{ty}.mvt", HTTP_COOKIE="sessionid=forged"
        )
        assert identifier.encode() not in body and "component-0111" not in decode(body)


def test_everything_else_goes_to_django(apps: Apps, loo: dict[str, Any]) -> None:
    others = [
        ("HEAD", url(loo, 16)),
        ("POST", url(loo, 16)),
        ("GET", "/tiles/component-0301.json"),
        ("GET", "/tiles/components.json"),
        ("GET", "/tiles/raster/shade/1/0/0.png"),
        ("GET", url(loo, 16).removesuffix(".mvt") + ".pbf"),
        ("GET", "/healthz"),
    ]
    for method, path in others:
        passed = apps.passed
        call(apps.fast, path, method=method)
        assert apps.passed == passed + 1, (method, path)


def test_the_routes_agree_with_django() -> None:
    fast = TileFastPath(lambda environ, start_response: [])
    for path in (
        "/tiles/component-0301/16/54640/26985.mvt",
        "/tiles/components/12/3415/1687.mvt",
        "/tiles/admin_area-district/007/0/0.mvt",
        "/tiles/raster/1/2/3.mvt",
    ):
        found = fast.route(environ(path))
        assert found is not None, path
        match = resolve(path)
        assert (found[0], found[1]) == (match.func, match.kwargs), path
    assert fast.route(environ("/tiles/component-0301/16/1/1.mvt/")) is None
    assert fast.route(environ("/tiles/raster/shade/1/0/0.png")) is None
    assert views.components_tile is resolve("/tiles/components/1/0/0.mvt").func


def test_a_changed_middleware_stack_turns_the_fast_path_off() -> None:
    assert fastpath.enabled()
    with override_settings(MIDDLEWARE=list(fastpath.EXPECTED_MIDDLEWARE)[:-1]):
        assert not fastpath.enabled()
    with override_settings(TILES_FAST_PATH=False):
        assert not fastpath.enabled()


def test_requests_start_and_finish_as_in_django(apps: Apps, loo: dict[str, Any]) -> None:
    """request_started and request_finished (which run close_old_connections: a
    connection lives CONN_MAX_AGE seconds and is dropped after errors) once per request,
    the second when the server closes the response."""
    seen: list[str] = []

    def started(**kwargs: Any) -> None:
        seen.append("started")

    def finished(**kwargs: Any) -> None:
        seen.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        for path in (url(loo, 16), "/tiles/no-such-layer/16/1/1.mvt"):
            seen.clear()
            with in_test_transaction():
                result = apps.fast(environ(path), lambda status, headers, exc_info=None: None)
                assert seen == ["started"]
                b"".join(result)
                result.close()
            assert seen == ["started", "finished"] and apps.passed == 0
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)


def test_a_dead_connection_is_replaced_and_the_tile_still_served(
    apps: Apps, loo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No health-check query before every request: a reused connection is checked when a
    statement failed on it, and a dead one is closed and the view run once more."""
    real = views.layer_tile
    calls: list[str] = []
    closed: list[bool] = []

    def dead_then_fine(request: Any, **kwargs: Any) -> Any:
        calls.append("view")
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(request, **kwargs)

    monkeypatch.setattr(views, "layer_tile", dead_then_fine)
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    monkeypatch.setattr(connection, "close", lambda: closed.append(True))
    status, _headers, body = call(apps.fast, url(loo, 16))
    assert status == "200 OK" and loo["id"] in features(body, "component-0301")
    assert calls == ["view", "view"] and closed == [True]

    def bad_statement(request: Any, **kwargs: Any) -> Any:
        calls.append("view")
        raise ProgrammingError("syntax error")

    calls.clear()
    closed.clear()
    monkeypatch.setattr(views, "layer_tile", bad_statement)
    monkeypatch.setattr(connection, "is_usable", lambda: True)
    status, _headers, _body = call(apps.fast, url(loo, 16))
    assert status == "500 Internal Server Error"  # as Django answers it, not retried
    assert calls == ["view"] and closed == [] and apps.passed == 0
