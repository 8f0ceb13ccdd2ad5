"""The demo loader and the health endpoint, as a new user meets them."""

import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gis_app.models import Membership, Organization
from layers import demo
from layers.models import AdminArea, GridCell
from tests.conftest import DEMO_ACCOUNTS, REPO

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        AdminArea.objects.count(),
        GridCell.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
        sorted(AdminArea.objects.values_list("code", "name")),
    )


def test_loading_the_demo_twice_changes_nothing():
    before = snapshot()
    demo.load()
    assert snapshot() == before


def test_every_demo_account_logs_in_with_the_demo_password():
    client = Client()
    for username in DEMO_ACCOUNTS:
        response = client.post(
            "/api/v1/auth/token/", {"username": username, "password": "demo-pass-2019"}
        )
        assert response.status_code == 200, username


def test_demo_password_comes_from_the_environment(settings):
    demo.load(password="another-pass-2024")
    client = Client()
    ok = client.post(
        "/api/v1/auth/token/", {"username": "planner", "password": "another-pass-2024"}
    )
    assert ok.status_code == 200


def test_demo_has_the_organizations_the_platform_needs():
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert kinds == {"government", "utility", "property_management", "social", "service_provider"}
    names = set(Organization.objects.values_list("name", flat=True))
    for expected in [
        "杭州水务集团有限公司",
        "杭州市燃气集团有限公司",
        "国网杭州供电公司",
        "西湖区园林绿化局",
        "西湖区人民防空办公室",
        "北山街道办事处",
    ]:
        assert expected in names
    water = Membership.objects.get(user__username="surveyor_water")
    assert water.organization.code == "HZ-SW" and "0101" in water.class_codes


def test_healthz_reports_database_and_postgis_3():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")
    admin = Client()
    admin.post("/accounts/login/", {"username": "city_admin", "password": "demo-pass-2019"})
    assert admin.get("/healthz").json()["postgis"].startswith("3.")


def test_healthz_says_503_when_the_database_is_unreachable():
    """Run a fresh process pointed at a closed port: a JSON 503, not a traceback."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code, r.json())"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "gis_app.settings.test",
        "DATABASE_URL": "postgis://gis:x@127.0.0.1:9/gis",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    # no host, port or driver message for whoever asks
    assert out.stdout.strip() == "503 {'status': 'error', 'database': 'unreachable'}", out.stderr[
        -2000:
    ]


def test_admin_pages_are_scoped(client):
    client.post("/admin/login/", {"username": "street_admin", "password": "demo-pass-2019"})
    page = client.get("/admin/layers/adminarea/?level__exact=community")
    assert page.status_code == 200
    text = page.content.decode()
    assert "330106001001" in text
    assert "330106002001" not in text
    assert client.get("/admin/layers/adminarea/330106002001/change/").status_code in (302, 404)
    # the audit log is not theirs to read; the auditor's
    assert client.get("/admin/core/auditevent/").status_code == 403
    auditor = Client()
    auditor.post("/admin/login/", {"username": "auditor", "password": "demo-pass-2019"})
    assert auditor.get("/admin/core/auditevent/").status_code == 200


@pytest.mark.django_db
def test_the_database_driver_is_psycopg_3_with_its_c_implementation() -> None:
    """Django prefers psycopg 3 once installed (procrastinate brings it); its pure-Python
    implementation parses every fetched value through ctypes, ~10x slower on big results."""
    import psycopg
    from django.db import connection

    connection.ensure_connection()
    assert isinstance(connection.connection, psycopg.Connection)
    assert psycopg.pq.__impl__ in {"c", "binary"}
