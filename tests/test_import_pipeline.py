"""The import pipeline (issue 5): conversion and the plausible extent, mappings, validation
and repair, deduplication, dry runs, all-or-nothing commits and --skip-invalid, ImportJob
and audit, and the ``import_components`` command. The must-shows use the real files of
../shared/data and skip with a reason where they are absent."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation
from pyproj import Geod

from component_catalog import representation
from component_catalog.models import Changeset, Component, ComponentHistory, IdentifierCounter
from gis_app.models import AuditEvent, AuditResult, Membership, Organization
from importers import mapping as mp
from importers import pipeline
from importers.models import ImportJob, ImportStatus
from importers.pipeline import matching as pipeline_matching
from importers.report import read_rejected
from importers.sql import Extent
from layers.models import AdminArea

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Any:
    """Messages are asserted in English (the platform speaks Chinese first)."""
    with translation.override("en"):
        yield


DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BIKES = DATA / "hangzhou_public_bike_stations_bd09" / "hangzhou_bike_stations_bd09.csv"
XIACHENG = DATA / "hangzhou_xiacheng_community"
ARTESIA = DATA / "la_artesia_street_trees"
GEOD = Geod(ellps="GRS80")
ORGS = ["--owner", "HZ-CGJ", "--maintainer", "HZ-CGJ", "--competent-department", "HZ-CGJ"]


# --- helpers -------------------------------------------------------------------------------


def run(*args: Any) -> tuple[int, ImportJob | None, str]:
    """Run the command; (exit status, the job it recorded if any, its output)."""
    last = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_components", *[str(a) for a in args], stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
        out.write(f"\nCommandError: {exc}")
    job = ImportJob.objects.filter(id__gt=last).order_by("-id").first()
    return code, job, out.getvalue() + err.getvalue()


def box(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4490)


def make_areas(
    codes: list[tuple[str, str, str | None]], bbox: tuple[float, ...], name: str
) -> None:
    for code, level, parent in codes:
        AdminArea.objects.update_or_create(
            code=code,
            defaults={"level": level, "parent_id": parent, "name": name, "boundary": box(*bbox)},
        )


def db_state() -> tuple[Any, ...]:
    return (
        Component.objects.count(),
        ComponentHistory.objects.count(),
        Changeset.objects.count(),
        sorted(IdentifierCounter.objects.values_list("county_code", "class_code", "last_serial")),
    )


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def point(x: float, y: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [x, y]}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    # json.dumps writes NaN as the bare literal NaN, as careless exporters do
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def points_inside(code: str, count: int) -> list[tuple[float, float]]:
    """``count`` grid points inside an area, several metres apart."""
    area = shapely.from_wkb(bytes(AdminArea.objects.get(code=code).boundary.wkb))
    x0, y0, x1, y1 = area.bounds
    n = 10
    while True:
        xs, ys = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        inside = shapely.contains_xy(area, xs.ravel(), ys.ravel())
        if inside.sum() >= count:
            return list(zip(xs.ravel()[inside], ys.ravel()[inside], strict=True))[:count]
        n *= 2


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


@pytest.fixture
def hangzhou_box() -> None:
    """A district/street/community covering Hangzhou city (the demo district covers only a
    part of it): lon 118.3-120.8, lat 29.2-30.6."""
    make_areas(
        [
            ("330199", "district", "330100"),
            ("330199001", "street", "330199"),
            ("330199001001", "community", "330199001"),
        ],
        (118.3, 29.2, 120.8, 30.6),
        "测试杭州",
    )


@pytest.fixture
def artesia_area() -> None:
    """A test city around Artesia, California, and a city-admin grant there."""
    make_areas(
        [
            ("990100", "city", None),
            ("990101", "district", "990100"),
            ("990101001", "street", "990101"),
            ("990101001001", "community", "990101001"),
        ],
        (-118.10, 33.85, -118.06, 33.89),
        "Artesia",
    )
    Membership.objects.create(
        user=get_user_model().objects.get(username="city_admin"),
        organization=Organization.objects.get(code="HZ-CGJ"),
        role="city_admin",
        area_id="990100",
    )


# --- an independent BD-09 -> WGS 84 conversion ----------------------------------------------
# The platform inverts the published forward formulas by iteration (gis_app.coords). The check
# here uses a different method: the published closed-form approximate inverse of BD-09 and
# one step of "wgs = 2 gcj - forward(gcj)" for GCJ-02 (each good to about a metre).

_A, _EE = 6378245.0, 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def _gcj_dlat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _gcj_dlon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def _wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    d_lat, d_lon = _gcj_dlat(lon - 105.0, lat - 35.0), _gcj_dlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    d_lat = d_lat * 180.0 / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    d_lon = d_lon * 180.0 / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lon + d_lon, lat + d_lat


def bd09_to_wgs84_approx(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    g_lon, g_lat = z * math.cos(theta), z * math.sin(theta)
    f_lon, f_lat = _wgs_to_gcj(g_lon, g_lat)
    return 2 * g_lon - f_lon, 2 * g_lat - f_lat


# --- must-shows on the real files --------------------------------------------------------


@pytest.mark.skipif(not BIKES.is_file(), reason=f"shared data not present: {BIKES}")
def test_bd09_bike_stations(hangzhou_box: None, tmp_path: Path) -> None:
    with BIKES.open(encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    row_of = {r["station_id"]: n for n, r in enumerate(records, start=1)}  # data rows
    broken = {row_of[i]: i for i in ("4074", "3279", "4148")}
    mapping = tmp_path / "bikes.yaml"
    mapping.write_text("source_key: station_id\n", encoding="utf-8")
    args = [BIKES, "--user", "city_admin", "--class", "0212", "--name-field", "station_name"]
    args += ["--mapping", mapping, *ORGS]
    before = db_state()

    # no CRS: refused, with a message that says how to give one (and suggests BD09)
    code, job, out = run(*args)
    assert code == 1
    assert job.status == ImportStatus.REFUSED
    assert "--crs BD09" in job.error and "does not say which coordinate system" in job.error

    # dry run: the three broken rows by row number, duplicates reported, nothing stored
    code, job, out = run(*args, "--crs", "BD09", "--dry-run")
    assert code == 1, out  # invalid rows and no --skip-invalid: a commit would be refused
    assert job.status == ImportStatus.DRY_RUN and db_state() == before
    report = job.report
    assert report["source"]["crs"] == "BD09" and report["source"]["crs_source"] == "option"
    errors = {e["row"]: e for e in report["errors"]}
    assert set(errors) == set(broken)
    for row in broken:
        assert errors[row]["field"] == "geometry"
        assert "implausible position" in errors[row]["message"]
        assert records[row - 1]["lng_bd09"][:6] in errors[row]["message"]
    assert "1120." in errors[row_of["4074"]]["message"]
    assert "typing error" in errors[row_of["4074"]]["message"]
    assert "typing error" in errors[row_of["3279"]]["message"]
    assert "km outside" in errors[row_of["4148"]]["message"]
    duplicates = report["duplicates"]
    assert report["duplicates_total"] == len(duplicates) > 20
    identical = 0
    for entry in duplicates:
        a, b = records[entry["row"] - 1], records[entry["duplicate_of_row"] - 1]
        xy_a = (float(a["lng_bd09"]), float(a["lat_bd09"]))
        xy_b = (float(b["lng_bd09"]), float(b["lat_bd09"]))
        assert entry["duplicate_of_row"] < entry["row"]
        assert metres(xy_a, xy_b) <= 1.01
        identical += xy_a == xy_b
    assert identical > 0
    assert report["counts"]["error"] == 3
    assert report["counts"]["insert"] == len(records) - 3 - len(duplicates)
    assert len(report["sample"]["features"]) == 10

    # commit the valid rows
    code, job, out = run(*args, "--crs", "BD09", "--skip-invalid")
    assert code == 0, out
    assert job.status == ImportStatus.COMMITTED
    assert job.inserted == len(records) - 3 - len(duplicates) and job.rejected == 3
    assert Component.objects.count() == before[0] + job.inserted
    rejected = read_rejected(job.rejected_file.read())
    assert {r["station_id"]: int(r["row"]) for r in rejected} == {s: r for r, s in broken.items()}
    assert all(r["field"] == "geometry" and r["lng_bd09"] for r in rejected)

    stored = {
        c.source_key: c
        for c in Component.objects.filter(source_name=BIKES.name, component_class_id="0212")
    }
    assert len(stored) == job.inserted
    checked = 0
    for record in records[:60]:
        component = stored.get(record["station_id"])
        if component is None:
            continue
        expected = bd09_to_wgs84_approx(float(record["lng_bd09"]), float(record["lat_bd09"]))
        assert metres((component.geometry.x, component.geometry.y), expected) < 5.0
        assert component.source_row == row_of[record["station_id"]]
        assert component.name == record["station_name"].strip()
        checked += 1
    assert checked >= 50
    # history, changeset, audit
    changeset = job.changeset
    assert (
        changeset is not None and changeset.source == "import" and BIKES.name in changeset.comment
    )
    history = ComponentHistory.objects.filter(changeset=changeset)
    assert history.count() == job.inserted
    first = history.get(identifier=stored["2037"].identifier)
    assert first.action == "create" and first.version == 1
    assert first.snapshot["properties"]["name"] == "红会医院东"
    assert first.changes["name"] == [None, "红会医院东"] and "geometry" in first.changes
    # the history built in SQL is the document the editing service writes
    expected = representation.snapshot(stored["2037"])
    assert first.snapshot["properties"] == expected["properties"]
    assert first.snapshot["geometry"]["coordinates"] == pytest.approx(
        expected["geometry"]["coordinates"], abs=1e-12
    )
    diff = representation.diff(None, expected)
    assert set(first.changes) == set(diff)
    assert {k: v for k, v in first.changes.items() if k != "geometry"} == {
        k: v for k, v in diff.items() if k != "geometry"
    }
    event = AuditEvent.objects.get(action="import.commit", object_id=str(job.pk))
    assert event.result == AuditResult.SUCCESS and event.actor_username == "city_admin"
    assert event.detail["inserted"] == job.inserted and event.detail["sha256"] == job.sha256
    sample = job.report["sample"]["features"]
    assert all(f["id"] and f["id"].startswith(f["properties"]["community"][:6]) for f in sample)


@pytest.mark.skipif(not XIACHENG.is_dir(), reason=f"shared data not present: {XIACHENG}")
def test_xiacheng_toilets_land_in_their_communities(tmp_path: Path) -> None:
    from tests.test_areas import _load_xiacheng

    _load_xiacheng()
    mapping = tmp_path / "toilets.yaml"
    mapping.write_text(
        """
class_field: 类别
class_map: {公共厕所: "0301"}
unmapped: skip
name: 编号
attributes:
  opening_hours: 开放时间
  fee: 费用
""",
        encoding="utf-8",
    )
    source = XIACHENG / "xiacheng_public_facilities.geojson"
    code, job, out = run(source, "--user", "city_admin", "--mapping", mapping, *ORGS)
    assert code == 0, out
    by_class = job.report["by_class"]
    toilets = by_class["0301"]
    assert toilets["insert"] + toilets["skip"] + toilets["error"] == 168
    assert toilets["error"] == 0 and toilets["insert"] > 120
    assert by_class["?"] == {"insert": 0, "update": 0, "skip": 585, "error": 0}  # unmapped
    assert job.report["skipped"] == {
        "class value '公共自行车租赁点' is not mapped": 352,
        "class value '公交站点' is not mapped": 233,
    }
    stored = Component.objects.filter(source_name=source.name)
    assert stored.count() == job.inserted == toilets["insert"]
    assert set(stored.values_list("component_class_id", flat=True)) == {"0301"}
    assert all(c.community_id.startswith("330103") for c in stored)
    # each toilet's community contains its point (checked by GEOS here, PostGIS there)
    boundaries = {
        a.code: shapely.from_wkb(bytes(a.boundary.wkb))
        for a in AdminArea.objects.filter(code__in=stored.values("community_id"))
    }
    for component in stored:
        assert boundaries[component.community_id].covers(
            shapely.Point(component.geometry.x, component.geometry.y)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM component_catalog_component c JOIN layers_adminarea a "
            "ON a.code = c.community_id WHERE c.source_name = %s "
            "AND NOT ST_Covers(a.boundary, c.geometry)",
            [source.name],
        )
        assert cursor.fetchone()[0] == 0
    one = stored.first()
    assert one is not None
    assert one.attributes == {"opening_hours": "8:00-20:00", "fee": "免费"}
    assert one.name == "公厕_001" and one.data_source == "other"


@pytest.mark.skipif(not ARTESIA.is_dir(), reason=f"shared data not present: {ARTESIA}")
def test_artesia_shapefile_and_geojson_land_in_the_same_places(
    artesia_area: None, tmp_path: Path
) -> None:
    mapping = tmp_path / "trees.yaml"
    mapping.write_text(
        """
source_key: INVENTORYI
address: {field: STREET}
initial_date: {field: DATEMODIFI, format: "%m/%d/%Y"}
attributes:
  species_latin: BOTANICALN
""",
        encoding="utf-8",
    )
    args = ["--user", "city_admin", "--class", "0402", "--mapping", mapping, *ORGS]
    code, job, out = run(ARTESIA / "artesia.shp", *args)
    assert code == 0, out
    assert job.report["source"]["crs"] == "EPSG:2229"
    assert job.report["source"]["crs_source"] == "prj"
    assert job.inserted > 2800
    first = {
        c.source_key: (c.geometry.x, c.geometry.y)
        for c in Component.objects.filter(source_name="artesia.shp")
    }
    assert len(first) == job.inserted
    tree = Component.objects.get(source_name="artesia.shp", source_key="2078929")
    assert tree.initial_date == dt.date(2014, 9, 28)
    assert tree.attributes == {"species_latin": "Pinus halepensis"}
    assert tree.community_id == "990101001001" and tree.identifier.startswith("9901010402")

    code, job, out = run(ARTESIA / "artesia.geojson", *args)
    assert code == 0, out
    assert job.report["source"]["crs"] == "EPSG:4269"
    assert job.report["source"]["crs_source"] == "metadata"
    assert job.inserted == 0 and job.updated == len(first)  # matched by INVENTORYI
    second = {
        c.source_key: (c.geometry.x, c.geometry.y, c.version)
        for c in Component.objects.filter(source_key__in=first, component_class_id="0402")
    }
    assert len(second) == len(first)
    worst = max(metres(first[key], second[key][:2]) for key in first)
    assert worst < 0.5
    assert {v for _x, _y, v in second.values()} == {2}


# --- runs: atomic commit, dry run, skip invalid, re-import -----------------------------------


def test_failing_commit_leaves_the_database_exactly_as_before(tmp_path: Path) -> None:
    # Audit rows are append-only; other objects share small numeric ids with import jobs.
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    job_events = AuditEvent.objects.filter(id__gt=mark, object_type="importers.importjob")
    points = points_inside("330106001001", 1000)
    path = write_geojson(
        tmp_path / "trees.geojson",
        [feature(point(x, y), no=f"T{i:04d}") for i, (x, y) in enumerate(points, start=1)],
    )
    # A row loaded earlier by another tool, which did not advance the identifier counter,
    # holds the serial that row 900 of the file will be given: a unique-identifier violation.
    last = (
        IdentifierCounter.objects.filter(county_code="330106", class_code="0402")
        .values_list("last_serial", flat=True)
        .first()
        or 0
    )
    org = Organization.objects.get(code="HZ-CGJ")
    elsewhere = AdminArea.objects.get(code="330106002001").boundary.point_on_surface
    legacy = Component.objects.create(
        identifier=f"3301060402{last + 900:06d}",
        county_code="330106",
        component_class_id="0402",
        serial=last + 900,
        geometry=GEOSGeometry(elsewhere.wkt, srid=4490),
        community_id="330106002001",
        competent_department=org,
        owner=org,
        maintainer=org,
        initial_date=dt.date(2019, 4, 1),
        change_date=dt.date(2019, 4, 1),
    )
    before = db_state()
    args = [path, "--user", "city_admin", "--class", "0402", "--mapping", tmp_path / "m.yaml"]
    (tmp_path / "m.yaml").write_text('source_key: "no"\n', encoding="utf-8")

    # a dry run touches nothing (and says the commit would go through)
    code, job, out = run(*args, *ORGS, "--dry-run")
    assert code == 0, out
    assert job.status == ImportStatus.DRY_RUN and job.report["counts"]["insert"] == 1000
    assert db_state() == before
    assert job_events.get(object_id=str(job.pk)).action == "import.dry_run"

    code, job, out = run(*args, *ORGS)
    assert code == 1
    assert job.status == ImportStatus.FAILED
    assert legacy.identifier in job.error and "nothing was imported" in job.error
    assert job.changeset is None and job.inserted == 0
    assert db_state() == before
    assert not Component.objects.filter(source_name="trees.geojson").exists()
    event = job_events.get(action="import.commit", object_id=str(job.pk))
    assert event.result == AuditResult.FAILURE and event.detail["status"] == "failed"


def _messy_file(tmp_path: Path) -> Path:
    inside = points_inside("330106001001", 6)
    x, y = inside[0]
    return write_geojson(
        tmp_path / "messy.geojson",
        [
            feature(point(x, y), no="A1", dbh="30"),  # 1 ok
            feature(point(float("nan"), y), no="A2", dbh="30"),  # 2 NaN
            feature(
                {"type": "LineString", "coordinates": [inside[1], inside[2]]}, no="A3"
            ),  # 3 a line in a point class
            feature({"type": "MultiPoint", "coordinates": [inside[3]]}, no="A4"),  # 4 promoted
            feature({"type": "MultiPoint", "coordinates": [inside[1], inside[2]]}, no="A5"),
            feature(point(*inside[4]), no="A6", dbh="abc"),  # 6 not a number
            feature(point(*inside[4]), no="A7", dbh="5000"),  # 7 above the schema maximum
            feature(None, no="A8"),  # 8 no geometry
            feature(point(1120.1, y), no="A9"),  # 9 implausible
            feature(point(120.3, 30.1), no="A10"),  # 10 in the city, outside communities
            feature(point(*inside[5]), no="A11", dbh=12.5),  # 11 ok
            feature(point(x + 0.000003, y), no="A12"),  # 12 within 1 m of row 1
        ],
    )


@pytest.mark.parametrize("partition_from", [10**9, 1], ids=["live table", "partition"])
def test_texts_with_copy_special_characters_are_stored_as_written(
    tmp_path: Path, settings: Any, partition_from: int
) -> None:
    """Staged rows go through COPY: tabs, line breaks, backslashes, quotes, a literal
    ``\\N`` (COPY's NULL in text format) and commas arrive unchanged, whichever way the
    load goes (into the live table, or as a partition of its own)."""
    settings.IMPORT_PARTITION_MIN_ROWS = partition_from
    names = ["tab\there", "line\nbreak", "back\\slash", "\\N", 'quo"te', "逗号,分号;", ""]
    xy = points_inside("330106001001", len(names))
    path = write_geojson(
        tmp_path / "names.geojson",
        [feature(point(x, y), n=name) for (x, y), name in zip(xy, names, strict=True)],
    )
    args = [path, "--user", "city_admin", "--class", "0402", "--name-field", "n", *ORGS]
    code, job, out = run(*args)
    assert code == 0 and job.inserted == len(names), out
    stored = dict(
        Component.objects.filter(source_name="names.geojson").values_list("source_row", "name")
    )
    assert stored == {row: name for row, name in enumerate(names, start=1)}


def test_skip_invalid_commits_the_valid_rows_and_keeps_the_rejected_ones(tmp_path: Path) -> None:
    path = _messy_file(tmp_path)
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"attributes": {"dbh_cm": "dbh"}}), encoding="utf-8")
    args = [path, "--user", "city_admin", "--class", "0402", "--mapping", mapping, *ORGS]
    # (the GeoJSON reader takes a longitude of 1120 for projected coordinates: say CRS84)
    args += ["--crs", "CRS84"]
    before = db_state()

    # without --skip-invalid a single invalid row refuses the whole file
    code, job, out = run(*args)
    assert code == 1 and job.status == ImportStatus.REFUSED and db_state() == before
    assert "--skip-invalid" in job.error

    code, job, out = run(*args, "--skip-invalid")
    assert code == 0, out
    assert (job.inserted, job.updated, job.skipped, job.rejected) == (3, 0, 1, 8)
    errors: dict[int, list[dict[str, Any]]] = {}
    for entry in job.report["errors"]:
        errors.setdefault(entry["row"], []).append(entry)
    assert sorted(errors) == [2, 3, 5, 6, 7, 8, 9, 10]
    assert "NaN" in errors[2][0]["message"]
    assert "not a linestring" in errors[3][0]["message"].lower()
    assert "MultiPoint of 2 points" in errors[5][0]["message"]
    assert errors[6][0]["field"] == "dbh" and errors[6][0]["target"] == "attributes.dbh_cm"
    assert "'abc' is not a number" in errors[6][0]["message"]
    assert errors[7][0]["field"] == "dbh" and "5000" in errors[7][0]["message"]
    assert "no geometry" in errors[8][0]["message"]
    assert "1120.1" in errors[9][0]["message"]
    assert "outside every community" in errors[10][0]["message"]
    assert job.report["duplicates"] == [
        {
            "row": 12,
            "reason": "same class within 1 m",
            "duplicate_of_row": 1,
            "distance_m": pytest.approx(0.28, abs=0.05),
        }
    ]
    rejected = {int(r["row"]): r for r in read_rejected(job.rejected_file.read())}
    assert sorted(rejected) == [2, 3, 5, 6, 7, 8, 9, 10]
    assert rejected[6]["no"] == "A6" and rejected[6]["dbh"] == "abc"
    assert rejected[6]["field"] == "dbh" and "not a number" in rejected[6]["error"]
    assert rejected[3]["source_geometry"].startswith("LINESTRING")
    stored = {c.source_row: c for c in Component.objects.filter(source_name="messy.geojson")}
    assert sorted(stored) == [1, 4, 11]
    assert stored[4].geometry.geom_type == "Point"  # a MultiPoint of one point, promoted
    assert stored[1].attributes == {"dbh_cm": 30} and stored[11].attributes == {"dbh_cm": 12.5}
    assert Component.objects.count() == before[0] + 3


@pytest.mark.parametrize("near_all_limit", [pipeline.NEAR_ALL_LIMIT, 0], ids=["all", "per-row"])
def test_reimport_updates_or_skips_instead_of_duplicating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, near_all_limit: int
) -> None:
    # both ways of reading the existing components: all around the batch, or near each row
    monkeypatch.setattr(pipeline_matching, "NEAR_ALL_LIMIT", near_all_limit)
    points = points_inside("330106001001", 5)
    path = write_geojson(
        tmp_path / "bins.geojson",
        [feature(point(x, y), kind="其他垃圾") for x, y in points],
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text("attributes:\n  bin_type: kind\n", encoding="utf-8")
    args = [path, "--user", "city_admin", "--class", "0305", "--mapping", mapping, *ORGS]
    code, job, out = run(*args)
    assert code == 0, out
    assert job.inserted == 5
    count = Component.objects.count()
    ids = set(Component.objects.filter(source_name="bins.geojson").values_list("id", flat=True))

    code, job, out = run(*args, "--on-duplicate", "update")
    assert code == 0, out
    assert (job.inserted, job.updated) == (0, 5)
    assert Component.objects.count() == count
    versions = Component.objects.filter(id__in=ids).values_list("version", flat=True)
    assert set(versions) == {2}
    assert ComponentHistory.objects.filter(changeset=job.changeset, action="update").count() == 5

    code, job, out = run(*args, "--on-duplicate", "skip")
    assert code == 3 and job.status == ImportStatus.NOTHING
    assert job.skipped == 5 and "matches existing component" in json.dumps(
        job.report["duplicates"], ensure_ascii=False
    )
    assert set(Component.objects.filter(id__in=ids).values_list("version", flat=True)) == {2}


def test_rows_outside_the_users_scope_are_errors_naming_the_row(tmp_path: Path) -> None:
    mine = points_inside("330106001001", 1)[0]  # street_admin's street
    theirs = points_inside("330106002001", 1)[0]  # another street
    path = write_geojson(tmp_path / "p.geojson", [feature(point(*mine)), feature(point(*theirs))])
    code, job, out = run(path, "--user", "street_admin", "--class", "0305", *ORGS, "--skip-invalid")
    assert code == 0, out
    assert job.inserted == 1 and job.rejected == 1
    (error,) = job.report["errors"]
    assert error["row"] == 2 and "may not create" in error["message"]
    assert "330106002001" in error["message"]


def test_command_needs_a_user_and_exits_non_zero_when_nothing_is_committed(
    tmp_path: Path,
) -> None:
    path = write_geojson(tmp_path / "far.geojson", [feature(point(2.35, 48.85))])
    with pytest.raises(CommandError, match="--user"):
        call_command("import_components", str(path), "--class", "0305", *ORGS)
    code, job, out = run(path, "--user", "city_admin", "--class", "0305", *ORGS)
    assert code == 1 and job.status == ImportStatus.REFUSED
    assert job.report["errors"][0]["row"] == 1
    code, job, out = run(path, "--user", "city_admin", "--class", "9999", *ORGS)
    assert code == 1 and "Unknown component class" in out
    code, job, out = run(tmp_path / "missing.geojson", "--user", "city_admin", *ORGS)
    assert code == 1 and "no such file" in out


# --- geometry checks -----------------------------------------------------------------------

EXTENTS = [Extent("3301", 119.0, 29.0, 121.0, 31.0, "杭州")]


def test_geometry_checks_promote_repair_and_explain() -> None:
    bowtie = shapely.Polygon([(120, 30), (120.01, 30.01), (120.01, 30), (120, 30.01), (120, 30)])
    raw = np.array(
        [
            shapely.Point(120.1, 30.1, 5.0),  # Z dropped
            shapely.MultiPoint([(120.1, 30.1)]),  # promoted
            bowtie,
            bowtie,
            shapely.LinearRing([(120, 30), (120.1, 30), (120.1, 30.1)]),  # promoted to a line
            shapely.Point(30.1, 120.1),  # swapped
            shapely.Point(120.1, 30.1),
        ],
        dtype=object,
    )
    kinds = ["point", "point", "polygon", "polygon", "line", "point", ""]
    plain = pipeline.check_geometries(raw, kinds, "EPSG:4490", EXTENTS)
    assert not plain.geometries[0].has_z and plain.geometries[1].geom_type == "Point"
    assert "Self-intersection" in plain.errors[2] and 2 not in plain.repaired
    assert plain.geometries[4].geom_type == "LineString"
    assert "swapped" in plain.errors[5]
    assert plain.geometries[6] is None and 6 not in plain.errors  # already failed: left alone
    repaired = pipeline.check_geometries(raw, kinds, "EPSG:4490", EXTENTS, repair=True)
    assert repaired.geometries[2].geom_type == "MultiPolygon" and repaired.geometries[2].is_valid
    assert repaired.repaired[2][0].startswith("Self-intersection")


def test_geometry_conversion_is_vectorised_and_matches_coords() -> None:
    from gis_app import coords

    xy = [(120.19, 30.27), (120.0, 30.0), (119.5, 29.5)]
    raw = np.array([shapely.Point(x, y) for x, y in xy], dtype=object)
    converted = pipeline.to_storage_crs(raw, "GCJ02")
    for (x, y), geom in zip(xy, converted, strict=True):
        assert geom.coords[0] == pytest.approx(coords.gcj02_to_wgs84(x, y), abs=1e-9)


def test_staged_ewkb_is_what_postgis_reads_back() -> None:
    """The hex EWKB staged for COPY (points encoded from their coordinate array, other
    types spliced from shapely's WKB) reads back in PostGIS as the same geometry, SRID 4490."""
    points = np.array(
        [shapely.Point(120.123456789012, 30.5), shapely.Point(-0.1, -89.9999999)], dtype=object
    )
    others = np.array(
        [points[0], shapely.LineString([(120, 30), (120.1, 30.2)]), shapely.box(120, 30, 121, 31)],
        dtype=object,
    )
    for geoms in (points, others):
        with connection.cursor() as cursor:
            for geom, hexed in zip(geoms, pipeline.ewkb_hex(geoms), strict=True):
                cursor.execute(
                    "SELECT ST_SRID(%s::geometry), ST_AsBinary(%s::geometry)", [hexed] * 2
                )
                srid, wkb = cursor.fetchone()
                assert srid == 4490
                assert shapely.from_wkb(bytes(wkb)).equals_exact(geom, 0)


def test_attribute_json_members_are_encoded_once_and_read_back_the_same() -> None:
    encode = pipeline.AttributesJSON(limit=3)
    documents = [
        {"species": "香樟", "dbh_cm": 50.8, "height_m": 15},
        {"species": "香樟", "dbh_cm": 50.8, "height_m": 15.0},  # 15 and 15.0 stay apart
        {"flag": True, "count": 1, "quote": 'a"b\\c\n', "list": [1, "二"], "none": None},
        {"species": "银杏", "flag": 1},  # beyond the limit: encoded without remembering
    ]
    with connection.cursor() as cursor:
        for document in documents * 2:
            text = encode(document)
            assert json.loads(text) == document
            assert [type(v) for v in json.loads(text).values()] == [
                type(v) for v in document.values()
            ]
            cursor.execute("SELECT %s::jsonb = %s::jsonb", [text, json.dumps(document)])
            assert cursor.fetchone()[0]
    assert len(encode.members) == 3


# --- mapping ---------------------------------------------------------------------------------


def test_value_conversions() -> None:
    assert [mp.to_boolean(v) for v in ("是", "否", "true", "FALSE", 1, "0", "Y", "n")] == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    with pytest.raises(mp.ValueProblem, match="yes/no"):
        mp.to_boolean("maybe")
    for text in (
        "2019-04-01",
        "2019/4/1",
        "2019.4.1",
        "2019年4月1日",
        "20190401",
        "2019-04-01T08:00",
    ):
        assert mp.to_date(text) == dt.date(2019, 4, 1)
    assert mp.to_date("4/1/2019", "%m/%d/%Y") == dt.date(2019, 4, 1)
    with pytest.raises(mp.ValueProblem, match="not a date"):
        mp.to_date("1/4/2019")
    assert (
        mp.to_integer("12") == 12 and mp.to_integer(12.0) == 12 and mp.to_integer("1,200") == 1200
    )
    with pytest.raises(mp.ValueProblem, match="whole number"):
        mp.to_integer("12.5")
    assert mp.to_number("12.5") == 12.5
    assert mp.convert(3.0, {"type": "string"}) == "3"
    assert mp.convert("免费", {"enum": ["免费", "收费"]}) == "免费"
    with pytest.raises(mp.ValueProblem, match="not one of"):
        mp.convert("free", {"enum": ["免费", "收费"]})


def test_mapping_files_are_checked_before_any_row() -> None:
    with pytest.raises(mp.MappingError, match="quotes"):
        mp.parse_mapping({"class": 301})
    with pytest.raises(mp.MappingError, match="unknown key"):
        mp.parse_mapping({"klass": "0301"})
    with pytest.raises(mp.MappingError, match="class_map"):
        mp.parse_mapping({"class_field": "类别"})
    mapping = mp.with_options(
        mp.parse_mapping({"name": "名称", "attributes": {"fee": {"field": "费用"}}}),
        class_code="0301",
        organizations={
            "owner": "HZ-CGJ",
            "maintainer": "HZ-CGJ",
            "competent_department": "杭州市城市管理局",
        },
    )
    with pytest.raises(mp.MappingError, match="'名称'"):
        mp.BoundMapping(mapping, ["费用"])
    bound = mp.BoundMapping(mapping, ["名称", "费用"])
    row = bound.row({"名称": ["公厕", None], "费用": ["免费", "贵"]}, 0)
    assert row.class_code == "0301" and row.name == "公厕" and row.attributes == {"fee": "免费"}
    assert not row.errors
    row = bound.row({"名称": ["公厕", None], "费用": ["免费", "贵"]}, 1)
    assert row.errors == (("费用", "attributes.fee", "'贵' is not one of 免费, 收费"),)
    with pytest.raises(mp.MappingError, match="no class of this import has the attribute"):
        mp.BoundMapping(
            mp.with_options(
                mp.parse_mapping({"attributes": {"capacity": "x"}}),
                class_code="0301",
                organizations={o: "HZ-CGJ" for o in mp.ORGANIZATION_FIELDS},
            ),
            ["x"],
        )


def test_each_row_gets_its_attribute_problems_when_values_repeat() -> None:
    """Attribute values are converted and checked once per distinct value: a repeated bad
    value is still reported on every row that holds it, and only there."""
    bound = mp.BoundMapping(
        mp.with_options(
            mp.parse_mapping({"attributes": {"dbh_cm": "dbh", "species": "sp"}}),
            class_code="0402",
            organizations={o: "HZ-CGJ" for o in mp.ORGANIZATION_FIELDS},
        ),
        ["dbh", "sp"],
    )
    columns = {
        "dbh": [30, 5000, "abc", 30, 5000, "12.5"],
        "sp": ["香樟", "香樟", "香樟", "字" * 500, "银杏", "银杏"],
    }
    rows = bound.rows(columns, range(6))
    problems = {j: [(t, m) for _f, t, m in r.errors] for j, r in enumerate(rows) if r.errors}
    assert sorted(problems) == [1, 2, 3, 4]
    assert [t for t, _m in problems[1]] == ["attributes.dbh_cm"] and "5000" in problems[1][0][1]
    assert problems[4] == problems[1]
    assert "not a number" in problems[2][0][1]
    assert [t for t, _m in problems[3]] == ["attributes.species"]
    assert rows[0].attributes == {"dbh_cm": 30, "species": "香樟"}
    assert rows[5].attributes == {"dbh_cm": 12.5, "species": "银杏"}


def test_every_field_maps_column_by_column_with_problems_in_field_order() -> None:
    """One batch through every kind of source: class by value (an unmapped value is an
    error, or a skip), texts with a length limit, a value map with a default, choices, a
    date with its format, organizations by field, numbers; each row's problems in the
    order of its fields, and values that repeat are converted once but reported on every
    row that holds them."""
    mapping = mp.parse_mapping(
        {
            "class_field": "kind",
            "class_map": {"tree": "0402", "1": "0401"},
            "name": "n",
            "address": {"field": "addr", "map": {"-": "无"}, "default": "未知"},
            "status": "st",
            "initial_date": {"field": "d", "format": "%d/%m/%Y"},
            "owner": {"field": "org", "by": "code"},
            "maintainer": {"field": "org", "by": "code"},
            "competent_department": {"value": "HZ-CGJ"},
            "attributes": {"dbh_cm": "dbh"},
        }
    )
    bound = mp.BoundMapping(mapping, ["kind", "n", "addr", "st", "d", "org", "dbh"])
    columns: dict[str, list[Any]] = {
        "kind": ["tree", 1.0, "bush", "tree", "tree", " tree ", None],
        "n": ["a", "b", "c", "名" * 201, "  e  ", "f", "g"],
        "addr": ["-", None, "x", "  ", "路1号", "-", "y"],
        "st": ["完好", "good", None, "broken?", "破损", "完好", None],
        "d": ["01/04/2019", None, None, "2019-04-01", "31/12/2020", "01/04/2019", None],
        "org": ["HZ-CGJ", "HZ-CGJ", "HZ-CGJ", "NOPE", None, "HZ-CGJ", "HZ-CGJ"],
        "dbh": [30, "12.5", None, 5000, "abc", 5000, 1],
    }
    rows = bound.rows(columns, range(7))
    org = Organization.objects.get(code="HZ-CGJ").pk
    assert [r.class_code for r in rows] == ["0402", "0401", None, "0402", "0402", "0402", None]
    assert [t for _f, t, _m in rows[2].errors] == ["class"] and "'bush'" in rows[2].errors[0][2]
    assert rows[6].errors[0][1] == "class"  # blank class value: not mapped either
    first = rows[0]
    assert (first.name, first.address, first.status) == ("a", "无", "good")
    assert first.initial_date == dt.date(2019, 4, 1) and first.attributes == {"dbh_cm": 30}
    assert first.organizations == {"owner": org, "maintainer": org, "competent_department": org}
    assert not first.errors and not rows[1].errors
    assert (rows[1].address, rows[1].status, rows[1].attributes) == (
        "未知",
        "good",
        {"dbh_cm": 12.5},
    )
    assert [t for _f, t, _m in rows[3].errors] == [
        "name",
        "status",
        "initial_date",
        "owner",
        "maintainer",
        "attributes.dbh_cm",
    ]
    assert rows[3].name == "" and rows[3].address == "未知"
    assert "unknown organization 'NOPE'" in rows[3].errors[3][2]
    assert [(f, t) for f, t, _m in rows[4].errors] == [
        ("org", "owner"),
        ("org", "maintainer"),
        ("dbh", "attributes.dbh_cm"),
    ]
    assert "empty" in rows[4].errors[0][2]
    assert (rows[4].name, rows[4].status, rows[4].initial_date) == (
        "e",
        "damaged",
        dt.date(2020, 12, 31),
    )
    assert [t for _f, t, _m in rows[5].errors] == ["attributes.dbh_cm"]
    assert rows[5].errors[0][2] == rows[3].errors[5][2]
    skipping = mp.BoundMapping(
        mp.parse_mapping(
            {
                "class_field": "kind",
                "class_map": {"tree": "0402"},
                "unmapped": "skip",
                **{o: {"value": "HZ-CGJ"} for o in mp.ORGANIZATION_FIELDS},
            }
        ),
        ["kind"],
    )
    skipped = skipping.rows({"kind": ["tree", "bush"]}, [0, 1])
    assert skipped[0].skip is None and skipped[1].skip == "class value 'bush' is not mapped"
    assert not skipped[1].errors


def test_polygon_class_with_repair_and_collections(tmp_path: Path) -> None:
    x, y = points_inside("330106001001", 1)[0]
    d = 0.0005
    bowtie = [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]
    square = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    shifted = [[px + 2 * d, py] for px, py in square]
    path = write_geojson(
        tmp_path / "green.geojson",
        [
            feature({"type": "Polygon", "coordinates": [bowtie]}, n="bowtie"),
            feature({"type": "MultiPolygon", "coordinates": [[square], [shifted]]}, n="multi"),
            feature({"type": "Point", "coordinates": [x, y]}, n="point"),
        ],
    )
    args = [path, "--user", "city_admin", "--class", "0405", "--name-field", "n", *ORGS]
    code, job, out = run(*args, "--dry-run")
    assert code == 1
    errors = {e["row"]: e["message"] for e in job.report["errors"]}
    assert "Self-intersection" in errors[1] and "repair" in errors[1]
    assert "needs a polygon, not a Point" in errors[3]
    code, job, out = run(*args, "--repair", "--skip-invalid")
    assert code == 0, out
    assert job.inserted == 2 and job.report["repaired_total"] == 1
    assert job.report["repaired"][0]["row"] == 1
    stored = {c.name: c for c in Component.objects.filter(source_name="green.geojson")}
    assert stored["bowtie"].geometry.geom_type == "MultiPolygon" and stored["bowtie"].geometry.valid
    assert stored["multi"].geometry.geom_type == "MultiPolygon"


def test_hostile_files_are_refused_whole(tmp_path: Path) -> None:
    import zipfile

    before = db_state()
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    code, job, out = run(empty, "--user", "city_admin", "--class", "0305", *ORGS)
    assert code == 1 and job.status == ImportStatus.REFUSED and "empty" in job.error
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../etc/points.geojson", '{"type": "FeatureCollection"}')
    code, job, out = run(evil, "--user", "city_admin", "--class", "0305", *ORGS)
    assert code == 1 and job.status == ImportStatus.REFUSED and ".." in job.error
    fine = tmp_path / "bins.zip"
    x, y = points_inside("330106001001", 1)[0]
    with zipfile.ZipFile(fine, "w") as archive:
        archive.writestr(
            "bins.geojson",
            json.dumps({"type": "FeatureCollection", "features": [feature(point(x, y))]}),
        )
    code, job, out = run(fine, "--user", "city_admin", "--class", "0305", *ORGS, "--dry-run")
    assert code == 0 and job.report["counts"]["insert"] == 1 and job.format == "GeoJSON"
    assert db_state() == before
    assert not AuditEvent.objects.filter(action="import.commit", result="success").exists()


def test_identifier_field_updates_and_stale_rows_fail_the_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    points = points_inside("330106001001", 2)
    path = write_geojson(tmp_path / "a.geojson", [feature(point(x, y)) for x, y in points])
    code, job, out = run(path, "--user", "city_admin", "--class", "0305", *ORGS)
    assert code == 0, out
    first, second = Component.objects.filter(source_name="a.geojson").order_by("source_row")
    # a second file names the components by identifier, from 10 m away, with new names
    moved = [(x + 0.0001, y) for x, y in points]
    path = write_geojson(
        tmp_path / "b.geojson",
        [
            feature(point(*moved[0]), id=first.identifier, name="东"),
            feature(point(*moved[1]), id=second.identifier, name="西"),
            feature(point(*moved[1]), id="3301060305999999", name="无"),
        ],
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text("identifier: id\nname: name\n", encoding="utf-8")
    args = [path, "--user", "city_admin", "--class", "0305", "--mapping", mapping, *ORGS]
    code, job, out = run(*args, "--skip-invalid", "--dry-run")
    assert job.report["counts"] == {"insert": 0, "update": 2, "skip": 0, "error": 1, "rows": 3}
    assert job.report["errors"][0] == {
        "row": 3,
        "field": "id",
        "target": "identifier",
        "message": "there is no component 3301060305999999.",
    }
    # someone edits the first component between the check and the commit: nothing is written
    real = pipeline.sql.update_staged

    def edit_meanwhile(**kwargs: Any) -> Any:
        Component.objects.filter(pk=first.pk).update(version=7)
        return real(**kwargs)

    monkeypatch.setattr(pipeline.sql, "update_staged", edit_meanwhile)
    before = db_state()
    code, job, out = run(*args, "--skip-invalid")
    assert code == 1 and job.status == ImportStatus.FAILED
    assert first.identifier in job.error and "changed" in job.error
    assert db_state() == before
    first.refresh_from_db()
    assert first.version == 1 and first.name == ""  # the edit in the test rolled back too
    monkeypatch.setattr(pipeline.sql, "update_staged", real)
    code, job, out = run(*args, "--skip-invalid")
    assert code == 0 and job.updated == 2
    first.refresh_from_db()
    assert (first.version, first.name) == (2, "东")
    assert metres((first.geometry.x, first.geometry.y), moved[0]) < 0.01
    history = ComponentHistory.objects.get(identifier=first.identifier, version=2)
    assert history.action == "update" and history.changes["name"] == ["", "东"]
    assert "geometry" in history.changes
