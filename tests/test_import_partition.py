"""Big imports load as a partition of their own (``importers.sql._insert_as_partition``):
the stored components, their identifiers, history, indexes and foreign keys are those of
the live path (the creation history recorded once per load, written out per component on its
first change); identifiers stay unique across partitions; a failure leaves no trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from component_catalog import representation
from component_catalog.models import (
    BulkCreation,
    Changeset,
    Component,
    ComponentClass,
    ComponentHistory,
    ComponentIdentifier,
)
from component_catalog.sql import BULK_CREATION_HISTORY_FUNCTION
from gis_app.models import Organization
from importers import sql
from importers.models import ImportStatus
from importers.sql import PARTITION_FIRST_ID
from tests.components_helpers import Api
from tests.test_import_pipeline import (
    ORGS,
    db_state,
    english,  # noqa: F401 (the autouse fixture: messages in English)
    feature,
    point,
    points_inside,
    run,
    write_geojson,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def partition_from_ten_rows(settings: Any) -> None:
    settings.IMPORT_PARTITION_MIN_ROWS = 10


def _tables_of(source_name: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tableoid::regclass::text FROM component_catalog_component "
            "WHERE source_name = %s",
            [source_name],
        )
        return [name for (name,) in cursor.fetchall()]


def _partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits "
            "WHERE inhparent = 'component_catalog_component'::regclass ORDER BY 1"
        )
        return [name for (name,) in cursor.fetchall()]


def _indexes(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [table])
        return int(cursor.fetchone()[0])


def _trees(tmp_path: Path, count: int, name: str = "trees.geojson") -> Path:
    points = points_inside("330106001001", count)
    return write_geojson(
        tmp_path / name,
        [
            feature(point(x, y), species="香樟", dbh=20 + i % 7)
            for i, (x, y) in enumerate(points, start=1)
        ],
    )


def _import(tmp_path: Path, path: Path) -> Any:
    (tmp_path / "m.yaml").write_text(
        "attributes:\n  species: species\n  dbh_cm: dbh\n", encoding="utf-8"
    )
    args = [path, "--user", "city_admin", "--class", "0402", "--mapping", tmp_path / "m.yaml"]
    code, job, out = run(*args, *ORGS)
    assert code == 0, out
    return job


def test_a_big_import_is_attached_as_a_partition_with_everything_the_live_path_writes(
    tmp_path: Path,
) -> None:
    before = _partitions()
    job = _import(tmp_path, _trees(tmp_path, 40))
    assert job.status == ImportStatus.COMMITTED and job.inserted == 40
    assert {"load_insert", "load_history", "load_attach"} <= set(job.report["timing"])
    (table,) = _tables_of("trees.geojson")
    assert table.startswith("component_catalog_component_import_")
    assert _partitions() == sorted([*before, table])
    # every index of the components table exists on the new partition too
    assert _indexes(table) == _indexes("component_catalog_component")
    stored = list(Component.objects.filter(source_name="trees.geojson").order_by("source_row"))
    assert [c.source_row for c in stored] == list(range(1, 41))
    assert all(c.id >= PARTITION_FIRST_ID for c in stored)
    serials = [c.serial for c in stored]
    assert serials == list(range(serials[0], serials[0] + 40))
    assert all(c.identifier == f"3301060402{c.serial:06d}" for c in stored)
    assert stored[0].attributes == {"species": "香樟", "dbh_cm": 21}
    assert stored[0].community_id == "330106001001" and stored[0].grid_cell_id
    # identifiers registered, history as the editing service writes it
    assert (
        ComponentIdentifier.objects.filter(
            identifier__in=[c.identifier for c in stored], component_id__gte=PARTITION_FIRST_ID
        ).count()
        == 40
    )
    # one creation record for the load, no history row per component
    assert not ComponentHistory.objects.filter(identifier__in=[c.identifier for c in stored])
    (bulk,) = BulkCreation.objects.filter(changeset_id=job.changeset_id)
    assert (bulk.first_id, bulk.last_id) == (stored[0].id, stored[-1].id)
    assert bulk.actor is not None and bulk.actor.username == "city_admin"
    # the sample of the report carries the identifiers given
    assert {f["id"] for f in job.report["sample"]["features"]} <= {c.identifier for c in stored}


def test_components_of_a_partition_are_edited_found_and_retired_like_any_other(
    tmp_path: Path,
) -> None:
    job = _import(tmp_path, _trees(tmp_path, 12))
    component = Component.objects.filter(source_name="trees.geojson").order_by("id").first()
    assert component is not None and job.inserted == 12
    api = Api("city_admin")
    url = f"/api/v1/components/{component.identifier}/"
    got = api.get(url)
    assert got.status_code == 200 and got.json()["id"] == component.identifier
    changed = api.patch(
        url, {"properties": {"name": "改名的香樟"}, "comment": "更名"}, HTTP_IF_MATCH='"1"'
    )
    assert changed.status_code == 200, changed.content
    component.refresh_from_db()
    assert (component.name, component.version) == ("改名的香樟", 2)
    # the identifier registry follows deletions in partitions too
    identifier = component.identifier
    Component.objects.filter(pk=component.pk).delete()
    assert not ComponentIdentifier.objects.filter(identifier=identifier).exists()


def test_identifiers_stay_unique_across_partitions(tmp_path: Path) -> None:
    _import(tmp_path, _trees(tmp_path, 12))
    taken = Component.objects.filter(source_name="trees.geojson").first()
    assert taken is not None
    copy = Component.objects.get(pk=taken.pk)
    copy.pk = None  # a new row in the main partition with the same identifier
    with pytest.raises(IntegrityError, match="componentidentifier"), transaction.atomic():
        copy.save()


def test_a_failing_partition_load_leaves_no_table_and_no_row(tmp_path: Path) -> None:
    path = _trees(tmp_path, 30)
    # the identifier row 20 will get is registered already (as by another partition)
    counter = Component.objects.filter(county_code="330106", component_class_id="0402")
    last = max(counter.values_list("serial", flat=True), default=0)
    clash = f"3301060402{last + 20:06d}"
    ComponentIdentifier.objects.create(identifier=clash, component_id=PARTITION_FIRST_ID - 1)
    partitions, before = _partitions(), db_state()
    (tmp_path / "m.yaml").write_text("attributes:\n  species: species\n", encoding="utf-8")
    code, job, out = run(
        path, "--user", "city_admin", "--class", "0402", "--mapping", tmp_path / "m.yaml", *ORGS
    )
    assert code == 1 and job.status == ImportStatus.FAILED, out
    assert clash in job.error and "nothing was imported" in job.error
    assert _partitions() == partitions and db_state() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
            "AND relname LIKE 'component_catalog_component_import%%'"
        )
        assert cursor.fetchone()[0] == 0


def test_reimporting_finds_and_updates_the_rows_of_a_partition(tmp_path: Path) -> None:
    path = _trees(tmp_path, 15)
    first = _import(tmp_path, path)
    (table,) = _tables_of("trees.geojson")
    partitions = _partitions()
    (tmp_path / "m.yaml").write_text("attributes:\n  dbh_cm: dbh\n", encoding="utf-8")
    code, again, out = run(
        path, "--user", "city_admin", "--class", "0402", "--mapping", tmp_path / "m.yaml",
        *ORGS, "--on-duplicate", "update",
    )  # fmt: skip
    assert code == 0, out
    assert (first.inserted, again.inserted, again.updated) == (15, 0, 15)
    assert _partitions() == partitions  # updates stay where the rows are
    stored = Component.objects.filter(source_name="trees.geojson")
    assert set(stored.values_list("version", flat=True)) == {2}
    # each creation written out before the update that followed it
    history = ComponentHistory.objects.filter(identifier__in=stored.values("identifier"))
    assert sorted(history.values_list("version", "action", "changeset_id")) == sorted(
        [(1, "create", first.changeset_id)] * 15 + [(2, "update", again.changeset_id)] * 15
    )
    assert _tables_of("trees.geojson") == [table]


def _history(api: Api, identifier: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/components/{identifier}/history/")
    assert response.status_code == 200, response.content
    return list(response.json())


def test_the_creation_history_of_a_partition_is_read_then_written_out_on_first_change(
    tmp_path: Path,
) -> None:
    job = _import(tmp_path, _trees(tmp_path, 12))
    first, second, third = Component.objects.filter(source_name="trees.geojson").order_by("id")[:3]
    api = Api("city_admin")
    # while unchanged, the history shows the creation the load stands for: the document
    # the editing service writes for a creation
    (created,) = _history(api, first.identifier)
    assert (created["version"], created["action"], created["actor"]) == (1, "create", "city_admin")
    assert created["changeset"] == job.changeset_id
    assert created["comment"] == job.changeset.comment
    expected = representation.diff(None, representation.snapshot(first))
    assert {k: v for k, v in created["changes"].items() if k != "geometry"} == {
        k: v for k, v in expected.items() if k != "geometry"
    }
    assert created["changes"]["geometry"][1]["coordinates"] == pytest.approx(
        expected["geometry"][1]["coordinates"], abs=1e-12
    )
    # a change writes the creation out first, as it was before the change
    changed = api.patch(
        f"/api/v1/components/{first.identifier}/",
        {"properties": {"name": "改名的香樟"}, "comment": "更名"},
        HTTP_IF_MATCH='"1"',
    )
    assert changed.status_code == 200, changed.content
    stored = list(ComponentHistory.objects.filter(identifier=first.identifier))
    assert [(h.version, h.action) for h in stored] == [(1, "create"), (2, "update")]
    assert stored[0].changeset_id == job.changeset_id and stored[0].time == created_time(job)
    assert stored[0].snapshot["properties"]["name"] == first.name != "改名的香樟"
    after = _history(api, first.identifier)
    assert after[0] == created and after[1]["changes"] == {"name": [first.name, "改名的香樟"]}
    # so does a retirement through the API, and a deletion of the row itself
    retired = api.post(
        f"/api/v1/components/{second.identifier}/retire/",
        {"comment": "已拆除"},
        HTTP_IF_MATCH='"1"',
    )
    assert retired.status_code == 200, retired.content
    assert [h["action"] for h in _history(api, second.identifier)] == ["create", "retire"]
    deleted = api.delete(
        f"/api/v1/components/{third.identifier}/", {"version": 1, "comment": "重复录入，删除"}
    )
    assert deleted.status_code == 204, deleted.content
    kept = list(ComponentHistory.objects.filter(identifier=third.identifier))
    assert [(h.version, h.action) for h in kept] == [(1, "create"), (2, "delete")]
    assert kept[0].snapshot["properties"]["name"] == third.name
    # an update that keeps the version (no history) writes nothing out
    Component.objects.filter(source_name="trees.geojson", version=1).update(notes="x")
    assert ComponentHistory.objects.filter(changeset_id=job.changeset_id).count() == 3
    # a row edited outside the services still cannot lose its creation
    Component.objects.filter(source_name="trees.geojson", version=1).update(version=5)
    assert ComponentHistory.objects.filter(changeset_id=job.changeset_id).count() == 12


def created_time(job: Any) -> Any:
    return BulkCreation.objects.get(changeset_id=job.changeset_id).time


def test_the_edits_report_counts_the_creations_of_a_partition_once(tmp_path: Path) -> None:
    api = Api("city_admin")

    def creations() -> int:
        response = api.get("/api/v1/reports/edits/?months=1")
        assert response.status_code == 200, response.content
        months = next(t["rows"] for t in response.json()["tables"] if t["key"] == "months")
        return sum(row["create"] for row in months)

    before = creations()
    _import(tmp_path, _trees(tmp_path, 12))
    assert creations() == before + 12
    component = Component.objects.filter(source_name="trees.geojson").order_by("id").first()
    assert component is not None
    changed = api.patch(
        f"/api/v1/components/{component.identifier}/",
        {"properties": {"name": "改名"}, "comment": "更名"},
        HTTP_IF_MATCH='"1"',
    )
    assert changed.status_code == 200, changed.content
    assert creations() == before + 12  # written out, not counted twice


def test_the_installed_history_function_is_the_code_s() -> None:
    """Migration 0010 installed the function as the code wrote it then; a change of the
    snapshot SQL needs a migration that replaces it."""
    body = BULK_CREATION_HISTORY_FUNCTION.split("$function$")[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = 'component_bulk_creation_history'"
        )
        assert cursor.fetchone()[0] == body


def test_a_geometry_that_does_not_fit_its_class_stops_a_partition_load(settings: Any) -> None:
    """The load checks geometry kinds over all staged rows at once (the pipeline refuses
    such rows earlier; this is the database's own guard, as the trigger on the live path)."""
    org = Organization.objects.order_by("id").first()
    assert org is not None and ComponentClass.objects.get(code="0402").geometry_kind == "point"
    line = "SRID=4490;LINESTRING(120.16 30.27, 120.17 30.28)"
    point = "SRID=4490;POINT(120.16 30.27)"
    sql.create_staging()
    sql.stage_inserts(
        [
            (row, geometry, "0402", "", "", None, None, None, None, org.id, org.id, org.id,
             "330106001001", None, None, "", None, "330106", row - 1, row)
            for row, geometry in ((1, point), (2, line), (3, point))
        ]
    )  # fmt: skip
    settings.IMPORT_PARTITION_MIN_ROWS = 3
    partitions = _partitions()
    wrong = r"LINESTRING does not match class 0402 .*row 2"
    with pytest.raises(IntegrityError, match=wrong), transaction.atomic():
        sql.insert_staged(
            [("330106", "0402", 900001, 3)],
            user_id=None,
            username="",
            changeset_id=_changeset(),
            source_name="x",
        )
    assert _partitions() == partitions
    sql.drop_staging()


def _changeset() -> int:
    return int(Changeset.objects.create(comment="t").pk)


def test_a_staging_copy_failing_in_its_thread_fails_the_import_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch's COPY runs in a thread while the next batch is checked; its failure is
    the import's, reported as such, and nothing is left behind."""
    sent: list[int] = []
    real = sql._send_rows

    def fail_the_second(raw: Any, name: str, columns: Any, rows: Any) -> None:
        sent.append(len(rows))
        if len(sent) == 2:
            raise psycopg.errors.InvalidTextRepresentation("bad staged value")
        real(raw, name, columns, rows)

    monkeypatch.setattr(sql, "_send_rows", fail_the_second)
    before, partitions = db_state(), _partitions()
    code, job, out = run(
        _trees(tmp_path, 30), "--user", "city_admin", "--class", "0402", "--batch-rows", "10",
        *ORGS,
    )  # fmt: skip
    assert code == 1 and job is not None and job.status == ImportStatus.FAILED, out
    assert "bad staged value" in job.error
    assert sent == [10, 10]  # the third batch was not staged
    assert db_state() == before and _partitions() == partitions


def _a_zone_on_another_day() -> str:
    """A fixed-offset zone whose calendar day differs from Hangzhou's right now: 20 hours
    behind before 20:00 Hangzhou time, 6 hours ahead after."""
    hour = timezone.localtime().hour
    return "Etc/GMT+12" if hour < 20 else "Etc/GMT-14"


@pytest.mark.parametrize("rows", [3, 12], ids=["live-table", "partition"])
def test_imported_dates_are_the_citys_calendar_day_whatever_the_sessions_zone(
    tmp_path: Path, rows: int
) -> None:
    # The database session runs in UTC, a day behind Hangzhou from 00:00 to 08:00: a date
    # taken from the session (SQL current_date) was yesterday's for imports made then.
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL TIME ZONE '{_a_zone_on_another_day()}'")
    path = _trees(tmp_path, rows)
    _import(tmp_path, path)
    today = timezone.localdate()
    stored = Component.objects.filter(source_name="trees.geojson")
    assert {(c.initial_date, c.change_date) for c in stored} == {(today, today)}
    # a re-import that updates the rows stamps the same day
    mapping = tmp_path / "m.yaml"
    args = [path, "--user", "city_admin", "--class", "0402", "--mapping", mapping, *ORGS]
    code, job, out = run(*args, "--on-duplicate", "update")
    assert code == 0 and job.updated == rows, out
    assert {c.change_date for c in stored.all()} == {today}
