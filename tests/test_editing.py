"""gis_app.editing as a community app would use it for a model of its own: a made-up
editable model ("noted buildings": buildings under an audit name and history layer of their
own) described by one ``Editable`` subclass, then created, edited, refused, raced and
deleted through the module's API only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import MultiPolygon, Polygon

from gis_app import editing
from gis_app.editing import EditContext
from gis_app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gis_app.models import AuditEvent, AuditResult
from gis_app.roles import Action
from layers.basemap.models import BaseHistory, Building
from layers.models import SRID, AdminArea, AreaLevel

pytestmark = pytest.mark.django_db

LAYER = "test-noted"


class Noted(editing.Editable[Building]):
    """The made-up model: its audit name, its history rows, what it announces."""

    object_type = "tests.noted"
    name = "noted"
    stale_text = "noted building %(id)s is at version %(v)d"

    def __init__(self) -> None:
        self.announced: list[tuple[int | None, int | None]] = []
        self.fail_announcing = False

    def queryset(self) -> Any:
        return Building.objects.all()

    def snapshot(self, obj: Building) -> dict[str, Any]:
        return {"name": obj.name, "address": obj.address, "floors": obj.floors}

    def current(self, obj: Building, user: Any) -> dict[str, Any]:
        return {"id": obj.pk, "version": obj.version, "name": obj.name}

    def history(self, obj: Building, entry: editing.Entry) -> BaseHistory:
        return BaseHistory(
            layer=LAYER,
            object_key=f"noted:{obj.pk}",
            version=entry.version,
            action=entry.action,
            actor=entry.actor,
            actor_username=entry.actor_username,
            changes=entry.changes,
            comment=entry.note,
        )

    def announce(self, before: Building | None, after: Building | None) -> None:
        if self.fail_announcing:
            raise RuntimeError("the change port is down")
        self.announced.append(
            (before.version if before else None, after.version if after else None)
        )


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def new_building(name: str = "议事厅") -> Building:
    community = AdminArea.objects.filter(level=AreaLevel.COMMUNITY).order_by("code").first()
    p = community.boundary.point_on_surface
    square = Polygon.from_bbox((p.x - 0.00005, p.y - 0.00005, p.x + 0.00005, p.y + 0.00005))
    return Building(
        name=name,
        geometry=MultiPolygon(square, srid=SRID),
        community_id=community.code,
        floors=3,
    )


def history(building: Building) -> list[BaseHistory]:
    return list(
        BaseHistory.objects.filter(layer=LAYER, object_key=f"noted:{building.pk}").order_by(
            "version"
        )
    )


def edited(building: Building, **fields: Any) -> Building:
    copy = Building.objects.get(pk=building.pk)
    for name, value in fields.items():
        setattr(copy, name, value)
    return copy


@pytest.fixture
def admin_ctx() -> EditContext:
    return EditContext(user=user("city_admin"), address="127.0.0.9", comment="新建议事厅")


def test_create_writes_version_history_announcement_and_audit(admin_ctx: EditContext) -> None:
    kind = Noted()
    building = editing.create(admin_ctx, kind, new_building())
    stored = Building.objects.get(pk=building.pk)
    assert stored.version == 1
    assert stored.created_by == stored.updated_by == admin_ctx.user
    (row,) = history(building)
    assert (row.version, row.action, row.actor_username, row.comment) == (
        1,
        "create",
        "city_admin",
        "新建议事厅",
    )
    assert row.changes["name"] == [None, "议事厅"]
    assert kind.announced == [(None, 1)]
    event = AuditEvent.objects.get(action="noted.create", object_id=str(building.pk))
    assert event.object_type == "tests.noted" and event.source_address == "127.0.0.9"


def test_all_or_nothing_when_a_step_fails(admin_ctx: EditContext) -> None:
    kind = Noted()
    kind.fail_announcing = True
    before = Building.objects.count()
    with pytest.raises(RuntimeError):
        editing.create(admin_ctx, kind, new_building("半途"))
    assert Building.objects.count() == before
    assert not BaseHistory.objects.filter(layer=LAYER).exists()
    assert not AuditEvent.objects.filter(action="noted.create").exists()

    kind.fail_announcing = False
    building = editing.create(admin_ctx, kind, new_building())
    kind.fail_announcing = True
    with pytest.raises(RuntimeError):
        editing.update(admin_ctx, kind, edited(building, name="改名"), 1)
    assert Building.objects.get(pk=building.pk).name == "议事厅"
    assert Building.objects.get(pk=building.pk).version == 1
    assert [r.version for r in history(building)] == [1]


def test_two_editors_from_one_version_one_wins_the_other_gets_409_with_current_state(
    admin_ctx: EditContext,
) -> None:
    kind = Noted()
    building = editing.create(admin_ctx, kind, new_building())
    first = EditContext(user=user("city_admin"), comment="改楼层")
    second = EditContext(user=user("district_admin"), comment="改名称")
    editing.update(first, kind, edited(building, floors=5), 1)
    with pytest.raises(Conflict) as raised:
        editing.update(second, kind, edited(building, name="别的名字"), 1)
    conflict = raised.value
    assert conflict.status_code == 409 and conflict.field == "version"
    assert str(conflict.message) == f"noted building {building.pk} is at version 2"
    assert conflict.extra["current"] == {"id": building.pk, "version": 2, "name": "议事厅"}
    stored = Building.objects.get(pk=building.pk)
    assert (stored.version, stored.floors, stored.name) == (2, 5, "议事厅")
    rows = history(building)
    assert [(r.version, r.action, r.comment) for r in rows] == [
        (1, "create", "新建议事厅"),
        (2, "update", "改楼层"),
    ]
    assert rows[1].changes == {"floors": [3, 5]}
    event = AuditEvent.objects.get(action="noted.update", object_id=str(building.pk))
    assert event.detail == {"version": 2, "fields": ["floors"]}


def test_an_edit_that_changes_nothing_writes_nothing(admin_ctx: EditContext) -> None:
    kind = Noted()
    building = editing.create(admin_ctx, kind, new_building())
    silent = EditContext(user=user("city_admin"))  # no comment needed: nothing is written
    answer = editing.update(silent, kind, edited(building), 1)
    assert answer.version == 1
    assert [r.version for r in history(building)] == [1]
    assert kind.announced == [(None, 1)]
    with pytest.raises(InvalidInput) as raised:
        editing.update(silent, kind, edited(building, name="无理由"), 1)
    assert raised.value.field == "comment"
    assert Building.objects.get(pk=building.pk).name == "议事厅"


def test_refusals_are_audited_and_change_nothing(admin_ctx: EditContext) -> None:
    kind = Noted()
    building = editing.create(admin_ctx, kind, new_building())
    outsider = EditContext(user=user("surveyor_green"), address="127.0.0.7", comment="x")
    with pytest.raises(PermissionDenied):
        editing.get_for_edit(outsider, kind, Action.CHANGE, "update", pk=building.pk)
    with pytest.raises(NotFound):
        editing.get_for_edit(outsider, kind, Action.CHANGE, "update", pk=building.pk + 10**6)
    anonymous = EditContext(user=AnonymousUser())
    with pytest.raises((PermissionDenied, NotFound)):
        editing.get_for_edit(anonymous, kind, Action.CHANGE, "update", pk=building.pk)
    denied = AuditEvent.objects.filter(action="noted.update", result=AuditResult.DENIED)
    reasons = {(e.actor_username, e.object_id, e.detail["reason"]) for e in denied}
    assert ("surveyor_green", str(building.pk), "permission_denied") in reasons
    assert ("surveyor_green", str(building.pk + 10**6), "not_found") in reasons
    assert len(reasons) == 3
    assert [r.version for r in history(building)] == [1]


def test_delete_keeps_the_last_state_in_history(admin_ctx: EditContext) -> None:
    kind = Noted()
    building = editing.create(admin_ctx, kind, new_building())
    with pytest.raises(Conflict):
        editing.delete(admin_ctx, kind, building, 7)
    assert Building.objects.filter(pk=building.pk).exists()
    last = editing.delete(admin_ctx, kind, building, 1)
    assert last["name"] == "议事厅"
    assert not Building.objects.filter(pk=building.pk).exists()
    rows = history(building)
    assert [(r.version, r.action) for r in rows] == [(1, "create"), (2, "delete")]
    assert rows[1].changes == {"deleted": [False, True]}
    assert kind.announced[-1] == (1, None)


def test_the_shared_rules() -> None:
    assert editing.merge_attributes({"a": 1, "b": 2}, {"b": None, "c": 3}) == {"a": 1, "c": 3}
    assert editing.diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
    with pytest.raises(InvalidInput) as raised:
        editing.require_version(None)
    assert raised.value.field == "version"
    ctx = EditContext(user=AnonymousUser(), comment="  " + "长" * 600)
    assert len(editing.require_comment(ctx)) == editing.COMMENT_LENGTH
    assert ctx.actor is None and ctx.actor_username == ""


def test_a_retried_edit_runs_once_and_gets_the_first_answer(admin_ctx: EditContext) -> None:
    """A made-up key store: what the model would keep in its own table, in the edit's
    transaction."""
    kind = Noted()
    building = editing.create(admin_ctx, kind, new_building())
    remembered: dict[str, int] = {}
    ctx = EditContext(
        user=user("city_admin"), comment="加层", claim=editing.Claim("key-1", "sha-of-request")
    )

    def recall() -> int | None:
        return remembered.get(ctx.claim.key) if ctx.claim else None

    def run() -> int:
        edited_building = editing.update(ctx, kind, edited(building, floors=4), 1)
        remembered[ctx.claim.key] = edited_building.version
        return edited_building.version

    assert editing.once(ctx, recall, run) == 2
    # the retry: its answer is the first one; run again, it would be a 409 (version 1 is old)
    assert editing.once(ctx, recall, run) == 2
    remembered.clear()
    with pytest.raises(Conflict):  # without the remembered key, the 409 stands
        editing.once(ctx, recall, run)
    assert [r.version for r in history(building)] == [1, 2]
