"""Creations with an Idempotency-Key (a phone that lost the server's answer retries): the
retry gets the component the first request made, never a second one; the same key with a
different request is refused with the component it made, and a bad key names the header."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from component_catalog.models import Component, ComponentHistory, IdempotencyKey
from tests.components_helpers import (
    Api,
    inside,
    last_component_id,
    manhole,
    remove_components_after,
)

URL = "/api/v1/components/"


def post(api: Api, feature: dict[str, Any], key: str | None, **headers: Any) -> Any:
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.post(URL, {**feature, "comment": "弱网重试"}, **headers)


@pytest.mark.django_db
def test_a_retry_returns_the_first_creation() -> None:
    api = Api("surveyor_water")
    feature = manhole(at=inside(shift=0.00011))
    first = post(api, feature, "new-lq0x3k9f2a")
    assert first.status_code == 201, first.content
    again = post(api, feature, "new-lq0x3k9f2a")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    made = Component.objects.filter(identifier=first.json()["id"])
    assert made.count() == 1
    assert Component.objects.filter(name="上水井盖", geometry__equals=made[0].geometry).count() == 1
    assert ComponentHistory.objects.filter(identifier=first.json()["id"]).count() == 1
    # another key, or no key: a new component, as asked
    other = post(api, feature, "new-lq0x3k9f2b")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_keys_belong_to_their_user() -> None:
    feature = manhole(at=inside(shift=0.00013))
    mine = post(Api("surveyor_water"), feature, "shared-key-123")
    theirs = post(Api("district_admin"), feature, "shared-key-123")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.django_db
def test_the_same_key_for_a_different_request_is_a_conflict() -> None:
    api = Api("surveyor_water")
    first = post(api, manhole(at=inside(shift=0.00017)), "edited-after-1")
    changed = manhole(at=inside(shift=0.00017))
    changed["properties"]["name"] = "上水井盖（改）"
    response = post(api, changed, "edited-after-1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "Idempotency-Key" and first.json()["id"] in body["detail"]
    assert body["current"]["id"] == first.json()["id"]
    assert body["current"]["properties"]["name"] == "上水井盖"
    assert not Component.objects.filter(name="上水井盖（改）").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["short", "x" * 65, "has space 123", "中文中文中文中文"])
def test_a_malformed_key_names_the_header(key: str) -> None:
    before = Component.objects.count()
    response = post(Api("surveyor_water"), manhole(at=inside(shift=0.00019)), key)
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert Component.objects.count() == before


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        start = last_component_id()
        yield
        IdempotencyKey.objects.filter(key__startswith="race-").delete()
        remove_components_after(start)


def test_concurrent_retries_create_one_component(committed: None) -> None:
    """Two requests with the same key at the same moment (a retry racing the original):
    one component, and both answers name it."""
    feature = manhole(at=inside(shift=0.00023))
    answers: list[Any] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        try:
            api = Api("surveyor_water")
            barrier.wait()
            answers.append(post(api, feature, "race-key-0001"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 201], [a.content for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert IdempotencyKey.objects.filter(key="race-key-0001").count() == 1
