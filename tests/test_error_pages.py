"""Errors with debug off, as a visitor or a program meets them: a plain page in the visitor's
language (Chinese first) or JSON in the API's ``{"error", "detail"}`` shape; never a
traceback, the settings or the list of URL patterns.

The URL configuration here is the project's own, handlers included, plus one view that
fails, as any view might."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path

from gis_app.urls import handler400, handler403, handler404, handler500  # noqa: F401
from gis_app.urls import urlpatterns as project_urlpatterns
from tests.conftest import REPO

MARKER = "internal-state-7f3a"


def failing_view(request):
    raise RuntimeError(f"database password is {MARKER}")


urlpatterns = [
    path("broken/", failing_view),
    path("api/v1/broken/", failing_view),
    *project_urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

DEBUG_TRACES = ["Traceback", "Using the URLconf", "urlpatterns", "[name=", "SECRET_KEY"]


def visitor(language: str = "zh-hans", **extra) -> Client:
    return Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language, **extra)


def assert_plain(response, status: int, words: str) -> None:
    text = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert words in text, text[:500]
    for trace in [*DEBUG_TRACES, MARKER, settings.SECRET_KEY]:
        assert trace not in text


def assert_json(response, status: int, error: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == error and body["detail"], body
    assert MARKER not in response.content.decode()


def test_unknown_page_is_a_plain_page_in_chinese_first():
    assert_plain(visitor().get("/no-such-page/"), 404, "页面不存在")
    assert_plain(visitor("en").get("/no-such-page/"), 404, "Page not found")


def test_unknown_api_url_answers_json():
    assert_json(visitor().get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_json(visitor().get("/ogc/no/such/path"), 404, "not_found")


def test_a_failing_view_gives_a_plain_500_page_or_json():
    assert_plain(visitor().get("/broken/"), 500, "服务器出错")
    assert_json(visitor().get("/api/v1/broken/"), 500, "server_error")


def test_a_refused_page_is_a_plain_403(client):
    client.post("/accounts/login/", {"username": "planner", "password": "demo-pass-2019"})
    client.defaults.update(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert_plain(client.get("/survey/"), 403, "没有权限")


def test_a_malformed_request_is_a_plain_400_or_json():
    stranger = visitor(HTTP_HOST="evil.example.com")
    assert_plain(stranger.get("/"), 400, "请求有误")
    assert_json(stranger.get("/api/v1/areas/"), 400, "bad_request")


def test_a_failed_csrf_check_is_the_platforms_page_not_djangos_explanation():
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = browser.post("/accounts/login/", {"username": "planner", "password": "x"})
    assert_plain(response, 403, "安全校验")
    assert "CSRF" not in response.content.decode()


def settings_in_subprocess(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS)"
    )
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "gis_app.settings"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_plain_http_is_for_this_machine_only_and_production_stays_strict():
    secret = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "s" * 50}
    local = settings_in_subprocess(
        {**secret, "DJANGO_LOCAL_HTTP": "1", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    )
    assert local.stdout.split() == ["False", "False", "False", "False", "0"], local.stderr
    public = settings_in_subprocess(
        {**secret, "DJANGO_LOCAL_HTTP": "1", "DJANGO_ALLOWED_HOSTS": "gis.example.org"}
    )
    assert public.returncode != 0
    assert "DJANGO_LOCAL_HTTP=1" in public.stderr and "DJANGO_ALLOWED_HOSTS" in public.stderr
    production = settings_in_subprocess({**secret, "DJANGO_ALLOWED_HOSTS": "gis.example.org"})
    assert production.stdout.split() == ["False", "True", "True", "True", "31536000"]
