"""After login each role lands on its own page: surveyors in the editor, planners in the
reports, everyone else on the map as before. An explicit ``next`` still wins when it is a
path on this site; anything else (another host, even this host spelled as a URL) is
ignored in favour of the role's page."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2019"


def log_in(username: str, next_url: str | None = None) -> str:
    url = "/accounts/login/"
    data = {"username": username, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    response = Client().post(url, data)
    assert response.status_code == 302, response.content
    return str(response["Location"])


@pytest.mark.parametrize(
    ("username", "page"),
    [
        ("surveyor_water", "/survey/"),
        ("surveyor_green", "/survey/"),
        ("planner", "/reports/"),
        ("district_admin", "/"),
        ("community_worker", "/"),
        ("auditor", "/"),
    ],
)
def test_each_role_lands_on_its_page(username: str, page: str) -> None:
    assert log_in(username) == page


def test_an_explicit_local_next_wins() -> None:
    assert log_in("surveyor_water", "/map/?layer=0101") == "/map/?layer=0101"
    assert log_in("planner", "/survey/") == "/survey/"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/survey/",
        "/\\evil.example/",
        "http://testserver/admin/",
        "javascript:alert(1)",
    ],
)
def test_a_next_that_is_not_a_local_path_is_ignored(next_url: str) -> None:
    assert log_in("surveyor_water", next_url) == "/survey/"


def test_a_logged_in_surveyor_opening_the_login_page_goes_to_the_editor() -> None:
    client = Client()
    assert client.login(username="surveyor_water", password=PASSWORD)
    response = client.get("/accounts/login/")
    assert response.status_code == 302 and response["Location"] == "/survey/"
