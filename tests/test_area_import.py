"""Import of the administrative hierarchy and grid cells (issue 18, item 1): the real
下城区 street, community and grid files, the DataV districts (GCJ-02), the GBK city
shapefile, a crafted file breaking every rule, a re-import that moves a boundary and
re-derives components, and access. The real files are read from ``../shared/data``."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.utils import translation
from pyproj import Geod
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape

from component_catalog import sql as catalog_sql
from component_catalog.models import Component
from gis_app import coords
from gis_app.models import AuditEvent, AuditResult, Organization
from importers.areas import AreaFileOptions, read_area_features, run
from layers.area_import import AreaFeature, import_areas
from layers.models import AdminArea, AreaHistory, Building, GridCell
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.django_db

XIACHENG = SHARED_DATA / "hangzhou_xiacheng_community"
DATAV = SHARED_DATA / "hangzhou_admin" / "330100_full.json"
CITIES_GBK = SHARED_DATA / "china_cities_shp_gbk_nocpg" / "res2_4m.shp"
# The DataV outline (GCJ-02 converted) and the district's own street polygons disagree by
# up to ~200 m (文晖街道, measured: 199 m, 199,319 m2 outside); the streets are imported
# against it with this stated tolerance.
STREET_TOLERANCE_M = 250.0


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data absent: {path} (the shared data set is not beside the checkout)")
    return path


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def root() -> Any:
    return get_user_model().objects.create_superuser("area_root", "root@example.org", "x-pass-2019")


def demo_user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def counts() -> tuple[int, int, int]:
    return AdminArea.objects.count(), GridCell.objects.count(), AreaHistory.objects.count()


def import_file(path: Path, level: str, user: Any, **options: Any) -> Any:
    read = {
        k: options.pop(k)
        for k in ("code_field", "name_field", "parent_field", "parent", "crs", "encoding")
        if k in options
    }
    report, _info = run(
        path, level, AreaFileOptions(**read), user=user, comment="test import", **options
    )
    return report


def real_city_outline(user: Any) -> None:
    """The test database's generated city outline replaced by the union of the real
    districts (as a city's own import would): a re-import of the city."""
    features, _info = read_area_features(
        need(DATAV), AreaFileOptions(code_field="adcode", name_field="name", crs="GCJ02")
    )
    city = shapely.union_all([f.geometry for f in features])
    report = import_areas(
        [AreaFeature(1, "330100", "杭州市", None, city)], "city", user=user, comment="outline"
    )
    assert report.ok and report.counts["update"] == 1, report.lines()


def load_xiacheng_district(user: Any) -> None:
    """下城区 330103 from the DataV file (GCJ-02), with its neighbour 西湖区 330106 (the test
    database holds a generated 西湖区 that overlaps the real 下城区: refused otherwise)."""
    features, info = read_area_features(
        need(DATAV), AreaFileOptions(code_field="adcode", name_field="name", crs="GCJ02")
    )
    assert info.crs == "GCJ02"
    chosen = [f for f in features if f.code in ("330103", "330106")]
    report = import_areas(chosen, "district", user=user, comment="DataV 330103 and 330106")
    assert report.ok and report.stored, report.lines()


def load_xiacheng_streets(user: Any) -> Any:
    return import_file(
        XIACHENG / "xiacheng_streets.geojson",
        "street",
        user,
        code_field="街道编码",
        name_field="街道",
        parent="330103",
        codes_by_name=True,
        tolerance_m=STREET_TOLERANCE_M,
    )


# --- the real 下城区 hierarchy ---------------------------------------------------------------


def test_xiacheng_streets_communities_and_grids(root: Any) -> None:
    need(XIACHENG / "xiacheng_streets.geojson")
    load_xiacheng_district(root)

    # The default 30 m tolerance refuses 文晖街道 against the DataV outline, naming it and
    # the area outside; nothing is stored.
    before = counts()
    refused = import_file(
        XIACHENG / "xiacheng_streets.geojson",
        "street",
        root,
        code_field="街道编码",
        name_field="街道",
        parent="330103",
        codes_by_name=True,
    )
    assert not refused.stored and counts() == before
    wenhui = next(f for f in refused.features if f.name == "文晖街道")
    assert [e.kind for e in wenhui.errors] == ["outside_parent"]
    outside = wenhui.errors[0].data["area_m2"]
    assert 150_000 < outside < 250_000  # measured 199,319 m2
    text = "\n".join(refused.lines())
    assert "文晖街道" in text and f"{outside:.0f} m2 outside" in text
    assert "330103" in text

    streets = load_xiacheng_streets(root)
    assert streets.ok and streets.stored, streets.lines()
    assert AdminArea.objects.filter(level="street", parent_id="330103").count() == 8
    shiqiao = AdminArea.objects.get(name="石桥街道")
    assert (shiqiao.code, shiqiao.source_code, shiqiao.version) == ("330103009", "SQ", 1)
    assert {f.mapping for f in streets.features} == {"by_name"}

    communities = import_file(
        XIACHENG / "xiacheng_communities.geojson",
        "community",
        root,
        code_field="社区编码",
        name_field="社区",
        parent_field="街道编码",
        codes_by_name=True,
    )
    assert communities.ok and communities.stored, communities.lines()
    assert communities.counts["rows"] == 90 and communities.counts["features"] == 75
    stored = AdminArea.objects.filter(level="community", code__startswith="330103")
    assert stored.count() == 75
    huafeng = AdminArea.objects.get(source_code="SQ-3")
    assert (huafeng.code, huafeng.name, huafeng.parent_id) == (
        "330103009002",
        "华丰社区",
        "330103009",
    )
    assert huafeng.boundary.num_geom == 2  # two features of SQ-3 merged
    generated = [f for f in communities.features if f.mapping == "generated"]
    assert [(f.source_code, f.name) for f in generated] == [("WH-99", "外网格区域")]
    assert generated[0].code.startswith("330103") and generated[0].code[-3] == "9"
    assert sum(f.mapping == "by_name" for f in communities.features) == 74

    # 332 grid features, 297 codes; one ring self-intersects (SQ-1-6): refused without
    # repair, naming the row; repaired on request.
    grids_path = XIACHENG / "xiacheng_grids.geojson"
    grid_options = {"code_field": "网格编号", "name_field": "所属组织"}
    before = counts()
    bad = import_file(grids_path, "grid", root, **grid_options)
    assert not bad.stored and counts() == before
    (invalid,) = bad.refused
    assert invalid.source_code == "SQ-1-6" and invalid.errors[0].kind == "invalid"
    assert "Self-intersection" in invalid.errors[0].text
    started = time.perf_counter()
    grids = import_file(grids_path, "grid", root, repair=True, **grid_options)
    seconds = time.perf_counter() - started
    print(f"importing the 332 Xiacheng grid features took {seconds:.1f} s")
    assert grids.ok and grids.stored, grids.lines()
    cells = GridCell.objects.filter(code__startswith="330103")
    assert cells.count() == 297
    assert {f.mapping for f in grids.features} == {"generated"}
    cell = GridCell.objects.get(source_code="SQ-3-2")
    assert (cell.code, cell.community_id) == ("330103009002002", "330103009002")
    assert all(len(c) == 15 for c in cells.values_list("code", flat=True))

    # Re-importing the same file changes nothing and keeps every generated code.
    codes = dict(cells.values_list("source_code", "code"))
    again = import_file(grids_path, "grid", root, repair=True, **grid_options)
    assert (
        again.counts["unchanged"] == 297 and dict(cells.values_list("source_code", "code")) == codes
    )


def test_datav_districts_are_converted_from_gcj02(root: Any) -> None:
    raw = json.loads(need(DATAV).read_text(encoding="utf-8"))
    features, _info = read_area_features(
        DATAV, AreaFileOptions(code_field="adcode", name_field="name", crs="GCJ02")
    )
    real_city_outline(root)
    districts = import_areas(features, "district", user=root, comment="DataV districts")
    assert districts.ok and districts.stored, districts.lines()
    # the generated streets of the test database's 西湖区 now lie partly outside the real
    # 西湖区: reported, kept
    (stale,) = [w for w in districts.warnings if w.kind == "children_outside"]
    assert stale.data["code"] == "330106" and stale.data["children"]
    assert AdminArea.objects.filter(level="district").count() == 13
    xihu = AdminArea.objects.get(code="330106")
    assert xihu.name == "西湖区" and xihu.version == 2
    # A vertex: the stored one is the file's GCJ-02 vertex converted by gis_app.coords.
    first = next(f for f in raw["features"] if f["properties"]["adcode"] == 330103)
    lon, lat = first["geometry"]["coordinates"][0][0][0]
    expected = coords.gcj02_to_wgs84(lon, lat)
    stored = AdminArea.objects.get(code="330103").boundary
    got = stored[0][0][0]
    assert got == pytest.approx(expected, abs=1e-9)
    assert abs(got[0] - lon) > 1e-3  # really moved (about 500 m)


def test_gbk_city_points_are_refused_naming_hangzhou(root: Any) -> None:
    before = counts()
    # Without a CRS the file is refused: the shapefile has no .prj, and none is guessed.
    with pytest.raises(Exception) as missing:
        import_file(need(CITIES_GBK), "city", root, code_field="ADCODE99", name_field="NAME")
    assert getattr(missing.value, "field", None) == "crs"
    report = import_file(
        CITIES_GBK, "city", root, code_field="ADCODE99", name_field="NAME", crs="EPSG:4326"
    )
    assert not report.stored and counts() == before
    hangzhou = next(f for f in report.features if f.source_code == "330101")
    assert hangzhou.name == "杭州"
    assert hangzhou.errors[0].kind == "geometry_type"
    assert "杭州" in "\n".join(report.lines())
    assert "Point" in hangzhou.errors[0].text


# --- a crafted file breaking each rule -----------------------------------------------------

STREET = box(120.1625, 30.3025, 120.1825, 30.3225)  # inside 下城区 (DataV, converted)


def crafted_street(user: Any) -> None:
    load_xiacheng_district(user)
    report = import_areas(
        [AreaFeature(1, "330103009", "石桥街道", "330103", STREET)],
        "street",
        user=user,
        comment="crafted street",
    )
    assert report.ok and report.stored, report.lines()


def write_geojson(path: Path, rows: list[tuple[str, str, Any]]) -> Path:
    features = [
        {"type": "Feature", "properties": {"code": c, "name": n}, "geometry": mapping(g)}
        for c, n, g in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


BOWTIE = Polygon([(0.011, 0.011), (0.019, 0.019), (0.019, 0.011), (0.011, 0.019)])
# Communities of the crafted street, placed relative to its south-west corner.
CRAFTED = [
    ("330103009001", "好社区", box(0.001, 0.001, 0.009, 0.009)),
    ("330103009002", "出界社区", box(0.015, 0.001, 0.025, 0.009)),  # half outside
    ("330103009003", "重叠社区", box(0.005, 0.005, 0.010, 0.010)),  # over row 1
    ("33010300904", "错码社区", box(0.001, 0.011, 0.005, 0.015)),  # 11 digits
    ("330103009005", "蝴蝶社区", BOWTIE),  # a bow-tie ring
]
CRAFTED = [(c, n, translate(g, 120.1625, 30.3025)) for c, n, g in CRAFTED]


def test_a_crafted_file_is_refused_feature_by_feature(root: Any, tmp_path: Path) -> None:
    crafted_street(root)
    path = write_geojson(tmp_path / "crafted.geojson", CRAFTED)
    before = counts()
    report = import_file(path, "community", root, code_field="code", name_field="name")
    assert not report.stored and counts() == before
    by_row = {f.rows[0]: f for f in report.features}
    assert not by_row[1].errors[:0]  # row 1 is refused only for the overlap below
    assert [e.kind for e in by_row[2].errors] == ["outside_parent"]
    outside = CRAFTED[1][2].difference(STREET)  # independently: geodesic area on GRS80
    geodesic = abs(Geod(ellps="GRS80").geometry_area_perimeter(outside)[0])
    assert by_row[2].errors[0].data["area_m2"] == pytest.approx(geodesic, rel=0.002)
    assert by_row[2].errors[0].data["share"] == pytest.approx(0.5, abs=0.05)
    assert [e.kind for e in by_row[3].errors] == ["overlap"]
    assert "好社区" in by_row[3].errors[0].text
    assert [e.kind for e in by_row[1].errors] == ["overlap"]
    assert "重叠社区" in by_row[1].errors[0].text
    assert [e.kind for e in by_row[4].errors] == ["code"]
    assert "33010300904" in by_row[4].errors[0].text and "12 digits" in by_row[4].errors[0].text
    assert [e.kind for e in by_row[5].errors] == ["invalid"]
    assert "Self-intersection at 120.177500, 30.317500" in by_row[5].errors[0].text
    lines = "\n".join(report.lines())
    for row, (code, name, _g) in enumerate(CRAFTED, start=1):
        assert f"row {row}, code {code}, {name}: REFUSED" in lines

    # --repair fixes the bow-tie (two triangles); the good and the repaired one are stored.
    fine = write_geojson(tmp_path / "fine.geojson", [CRAFTED[0], CRAFTED[4]])
    repaired = import_file(
        fine, "community", root, code_field="code", name_field="name", repair=True
    )
    assert repaired.ok and repaired.stored, repaired.lines()
    butterfly = AdminArea.objects.get(code="330103009005")
    assert butterfly.boundary.valid and butterfly.boundary.num_geom == 2
    assert any("repaired" in note for note in repaired.features[1].notes)
    # gaps between the two communities inside the street are reported with their area
    (gap,) = repaired.warnings
    assert gap.data["parent"] == "330103009" and gap.data["area_m2"] > 100_000


# --- re-import: boundaries move, components follow ----------------------------------------


def components_around(a: AdminArea, b: AdminArea, n: int = 12) -> list[int]:
    """n x n components on a lattice over both communities (as a survey would place them)."""
    org = Organization.objects.get(code="HZ-CGJ")
    x0, y0, x1, y1 = a.boundary.union(b.boundary).extent
    points = [
        shapely.Point(x0 + (x1 - x0) * (i + 0.5) / n, y0 + (y1 - y0) * (j + 0.5) / n)
        for i in range(n)
        for j in range(n)
    ]
    located = catalog_sql.locate_many([shapely.to_wkb(p) for p in points])
    last = Component.objects.filter(county_code="330106", component_class_id="0402").count()
    ids = []
    pairs = zip(points, located, strict=True)
    for serial, (p, (community, grid)) in enumerate(pairs, start=900_000 + last):
        if community is None:
            continue
        c = Component.objects.create(
            identifier=f"3301060402{serial:06d}",
            county_code="330106",
            component_class_id="0402",
            serial=serial,
            geometry=GEOSGeometry(p.wkt, srid=4490),
            community_id=community,
            grid_cell_id=grid,
            competent_department=org,
            owner=org,
            maintainer=org,
            initial_date=dt.date(2019, 4, 1),
            change_date=dt.date(2019, 4, 1),
        )
        ids.append(c.pk)
    return ids


def neighbours() -> tuple[AdminArea, AdminArea]:
    communities = list(AdminArea.objects.filter(level="community", parent_id="330106001"))
    for a in communities:
        for b in communities:
            if a.code < b.code and a.boundary.intersection(b.boundary).length > 0.002:
                return a, b
    raise AssertionError("no neighbouring demo communities")


def as_shapely(geom: Any) -> Any:
    return shapely.from_wkb(bytes(geom.wkb))


def test_reimport_moves_a_boundary_and_rederives_components(root: Any) -> None:
    a, b = neighbours()
    ids = components_around(a, b)
    shape_a, shape_b = as_shapely(a.boundary), as_shapely(b.boundary)
    piece = shape_b.intersection(shape_a.buffer(0.003))  # a ~300 m strip of b along a
    new_a, new_b = shape_a.union(piece), shape_b.difference(piece)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM component_catalog_component WHERE id = ANY(%s) "
            "AND community_id = %s AND ST_Covers(ST_GeomFromText(%s, 4490), "
            "ST_PointOnSurface(geometry))",
            [ids, b.code, piece.wkt],
        )
        (expected,) = cursor.fetchone()
    assert expected > 0
    before_b = Component.objects.filter(pk__in=ids, community_id=b.code).count()
    # a building footprint inside the strip (its point on surface decides its community)
    spot = piece.representative_point()
    footprint = box(spot.x - 0.0001, spot.y - 0.0001, spot.x + 0.0001, spot.y + 0.0001)
    building = Building.objects.create(
        geometry=GEOSGeometry(MultiPolygon([footprint]).wkt, srid=4490), community_id=b.code
    )

    report = import_areas(
        [
            AreaFeature(1, a.code, a.name, None, new_a),
            AreaFeature(2, b.code, b.name, None, new_b),
        ],
        "community",
        user=root,
        comment="boundary moved by the street office",
    )
    assert report.ok and report.stored, report.lines()
    assert report.counts["update"] == 2
    # b's grid cells now reach out of b: reported (to be re-imported), kept
    (stale,) = [w for w in report.warnings if w.kind == "children_outside"]
    assert stale.data["code"] == b.code
    assert report.moved["components"] == expected
    assert report.moved["buildings"] == 1
    building.refresh_from_db()
    assert building.community_id == a.code
    # exactly the components of b in the strip moved, to a; the others stayed
    moved = Component.objects.filter(
        pk__in=ids, community_id=a.code, geometry__coveredby=GEOSGeometry(piece.wkt, srid=4490)
    )
    assert moved.count() == expected
    # their grid cell followed: one of a's cells or none (b's cells no longer hold them)
    assert not moved.exclude(grid_cell__isnull=True).exclude(grid_cell__code__startswith=a.code)
    assert Component.objects.filter(pk__in=ids, community_id=b.code).count() == (
        before_b - expected
    )
    a.refresh_from_db()
    assert a.version == 2
    history = AreaHistory.objects.filter(code=a.code).order_by("version")
    assert [h.version for h in history] == [2]
    assert history[0].comment == "boundary moved by the street office"
    assert "boundary" in history[0].changes
    assert as_shapely(history[0].boundary).equals(shape(mapping(new_a)))


# --- access --------------------------------------------------------------------------------


def test_a_street_admin_cannot_import_outside_their_street() -> None:
    street_admin = demo_user("street_admin")  # 北山街道 330106001
    other = AdminArea.objects.get(code="330106002001")
    before = counts()
    report = import_areas(
        [AreaFeature(7, other.code, other.name, None, as_shapely(other.boundary))],
        "community",
        user=street_admin,
        comment="not mine",
    )
    assert not report.stored and counts() == before
    (entry,) = report.features
    assert entry.errors[0].kind == "access" and "330106002" in entry.errors[0].text
    assert "row 7" in "\n".join(report.lines())
    denied = AuditEvent.objects.filter(
        action="adminarea.import", object_id=other.code, result=AuditResult.DENIED
    )
    assert denied.exists()
    # Their own street's community is theirs to re-import.
    mine = AdminArea.objects.get(code="330106001001")
    own = import_areas(
        [AreaFeature(1, mine.code, mine.name, None, as_shapely(mine.boundary))],
        "community",
        user=street_admin,
        comment="same again",
    )
    assert own.ok and own.counts["unchanged"] == 1


def test_a_system_job_imports_without_a_user_and_is_recorded_as_such() -> None:
    """The demo loader calls the service without a user: not access-checked, no actor."""
    ours = AdminArea.objects.get(code="330106001001")
    report = import_areas(
        [AreaFeature(1, ours.code, "保俶新村社区", None, as_shapely(ours.boundary))],
        "community",
        user=None,
        comment="demo loader",
    )
    assert report.ok and report.stored and report.counts["update"] == 1, report.lines()
    entry = AreaHistory.objects.get(code=ours.code)
    assert (entry.actor_id, entry.actor_username, entry.comment) == (None, "", "demo loader")
    event = AuditEvent.objects.filter(action="adminarea.update", object_id=ours.code).latest("id")
    assert event.actor_id is None and event.result == AuditResult.SUCCESS


def test_a_topojson_sheet_with_neighbours_sea_and_frame_is_refused_row_by_row(root: Any) -> None:
    """The MCA TopoJSON sheet mixes the districts with neighbouring cities, the sea, a
    frame and null geometries: each of those is named with its reason; nothing is stored."""
    sheet = need(SHARED_DATA / "hangzhou_admin" / "330100_mca.topojson")
    before = counts()
    report = import_file(sheet, "district", root, code_field="QUHUADAIMA", name_field="NAME")
    assert not report.stored and counts() == before
    reasons = {f.source_code: [e.kind for e in f.errors] for f in report.features}
    assert reasons["fanwei"] == ["code"]  # the frame: not a code
    assert reasons["hai"] == ["parent"]  # the sea lies in no stored city
    assert reasons["330100"] == ["code"]  # the city outline is not a district
    assert reasons["331000"] == ["code"]  # 台州市: a city code
    texts = {f.source_code: " ".join(e.text for e in f.errors) for f in report.features}
    assert "330100 is a city code, not a district code" in texts["330100"]
    assert "has no geometry" in texts["341000"]  # one of 黄山市's three rows is empty
    assert len(report.features) == 25  # 27 rows, 黄山市 three times


def write_with_gdal(path: Path, rows: list[tuple[str, str, Any]], crs: str | None) -> Path:
    """The rows as a GeoPackage or KML written by GDAL (as a GIS would export them)."""
    import pyogrio.raw
    from pyproj import CRS

    pyogrio.raw.write(
        str(path),
        np.array([shapely.to_wkb(g) for _c, _n, g in rows], dtype=object),
        [
            np.array([c for c, _n, _g in rows], dtype=object),
            np.array([n for _c, n, _g in rows], dtype=object),
        ],
        ["code", "name"],
        geometry_type="Polygon",
        crs=CRS.from_user_input(crs).to_wkt() if crs else None,
        driver={".gpkg": "GPKG", ".kml": "KML"}[path.suffix],
    )
    return path


@pytest.mark.parametrize(("suffix", "name_field"), [("gpkg", "name"), ("kml", "Name")])
def test_geopackage_and_kml_are_read_and_refused_alike(
    root: Any, tmp_path: Path, suffix: str, name_field: str
) -> None:
    crafted_street(root)
    path = write_with_gdal(tmp_path / f"crafted.{suffix}", CRAFTED, "EPSG:4490")
    before = counts()
    report = import_file(path, "community", root, code_field="code", name_field=name_field)
    assert not report.stored and counts() == before
    assert {f.name for f in report.features} == {n for _c, n, _g in CRAFTED}
    kinds = {f.source_code: [e.kind for e in f.errors] for f in report.features}
    assert kinds["330103009002"] == ["outside_parent"]
    assert kinds["33010300904"] == ["code"]
    assert kinds["330103009005"] == ["invalid"]
    assert [f.rows for f in report.features] == [[1], [2], [3], [4], [5]]


def test_bd09_coordinates_are_converted(root: Any, tmp_path: Path) -> None:
    """A street drawn on a Baidu map (BD-09): stored in CGCS2000 through gis_app.coords."""
    load_xiacheng_district(root)
    bd = shapely.transform(STREET, lambda xy: np.array([coords.wgs84_to_bd09(x, y) for x, y in xy]))
    path = write_geojson(tmp_path / "bd09.geojson", [("330103009", "石桥街道", bd)])
    report = import_file(path, "street", root, code_field="code", name_field="name", crs="BD09")
    assert report.ok and report.stored, report.lines()
    stored = AdminArea.objects.get(code="330103009").boundary
    lon, lat = shapely.get_coordinates(bd)[0]
    assert stored[0][0][0] == pytest.approx(coords.bd09_to_wgs84(lon, lat), abs=1e-9)
    # and within a metre of where it was drawn (the conversion's own round trip)
    x0, y0 = shapely.get_coordinates(STREET)[0]
    assert stored[0][0][0] == pytest.approx((x0, y0), abs=1e-5)
