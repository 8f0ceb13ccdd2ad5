"""The server as `make demo` runs it: gunicorn with the environment of
``scripts/local_env.sh demo`` and static files collected as `make migrate` collects them,
here on a free port against the test database. Debug is off (no URL list on a 404), static
files, the admin's styles and the Swagger UI load, and logging in works over plain HTTP."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from gis_app.models import Membership
from tests.conftest import REPO

pytestmark = pytest.mark.slow

PASSWORD = "plain-http-pass-2024"  # noqa: S105


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_environment(secrets_file: Path) -> dict[str, str]:
    """What `make demo` exports (its secrets kept in a file of this test's own)."""
    out = subprocess.run(
        [str(REPO / "scripts" / "local_env.sh"), "demo"],
        env={**os.environ, "LOCAL_SECRETS": str(secrets_file)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        words = shlex.split(line)
        assert words[0] == "export", line
        name, _, value = words[1].partition("=")
        found[name] = value
    return found


@pytest.fixture(scope="module")
def demo_server(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("demo-server")
    db = connection.settings_dict
    env = {
        **os.environ,
        **demo_environment(tmp / "secrets.env"),
        "DJANGO_SETTINGS_MODULE": "gis_app.settings",
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "DATABASE_URL": f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
        + db["NAME"],
    }
    assert env["DJANGO_DEBUG"] == "0"
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=300,
    )
    port = free_port()
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "gis_app.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1", "--access-logfile", "-"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert server.poll() is None, (tmp / "gunicorn.log").read_text()
            time.sleep(0.5)
        else:
            raise AssertionError("gunicorn did not answer: " + (tmp / "gunicorn.log").read_text())
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def get(url: str, **kwargs: Any) -> requests.Response:
    return requests.get(url, timeout=30, **kwargs)


def local_urls(html: str, prefix: str) -> list[str]:
    return sorted(set(re.findall(rf'(?:src|href)="({re.escape(prefix)}[^"]+)"', html)))


def test_a_404_lists_no_url_patterns(demo_server):
    page = get(f"{demo_server}/no-such-page/", headers={"Accept-Language": "zh-hans"})
    assert page.status_code == 404
    assert "页面不存在" in page.text
    for trace in ["Using the URLconf", "[name=", "healthz", "Django tried these URL patterns"]:
        assert trace not in page.text
    api = get(f"{demo_server}/api/v1/no-such-thing/")
    assert api.status_code == 404 and api.json()["error"] == "not_found"


def assert_pages_load(browser: Any, server: str, paths: list[str]) -> None:
    """Each page answers 200 and every static file it names loads."""
    for path in paths:
        page = browser.get(server + path, timeout=30)
        assert page.status_code == 200, path
        assets = local_urls(page.text, "/static/")
        assert assets, path
        for asset in assets:
            assert browser.get(server + asset, timeout=30).status_code == 200, asset


def test_pages_static_files_admin_styles_and_swagger_ui_load(demo_server):
    public = ["/", "/map/", "/parking/find/", "/accounts/login/", "/admin/login/", "/api/docs/"]
    assert_pages_load(requests.Session(), demo_server, public)
    admin = local_urls(get(f"{demo_server}/admin/login/").text, "/static/admin/")
    assert any(a.endswith(".css") for a in admin)
    assert get(f"{demo_server}/api/schema/").status_code == 200


@pytest.fixture
def plain_http_user(django_db_blocker: Any) -> Iterator[str]:
    """A committed user whose password hash the server's own hashers read (the test
    settings' fast hasher is not one of them)."""
    with django_db_blocker.unblock():
        hasher = PBKDF2PasswordHasher()
        user = get_user_model().objects.create(
            username="plain_http_visitor", password=hasher.encode(PASSWORD, hasher.salt())
        )
        admin = Membership.objects.filter(user__username="district_admin").first()
        assert admin is not None
        Membership.objects.create(
            user=user, organization=admin.organization, role=admin.role, area=admin.area
        )
        try:
            yield user.username
        finally:
            Membership.objects.filter(user=user).delete()
            user.delete()


def test_logging_in_works_over_plain_http(demo_server, plain_http_user):
    browser = requests.Session()
    form = browser.get(f"{demo_server}/accounts/login/", timeout=30)
    assert "Secure" not in form.headers["Set-Cookie"]
    token = browser.cookies["csrftoken"]
    response = browser.post(
        f"{demo_server}/accounts/login/",
        data={"username": plain_http_user, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{demo_server}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    assert "sessionid" in browser.cookies
    assert "Secure" not in response.headers["Set-Cookie"]
    assert plain_http_user in browser.get(f"{demo_server}/", timeout=30).text
    # the staff pages and their scripts, with debug off
    assert_pages_load(browser, demo_server, ["/survey/", "/reports/", "/imports/", "/map/"])


def test_a_secrets_file_of_an_earlier_version_keeps_its_keys_and_gains_the_new_ones(
    tmp_path: Path,
) -> None:
    """Sessions and plate hashes survive an upgrade: the generated keys are kept, a key the
    new version needs is appended, and the file stays readable by its owner only."""
    secrets_file = tmp_path / "secrets.env"
    old = {"DJANGO_SECRET_KEY": "a" * 50, "PARKING_CREDENTIAL_KEY": "b" * 48}
    secrets_file.write_text("".join(f"{k}={v}\n" for k, v in old.items()))
    found = demo_environment(secrets_file)
    assert {k: found[k] for k in old} == old
    assert len(found["NOTIFY_SECRET_KEY"]) >= 32
    assert demo_environment(secrets_file) == found  # generated once
    assert secrets_file.stat().st_mode & 0o077 == 0
