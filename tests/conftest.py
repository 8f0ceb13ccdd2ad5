"""Shared fixtures: the demo data set is loaded once into the test database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from layers import demo

    with django_db_blocker.unblock():
        demo.load()


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
