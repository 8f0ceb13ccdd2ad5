"""Edits with an Idempotency-Key (updates, moves, retirements, deletes): a phone whose
answer was lost sends the same edit again from the same old version. The retry gets the
answer the server gave the first time (200, the component as it was answered), never a
409 against the surveyor's own edit, and the edit is applied once. The same key with a
different request is refused with 422 naming the header, and changes nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from component_catalog.models import Component, ComponentHistory, IdempotencyKey
from gis_app.models import AuditEvent
from tests.components_helpers import (
    Api,
    inside,
    last_component_id,
    manhole,
    remove_components_after,
)

URL = "/api/v1/components/"


def created(api: Api, shift: float) -> str:
    response = api.create(manhole(at=inside(shift=shift)))
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def patch(api: Api, ident: str, body: dict[str, Any], version: int, key: str | None) -> Any:
    headers: dict[str, Any] = {"HTTP_IF_MATCH": f'"{version}"'}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.patch(f"{URL}{ident}/", {**body, "comment": "井盖破损"}, **headers)


DAMAGED = {"properties": {"status": "damaged", "attributes": {"depth_m": 2.2}}}


@pytest.mark.django_db
def test_a_replayed_update_returns_the_first_answer_not_a_conflict() -> None:
    water = Api("surveyor_water")
    ident = created(water, 0.00031)
    first = patch(water, ident, DAMAGED, 1, "edit-lq0x3k9f2a")
    assert first.status_code == 200, first.content
    assert first.json()["properties"]["version"] == 2

    again = patch(water, ident, DAMAGED, 1, "edit-lq0x3k9f2a")
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["ETag"] == '"2"'
    assert Component.objects.get(identifier=ident).version == 2
    actions = ComponentHistory.objects.filter(identifier=ident).values_list("action", flat=True)
    assert sorted(actions) == ["create", "update"]

    # the same stale resend without a key is still the ordinary 409
    bare = patch(water, ident, DAMAGED, 1, None)
    assert bare.status_code == 409 and bare.json()["field"] == "version"


@pytest.mark.django_db
def test_a_replay_after_someone_else_edited_still_gets_its_own_answer() -> None:
    water = Api("surveyor_water")
    ident = created(water, 0.00033)
    first = patch(water, ident, DAMAGED, 1, "edit-before-other")
    assert first.status_code == 200
    other = patch(Api("district_admin"), ident, {"properties": {"name": "改名"}}, 2, None)
    assert other.status_code == 200, other.content

    again = patch(water, ident, DAMAGED, 1, "edit-before-other")
    assert again.status_code == 200 and again.json()["properties"]["version"] == 2
    assert again.json()["properties"]["name"] == "上水井盖"  # as answered then
    now = Component.objects.get(identifier=ident)
    assert now.version == 3 and now.name == "改名"  # the other edit is untouched


@pytest.mark.django_db
def test_a_replayed_move_is_applied_once() -> None:
    water = Api("surveyor_water")
    ident = created(water, 0.00035)
    moved = {"geometry": {"type": "Point", "coordinates": inside(shift=0.00036)}}
    first = patch(water, ident, moved, 1, "move-0000001")
    again = patch(water, ident, moved, 1, "move-0000001")
    assert first.status_code == again.status_code == 200, again.content
    assert again.json()["geometry"] == first.json()["geometry"]
    assert ComponentHistory.objects.filter(identifier=ident, action="update").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_edit_is_refused_naming_the_header() -> None:
    water = Api("surveyor_water")
    ident = created(water, 0.00037)
    other_ident = created(water, 0.00038)
    assert patch(water, ident, DAMAGED, 1, "edit-reused-01").status_code == 200

    different = {"properties": {"status": "missing"}}
    response = water.patch(
        f"{URL}{ident}/",
        {**different, "comment": "丢失"},
        HTTP_IF_MATCH='"2"',
        HTTP_IDEMPOTENCY_KEY="edit-reused-01",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == "Idempotency-Key" and "Idempotency-Key" in body["detail"]
    # on another component, or as a retirement: refused as well
    elsewhere = patch(water, other_ident, DAMAGED, 1, "edit-reused-01")
    assert elsewhere.status_code == 422 and elsewhere.json()["field"] == "Idempotency-Key"
    retire = water.post(
        f"{URL}{ident}/retire/",
        {"version": 2, "comment": "拆除"},
        HTTP_IDEMPOTENCY_KEY="edit-reused-01",
    )
    assert retire.status_code == 422
    assert Component.objects.get(identifier=ident).status == "damaged"
    assert Component.objects.get(identifier=other_ident).version == 1
    assert Component.objects.get(identifier=ident).currency == "in_use"


@pytest.mark.django_db
def test_keys_belong_to_their_user() -> None:
    water = Api("surveyor_water")
    ident = created(water, 0.00039)
    assert patch(water, ident, DAMAGED, 1, "shared-edit-key").status_code == 200
    admin = patch(
        Api("district_admin"), ident, {"properties": {"name": "新"}}, 2, "shared-edit-key"
    )
    assert admin.status_code == 200 and "Idempotent-Replayed" not in admin
    assert Component.objects.get(identifier=ident).version == 3


@pytest.mark.django_db
def test_a_replayed_retirement_answers_as_the_first() -> None:
    water = Api("surveyor_water")
    ident = created(water, 0.00041)
    body = {"version": 1, "comment": "道路改造拆除"}
    first = water.post(f"{URL}{ident}/retire/", body, HTTP_IDEMPOTENCY_KEY="retire-000001")
    again = water.post(f"{URL}{ident}/retire/", body, HTTP_IDEMPOTENCY_KEY="retire-000001")
    assert first.status_code == 200, first.content
    assert again.status_code == 200, again.content  # not "already retired"
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    actions = ComponentHistory.objects.filter(identifier=ident).values_list("action", flat=True)
    assert sorted(actions) == ["create", "retire"]


@pytest.mark.django_db
def test_a_replayed_delete_answers_204_and_deletes_once() -> None:
    ident = created(Api("surveyor_water"), 0.00043)
    admin = Api("district_admin")
    body = {"version": 1, "comment": "重复录入，删除"}
    first = admin.delete(f"{URL}{ident}/", body, HTTP_IDEMPOTENCY_KEY="delete-00001")
    again = admin.delete(f"{URL}{ident}/", body, HTTP_IDEMPOTENCY_KEY="delete-00001")
    assert first.status_code == again.status_code == 204  # not 404
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="component.delete", object_id=ident).count() == 1


@pytest.mark.django_db
def test_a_refused_edit_does_not_use_up_its_key() -> None:
    water = Api("surveyor_water")
    ident = created(water, 0.00045)
    bad = {"properties": {"status": "broken"}}
    assert patch(water, ident, bad, 1, "edit-refused-1").status_code == 400
    assert not IdempotencyKey.objects.filter(key="edit-refused-1").exists()
    assert patch(water, ident, bad, 1, "edit-refused-1").status_code == 400


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        start = last_component_id()
        yield
        IdempotencyKey.objects.filter(key__startswith="race-edit-").delete()
        remove_components_after(start)


def test_a_retry_racing_the_original_update_is_applied_once(committed: None) -> None:
    """The original and its retry arrive at the same moment: one update, and both
    answers are 200 with version 2 (the loser of the row lock finds the winner's key)."""
    ident = created(Api("surveyor_water"), 0.00047)
    answers: list[Any] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        try:
            api = Api("surveyor_water")
            barrier.wait()
            answers.append(patch(api, ident, DAMAGED, 1, "race-edit-0001"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200, 200], [a.content for a in answers]
    assert {a.json()["properties"]["version"] for a in answers} == {2}
    assert ComponentHistory.objects.filter(identifier=ident, action="update").count() == 1
