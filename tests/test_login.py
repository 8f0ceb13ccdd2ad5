"""Token and session login: success, failure, throttling, audit."""

import pytest
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


def test_wrong_password_is_a_clear_error_and_audited():
    response = post_token(Client(), "district_admin", "wrong")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_credentials"
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
        assert post_token(client, "planner", "nope").status_code == 400
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
    assert statuses[:8] == [400] * 8
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
