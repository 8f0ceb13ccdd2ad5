"""The matters catalog: the shared event classes copied verbatim, the component-related
classes generated for every component class, sound flows loaded as data."""

from __future__ import annotations

import csv
from typing import Any

import pytest

from community.matters import catalog, flows
from community.matters.models import EventClass, Flow
from component_catalog.models import ComponentClass
from gis_app.roles import Role
from tests.conftest import SHARED_DATA

CSV_PATH = SHARED_DATA / "catalog" / "event_classes.csv"


def test_event_rows_agree_with_the_shared_catalog_file() -> None:
    if not CSV_PATH.exists():
        pytest.skip(f"shared catalog not found at {CSV_PATH}")
    with CSV_PATH.open(encoding="utf-8") as f:
        rows = [(r["code"], r["major_code"], r["name_zh"], r["name_en"]) for r in csv.DictReader(f)]
    assert rows == catalog.EVENT_ROWS
    assert len(rows) == 35


@pytest.mark.django_db
def test_the_catalog_and_damaged_missing_occupied_per_component_class_are_loaded() -> None:
    minor = list(
        ComponentClass.objects.filter(active=True).values_list("code", flat=True).order_by("code")
    )
    minor = [c for c in minor if len(c) == 4]
    assert EventClass.objects.filter(code__in=[r[0] for r in catalog.EVENT_ROWS]).count() == 35
    for code in minor:
        for problem in ("damaged", "missing", "occupied"):
            klass = EventClass.objects.get(code=f"{code}-{problem}")
            assert klass.component_class_id == code
            assert klass.routing["rule"] == "component"
    toilet = EventClass.objects.get(code="0301-damaged")
    assert toilet.name_zh == "公共厕所破损" and toilet.public
    collapse = EventClass.objects.get(code="0401")
    assert collapse.kind == "complaint" and not collapse.public
    assert collapse.sla_accept_hours <= collapse.sla_resolve_hours
    noise = EventClass.objects.get(code="0301").flow  # construction noise: a site visit first
    assert noise is not None and noise.code == "inspected"
    assert not EventClass.objects.get(code="01").selectable  # a major groups, nobody reports


@pytest.mark.django_db
def test_every_flow_in_the_database_is_sound_and_the_standard_one_has_the_named_steps() -> None:
    roles = set(Role.values)
    for flow in Flow.objects.all():
        assert flows.problems(flow.definition, roles) == [], flow.code
    standard = Flow.objects.get(code="standard").definition
    path = {t["action"]: (t["from"], t["to"]) for t in standard["transitions"]}
    chain = ["accept", "dispatch", "start", "resolve", "verify", "close"]
    state = "submitted"
    for action in chain:
        assert state in path[action][0], action
        state = path[action][1]
    assert state == "closed"
    inspected = Flow.objects.get(code="inspected").definition
    assert "inspected" in inspected["states"]


def test_a_broken_flow_definition_is_told_apart() -> None:
    bad = {
        "initial": "submitted",
        "states": ["submitted", "closed"],
        "transitions": [
            {"action": "close", "from": ["submitted"], "to": "gone", "by": ["area:nobody"]}
        ],
    }
    found = flows.problems(bad, set(Role.values))
    assert any("'gone'" in p for p in found)
    assert any("area:nobody" in p for p in found)


# --- administrators edit the catalog (versioned) --------------------------------------------


@pytest.mark.django_db
def test_a_city_administrator_edits_a_class_with_version_history_and_a_stale_edit_is_409() -> None:
    from community.matters.models import EventClassHistory
    from tests.components_helpers import Api

    url = "/api/v1/requests/classes/0102/"
    admin = Api("city_admin")
    guide = {"conditions": ["辖区内"], "materials": ["现场照片"], "time_limit_days": 3}
    changed = admin.patch(
        url, {"sla_resolve_hours": 48, "guide": guide, "version": 1, "comment": "缩短时限"}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 2 and changed.json()["sla_resolve_hours"] == 48
    entry = EventClassHistory.objects.get(event_class__code="0102", version=2)
    assert entry.changes["sla_resolve_hours"] == [72, 48] and entry.comment == "缩短时限"
    stale = admin.patch(url, {"public": False, "version": 1, "comment": "x"})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2
    assert EventClass.objects.get(code="0102").public


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["district_admin", "street_admin", "community_worker", None])
def test_others_cannot_edit_the_catalog(actor: str | None) -> None:
    from tests.components_helpers import Api

    response = Api(actor).patch(
        "/api/v1/requests/classes/0102/", {"sla_resolve_hours": 5, "version": 1, "comment": "x"}
    )
    assert response.status_code in (401, 403), response.content
    assert EventClass.objects.get(code="0102").sla_resolve_hours == 72


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"attribute_schema": {"type": "nonsense"}}, "attribute_schema"),
        ({"guide": {"unknown": 1}}, "guide"),
        ({"sla_accept_hours": 100}, "sla_accept_hours"),  # beyond the 72 h to resolve
        ({"flow": "nowhere"}, "flow"),
        ({"code": "0999"}, "code"),
    ],
)
def test_a_bad_catalog_edit_names_the_field(change: dict[str, object], field: str) -> None:
    from tests.components_helpers import Api

    response = Api("city_admin").patch(
        "/api/v1/requests/classes/0102/", {**change, "version": 1, "comment": "x"}
    )
    assert response.status_code == 400 and response.json()["field"] == field
    assert EventClass.objects.get(code="0102").version == 1


@pytest.mark.django_db
def test_a_new_component_class_gets_its_event_classes_from_the_command() -> None:
    import io

    from django.core.management import call_command

    ComponentClass.objects.create(
        code="0127",
        major_id="01",
        name_zh="智能井盖",
        name_en="Smart manhole cover",
        geometry_kind="point",
        is_local=True,
    )
    out = io.StringIO()
    call_command("matters_catalog", stdout=out)
    assert "added 0 flows and 3 event classes" in out.getvalue()
    assert EventClass.objects.get(code="0127-missing").name_zh == "智能井盖丢失"
    call_command("matters_catalog", stdout=out)  # nothing twice
    assert EventClass.objects.filter(code__startswith="0127-").count() == 3


def test_production_refuses_the_development_contact_key(settings: Any) -> None:
    from community.matters.checks import secret_key

    settings.DEBUG = False
    settings.MATTERS_SECRET_KEY = settings.MATTERS_DEV_SECRET_KEY
    assert [e.id for e in secret_key()] == ["matters.E001"]
    settings.MATTERS_SECRET_KEY = "k" * 48
    assert secret_key() == []
