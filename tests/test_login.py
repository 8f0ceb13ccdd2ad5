"""Token and session login: success, failure, throttling, audit."""

import random
import threading
from typing import Any

import pytest
from django.db import connections
from django.test import Client, override_settings

from gis_app.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2019"


def post_token(client, username, password, address="192.0.2.10"):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_token_login_and_use():
    client = Client()
    response = post_token(client, "district_admin", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40
    # the token authenticates API calls
    scoped = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert scoped.get("/api/v1/areas/330106001001/").status_code == 200
    assert client.get("/api/v1/areas/330106001001/").status_code == 404
    assert AuditEvent.objects.filter(
        action="auth.login", actor_username="district_admin", result="success"
    ).exists()


def test_wrong_password_is_a_401_with_the_json_error_shape_and_audited():
    response = post_token(Client(), "district_admin", "wrong")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    body = response.json()
    assert body["error"] == "invalid_credentials" and body["detail"]
    event = AuditEvent.objects.filter(action="auth.login", result="denied").first()
    assert event.detail["username"] == "district_admin"
    assert event.source_address == "192.0.2.10"
    assert "wrong" not in str(event.detail)


def test_missing_field_names_the_field():
    response = Client().post("/api/v1/auth/token/", {"username": "x"})
    assert response.status_code == 400
    assert response.json()["field"] == "password"  # the API's one error shape


@override_settings(LOGIN_MAX_FAILURES=3)
def test_failed_logins_are_throttled_even_with_the_right_password():
    client = Client()
    for _ in range(3):
        assert post_token(client, "planner", "nope").status_code == 401
    response = post_token(client, "planner", PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    # other accounts from another address are not affected
    assert post_token(client, "auditor", PASSWORD, address="192.0.2.99").status_code == 200


@override_settings(LOGIN_MAX_FAILURES=2)
def test_one_address_guessing_many_accounts_is_throttled():
    client = Client()
    names = [f"nobody{i}" for i in range(8)]
    statuses = [
        post_token(client, name, "guess", address="198.51.100.5").status_code for name in names
    ]
    assert statuses[:8] == [401] * 8
    assert post_token(client, "planner", PASSWORD, address="198.51.100.5").status_code == 429
    assert post_token(client, "planner", PASSWORD, address="198.51.100.6").status_code == 200


@override_settings(LOGIN_MAX_FAILURES=2)
def test_session_login_page_uses_the_same_throttle():
    client = Client()
    for _ in range(2):
        response = client.post("/accounts/login/", {"username": "auditor", "password": "bad"})
        assert response.status_code == 200  # form shown again with an error
    response = client.post("/accounts/login/", {"username": "auditor", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors["__all__"][0]


def test_session_login_works_and_expires_at_browser_close():
    client = Client()
    response = client.post("/accounts/login/", {"username": "auditor", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get_expire_at_browser_close()
    page = client.get("/")
    assert b"auditor" in page.content or "审计员".encode() in page.content


def test_admin_login_is_throttled_and_staff_only():
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "planner", "password": PASSWORD}
    )
    assert response.status_code == 200  # planner is not staff
    assert "_auth_user_id" not in client.session
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "district_admin", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@override_settings(LOGIN_MAX_FAILURES=3)
def test_a_stranger_cannot_lock_staff_out():
    """Guessing a staff member's password from elsewhere throttles the guesser only."""
    stranger = Client()
    statuses = [
        post_token(stranger, "district_admin", f"guess{i}", address="203.0.113.7").status_code
        for i in range(6)
    ]
    assert statuses == [401, 401, 401, 429, 429, 429]
    at_desk = post_token(Client(), "district_admin", PASSWORD, address="192.0.2.44")
    assert at_desk.status_code == 200
    # the same account from the guesser's address stays throttled
    assert (
        post_token(stranger, "district_admin", PASSWORD, address="203.0.113.7").status_code == 429
    )


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Real commits, seen by every thread's own connection. The audit rows stay (the log is
    append-only); each run uses an address of its own."""
    with django_db_blocker.unblock():
        yield f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"  # noqa: S311


@override_settings(LOGIN_MAX_FAILURES=5)
def test_parallel_guesses_cannot_exceed_the_limit(committed):
    address = committed
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def guess(i: int) -> None:
        try:
            barrier.wait()
            statuses.append(post_token(Client(), "planner", f"guess-{i}", address).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    evaluated = AuditEvent.objects.filter(
        action="auth.login", source_address=address, detail__reason="bad_credentials"
    ).count()
    assert evaluated == 5
    assert sorted(statuses) == [401] * 5 + [429] * 15


def test_healthz_tells_strangers_ok_without_versions(client):
    anonymous = client.get("/healthz").json()
    assert anonymous == {"status": "ok", "database": "ok"}
    resident = Client()
    resident.post("/accounts/login/", {"username": "planner", "password": PASSWORD})
    assert "postgis" not in resident.get("/healthz").json()
    admin = Client()
    admin.post("/accounts/login/", {"username": "district_admin", "password": PASSWORD})
    assert admin.get("/healthz").json()["postgis"].startswith("3.")
