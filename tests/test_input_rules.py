"""Issue 15, finding 11: validation rules on every write path. Future change dates, PATCHes
that change nothing or try to change read-only properties, GeoJSON that RFC 7946 does not
allow (coordinates as strings, wrong nesting, unclosed rings), and geometries beyond the
class's maximum area or vertex count are refused with a 400 naming the field, and change
nothing; the importer reports the same per row; the base layers apply the same checks."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from component_catalog.admin import ComponentClassForm
from component_catalog.models import Component, ComponentClass, ComponentHistory
from gis_app import coords
from importers.models import ImportJob
from layers.basemap.models import BaseFeature, Building
from layers.models import AdminArea, GridCell
from tests.components_helpers import Api, inside, manhole

pytestmark = pytest.mark.django_db

URL = "/api/v1/components/"
BUILDINGS = "/api/v1/buildings/"
FEATURES = "/api/v1/base-features/"


def beyond_today() -> dt.date:
    """The first date the platform must refuse: after today in Asia/Shanghai, past any
    grace for clock skew."""
    return timezone.localdate(timezone.now() + dt.timedelta(minutes=10)) + dt.timedelta(days=1)


def created(api: Api, feature: dict[str, Any]) -> dict[str, Any]:
    response = api.create(feature)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def refused(response: Any, field: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field, body
    return str(body["detail"])


def square(center: list[float], half_deg: float, vertices: int = 4) -> dict[str, Any]:
    """A closed ring around ``center``: a square (4 corners), or a circle of ``vertices``."""
    x, y = center
    if vertices == 4:
        ring = [[x - half_deg, y - half_deg], [x + half_deg, y - half_deg]]
        ring += [[x + half_deg, y + half_deg], [x - half_deg, y + half_deg]]
    else:
        ring = [
            [
                x + half_deg * math.cos(2 * math.pi * k / vertices),
                y + half_deg * math.sin(2 * math.pi * k / vertices),
            ]
            for k in range(vertices)
        ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def parking(geometry: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "class": "0201",
            "name": "停车场",
            "competent_department": "XH-CGJ",
            "owner": "XH-CGJ",
            "maintainer": "XH-CGJ",
            "attributes": {},
        },
    }


def district_outline() -> dict[str, Any]:
    boundary = AdminArea.objects.get(code="330106").boundary
    polygon = max(boundary, key=lambda p: p.area)  # the district's (largest) part
    return {"type": "Polygon", "coordinates": [list(map(list, polygon.exterior_ring.coords))]}


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["change_date", "initial_date"])
def test_future_dates_are_refused(name: str) -> None:
    water = Api("surveyor_water")
    before = Component.objects.count()
    feature = manhole(at=inside(shift=0.00012), **{name: beyond_today().isoformat()})
    detail = refused(water.create(feature), f"properties.{name}")
    assert "future" in detail or "将来" in detail or "未来" in detail
    assert Component.objects.count() == before
    ident = created(water, manhole(at=inside(shift=0.00014)))["id"]
    patch = {"properties": {"version": 1, name: beyond_today().isoformat()}, "comment": "x"}
    refused(water.patch(f"{URL}{ident}/", patch), f"properties.{name}")
    # today is fine
    today = {"properties": {"version": 1, "change_date": str(timezone.localdate())}}
    assert water.patch(f"{URL}{ident}/", {**today, "comment": "今日"}).status_code == 200


# --- PATCH without effect, read-only properties ----------------------------------------------


def test_a_patch_that_changes_nothing_keeps_version_and_history() -> None:
    water = Api("surveyor_water")
    feature = created(water, manhole(at=inside(shift=0.00016)))
    ident, props = feature["id"], feature["properties"]
    echo = {k: props[k] for k in ("identifier", "community", "class", "version", "name")}
    for body in ({"version": 1}, echo):
        response = water.patch(f"{URL}{ident}/", {"properties": body, "comment": "无变化"})
        assert response.status_code == 200, response.content
        assert response.json()["properties"]["version"] == 1
        assert response["ETag"] == '"1"'
    assert Component.objects.get(identifier=ident).version == 1
    assert ComponentHistory.objects.filter(identifier=ident).count() == 1  # the creation
    # a stale version is still a conflict, even with nothing to change
    water.patch(f"{URL}{ident}/", {"properties": {"version": 1, "name": "新"}, "comment": "改"})
    stale = water.patch(f"{URL}{ident}/", {"properties": {"version": 1}, "comment": "x"})
    assert stale.status_code == 409


@pytest.mark.parametrize(
    ("name", "value"),
    [("identifier", "3301060101999999"), ("community", "330106002001"), ("currency", "retired")],
)
def test_read_only_properties_with_another_value_are_refused(name: str, value: str) -> None:
    water = Api("surveyor_water")
    ident = created(water, manhole(at=inside(shift=0.00018)))["id"]
    body = {"properties": {"version": 1, name: value}, "comment": "改只读"}
    detail = refused(water.patch(f"{URL}{ident}/", body), f"properties.{name}")
    assert f"properties.{name}" in detail
    stored = Component.objects.get(identifier=ident)
    assert stored.version == 1 and stored.currency == "in_use"
    assert ComponentHistory.objects.filter(identifier=ident).count() == 1


# --- GeoJSON structure -----------------------------------------------------------------------


def test_coordinates_must_be_numbers_nested_as_the_type_says() -> None:
    water = Api("surveyor_water")
    before = Component.objects.count()
    x, y = inside(shift=0.0002)
    for coordinates in ([str(x), str(y)], [[x, y]], [x], [x, y, 1.0, 2.0], [True, y]):
        feature = manhole()
        feature["geometry"] = {"type": "Point", "coordinates": coordinates}
        refused(water.create(feature), "geometry")
    assert Component.objects.count() == before


def test_unclosed_polygon_rings_are_refused() -> None:
    worker = Api("community_worker")
    closed = square(inside("330106001001", 3), 0.0001)
    unclosed = {"type": "Polygon", "coordinates": [closed["coordinates"][0][:-1]]}
    detail = refused(worker.create(parking(unclosed)), "geometry")
    assert "closed" in detail or "闭合" in detail
    assert created(worker, parking(closed))["properties"]["class"] == "0201"


# --- size limits per class -------------------------------------------------------------------


def test_a_polygon_covering_the_district_is_refused() -> None:
    admin = Api("district_admin")
    before = Component.objects.count()
    detail = refused(admin.create(parking(district_outline())), "geometry")
    assert "km²" in detail
    assert Component.objects.count() == before


def test_too_many_vertices_are_refused_and_the_limit_is_the_classes() -> None:
    admin = Api("district_admin")
    center = inside("330106001001", 4)
    many = square(center, 0.0003, vertices=6_000)  # about 60 m across, 6,000 vertices
    refused(admin.create(parking(many)), "geometry")
    huge = square(center, 0.0003, vertices=100_000)
    refused(admin.create(parking(huge)), "geometry")
    # the limits are the class's, editable in the admin
    assert {"max_area_m2", "max_vertices"} <= set(ComponentClassForm().fields)
    ComponentClass.objects.filter(code="0201").update(max_vertices=10_000, max_area_m2=5_000)
    assert admin.create(parking(many)).status_code == 201
    bigger = square(center, 0.0006)  # about 130 m x 130 m: over 5,000 m²
    refused(admin.create(parking(bigger)), "geometry")


def test_gcj02_input_still_lands_where_it_should() -> None:
    water = Api("surveyor_water")
    lon, lat = inside(shift=0.00022)
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    feature = manhole(at=[g_lon, g_lat])
    response = water.post(f"{URL}?crs=GCJ02", {**feature, "comment": "高德坐标"})
    assert response.status_code == 201, response.content
    body = response.json()
    x, y = body["geometry"]["coordinates"]
    assert abs(x - lon) < 1e-6 and abs(y - lat) < 1e-6


# --- the importer ----------------------------------------------------------------------------


def test_import_reports_each_row_beyond_the_rules(tmp_path: Path) -> None:
    center = inside("330106001001", 2)
    rows = [
        ("ok", square(center, 0.0001), "2019-04-01"),
        ("district", district_outline(), "2019-04-01"),
        ("detailed", square([center[0] + 0.002, center[1]], 0.0003, vertices=6_000), None),
        ("future", square([center[0] - 0.002, center[1]], 0.0001), beyond_today().isoformat()),
    ]
    features = [
        {"type": "Feature", "geometry": g, "properties": {"NAME": n, "BUILT": d}}
        for n, g, d in rows
    ]
    path = tmp_path / "lots.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"initial_date": {"field": "BUILT"}}))
    last = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with translation.override("en"), pytest.raises(CommandError, match="refused"):
        call_command(
            "import_components",
            str(path),
            "--user",
            "district_admin",
            "--class",
            "0201",
            "--name-field",
            "NAME",
            "--crs",
            "EPSG:4490",
            "--mapping",
            str(mapping),
            "--owner",
            "XH-CGJ",
            "--maintainer",
            "XH-CGJ",
            "--competent-department",
            "XH-CGJ",
            "--dry-run",
            stdout=io.StringIO(),
        )
    job = ImportJob.objects.filter(id__gt=last).get()
    errors = {e["row"]: e for e in job.report["errors"]}
    assert sorted(errors) == [2, 3, 4]
    assert errors[2]["field"] == "geometry" and "km²" in errors[2]["message"]
    assert errors[3]["field"] == "geometry" and "vertices" in errors[3]["message"]
    assert errors[4]["field"] == "BUILT" and "future" in errors[4]["message"]
    assert job.report["counts"]["insert"] == 1


# --- the base layers -------------------------------------------------------------------------


@pytest.fixture
def admin() -> Api:
    return Api("district_admin")


def test_base_layers_refuse_the_same_geometries(admin: Api) -> None:
    before = (Building.objects.count(), BaseFeature.objects.count())
    p = GridCell.objects.get(code="330106001001002").boundary.point_on_surface
    closed = square([p.x, p.y], 0.00005)
    unclosed = {"type": "Polygon", "coordinates": [closed["coordinates"][0][:-1]]}
    as_text = {
        "type": "Polygon",
        "coordinates": [[[str(x), str(y)] for x, y in closed["coordinates"][0]]],
    }
    for geometry in (unclosed, as_text, district_outline()):
        refused(admin.post(BUILDINGS, {"geometry": geometry, "comment": "x"}), "geometry")
        body = {"geometry": geometry, "properties": {"kind": "green"}, "comment": "x"}
        refused(admin.post(FEATURES, body), "geometry")
    line = {"type": "LineString", "coordinates": [[p.x, p.y]]}
    body = {"geometry": line, "properties": {"kind": "road"}, "comment": "x"}
    refused(admin.post(FEATURES, body), "geometry")
    assert (Building.objects.count(), BaseFeature.objects.count()) == before
    ok = admin.post(BUILDINGS, {"geometry": closed, "comment": "新建筑"})
    assert ok.status_code == 201, ok.content


def test_base_layer_patches_without_effect_or_on_read_only_properties(admin: Api) -> None:
    from layers.basemap.models import BaseHistory

    p = GridCell.objects.get(code="330106001001002").boundary.point_on_surface
    made = admin.post(BUILDINGS, {"geometry": square([p.x, p.y], 0.00004), "comment": "新建"})
    assert made.status_code == 201, made.content
    pk, props = made.json()["id"], made.json()["properties"]
    url = f"{BUILDINGS}{pk}/"
    echo = {"version": 1, "community": props["community"], "name": props["name"]}
    same = admin.patch(url, {"properties": echo, "comment": "无变化"})
    assert same.status_code == 200 and same.json()["properties"]["version"] == 1
    moved = admin.patch(url, {"properties": {"version": 1, "community": "330106002001"}})
    refused(moved, "properties.community")
    assert Building.objects.get(pk=pk).version == 1
    assert BaseHistory.objects.filter(object_key=f"building:{pk}").count() == 1
