"""Who edited what, as a stranger reads it: histories name the editor's role and
organization, never the user name (half of a staff login), and carry no changeset comments
(internal notes); those who may change the object, and auditors, see both."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from layers.basemap import demo as basemap_demo
from layers.basemap import services as basemap_services
from layers.basemap.models import Building
from tests.components_helpers import Api, manhole

pytestmark = pytest.mark.django_db

NOTE = "钥匙在东门门卫室"
WORKER_NOTE = "入户核查：住户电话见台账"


def hydrant() -> dict:
    attributes = {"hydrant_type": "地上式", "pressure_mpa": 0.35, "pipe_diameter_mm": 100}
    return manhole(klass="0113", name="室外消火栓", attributes=attributes)


@pytest.fixture
def edited_hydrant() -> str:
    """A public hydrant created and then changed by surveyor_water, with comments."""
    water = Api("surveyor_water")
    created = water.create(hydrant(), comment=NOTE)
    assert created.status_code == 201, created.content
    identifier = created.json()["id"]
    changed = water.patch(
        f"/api/v1/components/{identifier}/",
        {"properties": {"status": "damaged"}, "version": 1, "comment": NOTE},
    )
    assert changed.status_code == 200, changed.content
    return identifier


def history(username: str | None, identifier: str) -> list[dict]:
    api = Api(username)
    response = api.get(f"/api/v1/components/{identifier}/history/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, (username, response.content)
    return response.json()


@pytest.mark.parametrize("username", [None, "planner", "surveyor_green"])
def test_strangers_see_role_and_organization_not_user_names_or_comments(edited_hydrant, username):
    rows = history(username, edited_hydrant)
    assert [row["action"] for row in rows] == ["create", "update"]
    text = json.dumps(rows, ensure_ascii=False)
    assert "surveyor_water" not in text and NOTE not in text
    for row in rows:
        assert row["comment"] is None
        assert row["actor"] == row["actor_role"] == "信息采集员 · 杭州水务集团有限公司"


@pytest.mark.parametrize("username", ["surveyor_water", "district_admin", "auditor"])
def test_those_who_may_change_it_and_auditors_see_who_and_why(edited_hydrant, username):
    rows = history(username, edited_hydrant)
    assert [(row["actor"], row["comment"]) for row in rows] == [("surveyor_water", NOTE)] * 2
    assert rows[0]["actor_role"] == "信息采集员 · 杭州水务集团有限公司"


def test_base_layer_history_hides_editors_and_comments_from_strangers():
    basemap_demo.load()
    building = Building.objects.filter(community_id="330106001001").order_by("id").first()
    worker = Api("community_worker")
    response = worker.patch(
        f"/api/v1/buildings/{building.pk}/",
        {"properties": {"name": "保俶新村1幢", "version": 1}, "comment": WORKER_NOTE},
    )
    assert response.status_code == 200, response.content
    building.refresh_from_db()
    outsider = basemap_services.history_of(AnonymousUser(), building)
    text = json.dumps(outsider, ensure_ascii=False, default=str)
    assert "community_worker" not in text and WORKER_NOTE not in text
    assert outsider[-1]["comment"] is None and outsider[-1]["actor_role"]
    steward = get_user_model().objects.get(username="community_worker")
    insider = basemap_services.history_of(steward, building)
    assert (insider[-1]["actor"], insider[-1]["comment"]) == ("community_worker", WORKER_NOTE)
