"""The four-level hierarchy: lookups, constraints, the demo partition, real boundaries."""

import json

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import IntegrityError, transaction

from layers import services
from layers.models import AdminArea, GridCell
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.django_db

XIACHENG = SHARED_DATA / "hangzhou_xiacheng_community"


def square(x, y, d=0.001):
    return MultiPolygon(Polygon.from_bbox((x, y, x + d, y + d)), srid=4490)


def test_descendants_by_code_prefix():
    district = AdminArea.objects.descendants_of("330106")
    assert district.filter(level="street").count() == 6
    assert district.filter(level="community").count() == 30
    city = AdminArea.objects.descendants_of("330100")
    assert city.count() == 37  # the district, 6 streets, 30 communities
    assert (
        not AdminArea.objects.descendants_of("330106001")
        .exclude(code__startswith="330106001")
        .exists()
    )
    assert [a.code for a in AdminArea.objects.ancestors_of("330106001002")] == [
        "330100",
        "330106",
        "330106001",
    ]


def test_demo_children_tile_their_parents():
    """Streets cover the district, communities their street, grids their community:
    no gaps, no overlaps (areas in square degrees, tolerance ~1 m^2)."""
    # (the demo city holds only the demo district, so start at the district)
    for parent in AdminArea.objects.filter(level__in=["district", "street"]):
        children = list(AdminArea.objects.filter(parent=parent))
        if not children:
            continue
        total = sum(c.boundary.area for c in children)
        assert total == pytest.approx(parent.boundary.area, abs=1e-9), parent.code
        union = children[0].boundary
        for c in children[1:]:
            union = union.union(c.boundary)
        assert union.sym_difference(parent.boundary).area < 1e-9, parent.code
    for community in AdminArea.objects.filter(level="community"):
        cells = list(community.grid_cells.all())
        assert len(cells) == 4
        assert sum(c.boundary.area for c in cells) == pytest.approx(
            community.boundary.area, abs=1e-9
        )


def test_locate_finds_community_and_grid_for_a_point(django_user_model):
    cell = GridCell.objects.get(code="330106001002003")
    inside = cell.boundary.point_on_surface
    user = django_user_model.objects.get(username="district_admin")
    found = services.locate(user, inside)
    assert found["grid"]["code"] == "330106001002003"
    assert found["community"]["code"] == "330106001002"
    assert found["street"]["code"] == "330106001"
    assert found["district"]["name"] == "西湖区"


def test_locate_api_hides_what_the_caller_may_not_see(api_as):
    cell = GridCell.objects.get(code="330106002001001")
    p = cell.boundary.point_on_surface
    url = f"/api/v1/areas/locate/?lon={p.x}&lat={p.y}"
    anonymous = api_as(None).get(url).json()
    assert anonymous["street"]["code"] == "330106002"
    assert anonymous["community"] is None and anonymous["grid"] is None
    admin = api_as("district_admin").get(url).json()
    assert admin["grid"]["code"] == "330106002001001"
    outside = api_as("district_admin").get("/api/v1/areas/locate/?lon=100&lat=40").json()
    assert all(v is None for v in outside.values())


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lon=abc&lat=30", "lon"),
        ("lon=120", "lat"),
        ("lon=1120.17&lat=30.2", "lon"),
        ("lon=120&lat=nan", "lat"),
    ],
)
def test_locate_rejects_bad_coordinates_naming_the_field(api_as, query, field):
    response = api_as(None).get(f"/api/v1/areas/locate/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("query", "field"),
    [("level=province", "level"), ("parent=33A106", "parent"), ("under=1234567", "under")],
)
def test_list_filters_reject_bad_values(api_as, query, field):
    response = api_as("district_admin").get(f"/api/v1/areas/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_geojson_output_is_lon_lat():
    """CGCS2000 is stored with lon/lat axis order; GeoJSON (RFC 7946) must say lon first."""
    from django.test import Client

    body = Client().get("/api/v1/areas/330106/").json()
    lon, lat = body["geometry"]["coordinates"][0][0][0]
    assert 119 < lon < 121 and 29 < lat < 31


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"code": "3301061", "level": "district", "parent_id": "330100"}, "code length"),
        ({"code": "330106009", "level": "district", "parent_id": "330100"}, "level/code"),
        ({"code": "330107001", "level": "street", "parent_id": "330106"}, "parent mismatch"),
        ({"code": "330106009", "level": "street", "parent_id": None}, "missing parent"),
    ],
)
def test_database_refuses_inconsistent_areas(fields, why):
    with pytest.raises(IntegrityError), transaction.atomic():
        AdminArea.objects.create(name=why, boundary=square(120.1, 30.2), **fields)


def test_database_refuses_invalid_or_wrongly_referenced_boundaries():
    bowtie = GEOSGeometry(
        "MULTIPOLYGON(((120 30, 120.01 30.01, 120.01 30, 120 30.01, 120 30)))", srid=4490
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AdminArea.objects.create(
            code="330106009", level="street", parent_id="330106", name="x", boundary=bowtie
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        GridCell.objects.create(
            code="330106002001009", community_id="330106001001", boundary=square(120.1, 30.2)
        )


def _load_xiacheng():
    """Load the real Xiacheng street/community/grid boundaries under synthetic numeric
    codes (the source uses letter codes such as SQ-3-2)."""
    from shapely.geometry import shape
    from shapely.validation import make_valid

    def multi(geometry):
        geom = make_valid(shape(geometry))
        wkt = geom.wkt if geom.geom_type == "MultiPolygon" else f"MULTIPOLYGON(({geom.wkt[9:-1]}))"
        return GEOSGeometry(wkt, srid=4490)

    def features(name):
        with open(XIACHENG / name, encoding="utf-8") as fh:
            return json.load(fh)["features"]

    AdminArea.objects.filter(code="330103").delete()
    AdminArea.objects.create(
        code="330103",
        level="district",
        name="下城区",
        parent_id="330100",
        boundary=square(120.1, 30.2, 0.2),
    )
    street_codes, community_codes = {}, {}
    for i, f in enumerate(features("xiacheng_streets.geojson"), start=1):
        code = f"330103{i:03d}"
        street_codes[f["properties"]["街道编码"]] = code
        AdminArea.objects.create(
            code=code,
            level="street",
            name=f["properties"]["街道"],
            parent_id="330103",
            boundary=multi(f["geometry"]),
        )
    per_street = {}
    for f in features("xiacheng_communities.geojson"):
        props = f["properties"]
        street = street_codes[props["街道编码"]]
        per_street[street] = per_street.get(street, 0) + 1
        code = f"{street}{per_street[street]:03d}"
        # a few communities come in several polygons (remainder areas); grids join the first
        community_codes.setdefault(props["社区编码"], code)
        AdminArea.objects.create(
            code=code,
            level="community",
            name=props["社区"],
            parent_id=street,
            boundary=multi(f["geometry"]),
        )
    loaded = {}
    per_community = {}
    for f in features("xiacheng_grids.geojson"):
        number = f["properties"]["网格编号"]
        community = community_codes.get(number.rsplit("-", 1)[0])
        if community is None:
            continue
        per_community[community] = per_community.get(community, 0) + 1
        code = f"{community}{per_community[community]:03d}"
        GridCell.objects.create(code=code, community_id=community, boundary=multi(f["geometry"]))
        loaded[code] = number
    return community_codes, loaded


@pytest.mark.skipif(not XIACHENG.is_dir(), reason="shared Xiacheng boundary data not present")
def test_real_xiacheng_boundaries_locate_their_own_grid_cells(django_user_model):
    community_codes, grids = _load_xiacheng()
    assert AdminArea.objects.filter(level="community", code__startswith="330103").count() == 90
    assert len(grids) > 300
    user = django_user_model.objects.get(username="city_admin")
    checked = 0
    for cell in GridCell.objects.filter(code__startswith="330103"):
        p = cell.boundary.point_on_surface
        found = services.locate(user, Point(p.x, p.y, srid=4490))
        # the cell's own community contains the point (or touches it across a survey gap)
        containing = set(
            AdminArea.objects.containing(p).filter(level="community").values_list("code", flat=True)
        )
        if cell.community_id in containing:
            assert found["community"]["code"] in containing
            checked += 1
        assert found["grid"] is not None
    # the source's grids and communities were drawn separately; most agree
    assert checked > 0.85 * len(grids)
