"""Issue 15, finding 4: every write of a component applies the same class, area and
ownership rules (``component_catalog.policies.WriteRules``): API create (also with an
Idempotency-Key, the survey page's offline sync), batch, and the importer's dry run and
commit. A water surveyor (water classes 0101-0104, 0113, organization HZ-SW) may not
create a gas manhole (0111), nor name another company as owner or maintainer."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from component_catalog.models import Component
from gis_app.models import AuditEvent
from importers.models import ImportJob, ImportStatus
from tests.components_helpers import Api, inside, manhole

pytestmark = pytest.mark.django_db

URL = "/api/v1/components/"


@pytest.fixture
def water() -> Api:
    return Api("surveyor_water")


def refused_feature(field: str) -> dict[str, Any]:
    """A gas manhole of the water company (``properties.class``), or a water manhole with
    the gas company in ``field``."""
    if field == "properties.class":
        return manhole("0111", at=inside(shift=0.00005), name="燃气井盖")
    feature = manhole(at=inside(shift=0.00007))
    feature["properties"][field.removeprefix("properties.")] = "HZ-RQ"
    return feature


REFUSED = ["properties.class", "properties.owner", "properties.maintainer"]


def denied_creations() -> Any:
    return AuditEvent.objects.filter(action="component.create", result="denied")


@pytest.mark.parametrize("field", REFUSED)
def test_api_create_outside_class_or_with_a_foreign_organization_is_refused(
    water: Api, field: str
) -> None:
    feature = refused_feature(field)
    before = Component.objects.count()
    response = water.create(feature)
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["error"] == "permission_denied" and body["field"] == field
    assert Component.objects.count() == before
    assert denied_creations().filter(detail__field=field).exists()


@pytest.mark.parametrize("field", REFUSED)
def test_offline_sync_create_with_idempotency_key_is_refused_alike(water: Api, field: str) -> None:
    feature = refused_feature(field)
    """The survey page replays its queue with POST + Idempotency-Key (survey/queue.js)."""
    before = Component.objects.count()
    body = {**feature, "comment": "离线同步"}
    response = water.post(URL, body, HTTP_IDEMPOTENCY_KEY="sync-lq0x3k9f")
    assert response.status_code == 403 and response.json()["field"] == field
    assert Component.objects.count() == before


@pytest.mark.parametrize("field", REFUSED)
def test_batch_create_is_refused_alike(water: Api, field: str) -> None:
    feature = refused_feature(field)
    before = Component.objects.count()
    body = {"features": [manhole(at=inside(shift=0.00003)), feature], "comment": "批量"}
    response = water.post(f"{URL}batch/", body)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["item"], e["field"], e["error"]) for e in errors] == [
        (2, field, "permission_denied")
    ]
    assert Component.objects.count() == before  # the valid item is not stored either
    assert denied_creations().filter(detail__field=field).exists()


def test_allowed_creations_still_pass(water: Api) -> None:
    assert water.create(manhole(at=inside(shift=0.00009))).status_code == 201
    # a government body's staff may name other government bodies ...
    toilet: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": inside("330106001001", 2)},
        "properties": {
            "class": "0301",
            "competent_department": "XH-CGJ",
            "owner": "XH-CGJ",
            "maintainer": "XH-JD-001",
            "attributes": {},
        },
    }
    worker = Api("community_worker")
    assert worker.create(toilet).status_code == 201
    # ... not a company: that needs an administrator of the area, as on PATCH
    toilet["properties"]["maintainer"] = "XH-LCWY"
    refused = worker.create(toilet)
    assert refused.status_code == 403 and refused.json()["field"] == "properties.maintainer"
    assert Api("street_admin").create(toilet).status_code == 201


def test_a_surveyor_still_edits_what_their_organization_owns_in_another_class(
    water: Api,
) -> None:
    """Ownership opens existing components to a class-scoped surveyor (the policy's
    'their classes or ownership'): only creating is narrowed to the classes."""
    gas = manhole("0111", at=inside(shift=0.00004), name="水务代管燃气井盖")
    gas["properties"]["maintainer"] = "HZ-SW"
    gas["properties"]["owner"] = "HZ-RQ"
    made = Api("district_admin").create(gas)
    assert made.status_code == 201, made.content
    ident = made.json()["id"]
    ok = water.patch(
        f"{URL}{ident}/", {"properties": {"version": 1, "status": "damaged"}, "comment": "巡查"}
    )
    assert ok.status_code == 200, ok.content


# --- the importer ----------------------------------------------------------------------------


def run_import(tmp_path: Path, *args: str) -> ImportJob:
    path = tmp_path / "covers.geojson"
    x, y = inside(shift=0.00002)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x + k * 0.0001, y]},
            "properties": {"NAME": f"井盖{k}"},
        }
        for k in range(2)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    last = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
    out = io.StringIO()
    # a refused import exits non-zero
    with translation.override("en"), contextlib.suppress(CommandError):
        call_command(
            "import_components",
            str(path),
            "--user",
            "surveyor_water",
            "--name-field",
            "NAME",
            "--crs",
            "EPSG:4490",
            *args,
            stdout=out,
            stderr=out,
        )
    return ImportJob.objects.filter(id__gt=last).get()


IMPORT_REFUSED = [
    ("class", ["--class", "0111", "--owner", "HZ-SW", "--maintainer", "HZ-SW"]),
    ("owner", ["--class", "0101", "--owner", "HZ-RQ", "--maintainer", "HZ-SW"]),
    ("maintainer", ["--class", "0101", "--owner", "HZ-SW", "--maintainer", "HZ-RQ"]),
]


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "commit"])
@pytest.mark.parametrize(("target", "args"), IMPORT_REFUSED, ids=[t for t, _ in IMPORT_REFUSED])
def test_import_refuses_rows_outside_class_or_with_foreign_organizations(
    tmp_path: Path, dry_run: bool, target: str, args: list[str]
) -> None:
    before = Component.objects.count()
    extra = ["--competent-department", "XH-CGJ", *(["--dry-run"] if dry_run else [])]
    job = run_import(tmp_path, *args, *extra)
    report = job.report
    assert report["counts"]["insert"] == 0 and report["counts"]["error"] == 2
    assert {e["target"] if "target" in e else e["field"] for e in report["errors"]} == {target}
    assert job.status == (ImportStatus.DRY_RUN if dry_run else ImportStatus.REFUSED)
    assert Component.objects.count() == before
    event = AuditEvent.objects.get(action="component.create", result="denied", object_id=job.pk)
    assert event.detail["fields"] == {f"properties.{target}": 2}


def test_import_of_own_classes_and_organization_still_passes(tmp_path: Path) -> None:
    args = ["--class", "0101", "--owner", "HZ-SW", "--maintainer", "HZ-SW"]
    job = run_import(tmp_path, *args, "--competent-department", "XH-CGJ")
    assert job.status == ImportStatus.COMMITTED, job.report
    assert job.inserted == 2
