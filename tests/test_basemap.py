"""Base layers: buildings and base features (roads, rivers, green space) from the demo,
who sees building details, steward-only editing with versions, 409s and history."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Polygon
from django.db import IntegrityError, connection, transaction
from django.urls import include, path

from gis_app import access
from gis_app.models import AuditEvent, Membership, Organization
from gis_app.roles import Action
from gis_app.urls import urlpatterns as project_urlpatterns
from layers.basemap import demo as basemap_demo
from layers.basemap.models import BaseFeature, BaseHistory, Building
from layers.basemap.policies import register_policies
from layers.models import GridCell, Layer, Stewardship
from tests.components_helpers import Api

# Until LayersConfig.ready registers them and gis_app/urls.py includes the API.
register_policies()
urlpatterns = [path("api/v1/", include("layers.basemap.api")), *project_urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

BUILDINGS = "/api/v1/buildings/"
FEATURES = "/api/v1/base-features/"
DETAILS = ("floors", "use", "units_count", "build_year")
BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[120.10, 30.25], [120.101, 30.251], [120.101, 30.25], [120.10, 30.251], [120.10, 30.25]]
    ],
}


@pytest.fixture
def demo():
    return basemap_demo.load()


def english(api: Api) -> Api:
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api


def building_in(community: str) -> Building:
    return Building.objects.filter(community_id=community).order_by("id").first()


def square_in(cell_code: str, half: float = 0.00005) -> dict:
    """A small square (about 10 m) around a point inside a demo grid cell."""
    p = GridCell.objects.get(code=cell_code).boundary.point_on_surface
    x, y = p.x, p.y
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def line_in(cell_code: str) -> dict:
    p = GridCell.objects.get(code=cell_code).boundary.point_on_surface
    return {"type": "LineString", "coordinates": [[p.x - 0.0002, p.y], [p.x + 0.0002, p.y]]}


def make_user(username: str, organization: str, role: str, area: str) -> Api:
    user = get_user_model().objects.create_user(username, password="demo-pass-2019")
    Membership.objects.create(
        user=user, organization=Organization.objects.get(code=organization), role=role, area_id=area
    )
    return Api(username)


def scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


# --- the demo ------------------------------------------------------------------------------


def test_demo_loads_idempotently_and_is_consistent(demo):
    assert 1400 <= demo["buildings"] <= 1600
    assert Building.objects.count() == demo["buildings"]
    kinds = {k: BaseFeature.objects.filter(kind=k).count() for k in ("road", "river", "green")}
    assert 35 <= kinds["road"] <= 45 and 3 <= kinds["river"] <= 4 and 20 <= kinds["green"] <= 30
    assert demo["stewardships"] > 20
    # a second load changes nothing
    assert basemap_demo.load() == {
        "stewardships": demo["stewardships"],
        "buildings": 0,
        "base_features": 0,
    }
    assert Building.objects.count() == demo["buildings"]
    assert Stewardship.objects.count() == demo["stewardships"]
    # deterministic
    assert [b.name for b in basemap_demo.plan().buildings] == list(
        Building.objects.order_by("id").values_list("name", flat=True)
    )

    # no two buildings overlap (or even touch)
    assert (
        scalar(
            "SELECT count(*) FROM layers_building a JOIN layers_building b "
            "ON a.id < b.id AND ST_Intersects(a.geometry, b.geometry)"
        )
        == 0
    )
    # each lies in its community, about 5 m inside
    assert (
        scalar(
            "SELECT count(*) FROM layers_building b JOIN layers_adminarea c "
            "ON c.code = b.community_id WHERE NOT ST_CoveredBy(b.geometry, c.boundary) "
            "OR ST_Distance(b.geometry::geography, ST_Boundary(c.boundary)::geography) < 4.5"
        )
        == 0
    )
    # footprints of 15-60 m x 10-25 m: areas between 150 and 1500 m2
    area = "ST_Area(geometry::geography)"
    assert scalar(f"SELECT min({area}) FROM layers_building") > 140  # noqa: S608 (constant)
    assert scalar(f"SELECT max({area}) FROM layers_building") < 1550  # noqa: S608
    # floors and housing units consistent with the use
    for b in Building.objects.all():
        assert 1 <= b.floors <= 33
        assert b.address.startswith("杭州市西湖区") and b.name
        if b.use == "residential":
            assert b.units_count >= b.floors * 2 and b.name.endswith("幢")
        elif b.use != "mixed":
            assert b.units_count == 0
    # geometry types per kind, every feature inside a community, history for everything
    assert not BaseFeature.objects.filter(kind__in=["road", "river"], geometry__isvalid=False)
    assert {f.geometry.geom_type for f in BaseFeature.objects.filter(kind="road")} == {"LineString"}
    assert {f.geometry.geom_type for f in BaseFeature.objects.filter(kind="green")} == {"Polygon"}
    assert not BaseFeature.objects.filter(community__isnull=True).exists()
    road = BaseFeature.objects.filter(kind="road").first()
    assert (
        road.attributes["road_class"] in ("主干路", "次干路", "支路")
        and road.attributes["width_m"] > 0
    )
    assert BaseHistory.objects.count() == Building.objects.count() + BaseFeature.objects.count()


def test_demo_stewardships():
    basemap_demo.stewardships()

    def steward(layer: str, area: str, role: str) -> str | None:
        layer_id = Layer.objects.get(code=layer).pk
        found = Stewardship.objects.effective_for(layer_id, area, role)
        return found.organization.code if found else None

    assert steward("buildings", "330106002003", "collect") == "XH-JD-002"
    assert steward("buildings", "330106002003", "maintain") == "XH-CGJ"
    assert steward("building-details", "330106005001", "collect") == "XH-JD-005"
    assert steward("roads", "330106004002", "maintain") == "XH-CGJ"
    assert steward("green-space", "330106004002", "maintain") == "XH-YLJ"
    assert steward("component-0101", "330106001001", "maintain") == "HZ-SW"
    assert steward("component-0111", "330106001001", "maintain") == "HZ-RQ"
    assert steward("component-0301", "330106003001", "maintain") == "XH-JD-003"
    assert steward("component-0402", "330106003001", "maintain") == "XH-YLJ"
    assert steward("component-0201", "330106003001", "maintain") == "HZ-CDFW"


# --- reading ---------------------------------------------------------------------------------


def test_anonymous_sees_footprints_and_names_but_not_details(demo):
    anonymous = Api(None)
    body = anonymous.get(f"{BUILDINGS}?limit=50").json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 50
    for feature in body["features"]:
        assert feature["geometry"]["type"] == "MultiPolygon"
        assert feature["properties"]["name"]
        assert not set(DETAILS) & set(feature["properties"])
    one = building_in("330106002001")
    response = anonymous.get(f"{BUILDINGS}{one.pk}/")
    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert response.json()["properties"]["name"] == one.name
    assert "floors" not in response.json()["properties"]
    # a filter on a detail must not reveal details either
    assert anonymous.get(f"{BUILDINGS}?use=residential").json()["features"] == []


def test_staff_of_the_area_see_details(demo):
    here, there = building_in("330106001002"), building_in("330106002001")
    admin = Api("district_admin")
    props = admin.get(f"{BUILDINGS}{there.pk}/").json()["properties"]
    assert props["floors"] == there.floors and props["use"] == there.use
    assert props["units_count"] == there.units_count
    residential = admin.get(f"{BUILDINGS}?use=residential&limit=20").json()["features"]
    assert len(residential) == 20 and {f["properties"]["use"] for f in residential} == {
        "residential"
    }
    # a street admin: details in their street only
    street = Api("street_admin")
    assert "floors" in street.get(f"{BUILDINGS}{here.pk}/").json()["properties"]
    assert "floors" not in street.get(f"{BUILDINGS}{there.pk}/").json()["properties"]


def test_base_feature_lists_filter_and_page(demo):
    anonymous = Api(None)
    roads = anonymous.get(f"{FEATURES}?kind=road&limit=1000").json()["features"]
    assert len(roads) == BaseFeature.objects.filter(kind="road").count()
    assert {f["properties"]["kind"] for f in roads} == {"road"}
    assert {f["geometry"]["type"] for f in roads} <= {"LineString", "MultiLineString"}
    both = anonymous.get(f"{FEATURES}?kind=river,green&limit=1000").json()["features"]
    assert {f["properties"]["kind"] for f in both} == {"river", "green"}
    bad = english(anonymous).get(f"{FEATURES}?kind=motorway")
    assert bad.status_code == 400 and bad.json()["field"] == "kind"
    # keyset paging: every feature once
    seen, url = [], f"{FEATURES}?limit=7"
    while url:
        page = anonymous.get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = page["next"]
    assert sorted(seen) == list(BaseFeature.objects.order_by("id").values_list("id", flat=True))
    # bbox
    b = building_in("330106003002")
    x1, y1, x2, y2 = b.geometry.extent
    found = anonymous.get(f"{BUILDINGS}?bbox={x1},{y1},{x2},{y2}").json()["features"]
    assert b.pk in [f["id"] for f in found]
    # a hidden layer answers 404, as a missing feature does
    Layer.objects.filter(code="roads").update(is_public=False)
    road = BaseFeature.objects.filter(kind="road").first()
    assert anonymous.get(f"{FEATURES}{road.pk}/").status_code == 404
    assert Api("planner").get(f"{FEATURES}{road.pk}/").status_code == 200


# --- editing ---------------------------------------------------------------------------------


def test_steward_edits_with_version_and_a_stale_version_gets_409(demo):
    worker = Api("community_worker")  # street office XH-JD-001 collects buildings there
    b = building_in("330106001001")
    url = f"{BUILDINGS}{b.pk}/"
    new_floors = 7 if b.floors != 7 else 8
    response = worker.patch(
        url,
        {"properties": {"floors": new_floors, "name": "保俶新村1幢"}, "comment": "入户核查"},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    props = response.json()["properties"]
    assert props["version"] == 2 and props["floors"] == new_floors
    assert response["ETag"] == '"2"'
    stale = worker.patch(
        url, {"properties": {"name": "别的名字", "version": 1}, "comment": "过期编辑"}
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "conflict" and body["field"] == "version"
    assert body["current"]["properties"]["version"] == 2
    assert body["current"]["properties"]["name"] == "保俶新村1幢"
    b.refresh_from_db()
    assert (b.version, b.name, b.floors) == (2, "保俶新村1幢", new_floors)
    # history: the demo's creation and this edit, with who, what and why
    history = list(BaseHistory.objects.filter(object_key=f"building:{b.pk}").order_by("version"))
    assert [(h.version, h.action) for h in history] == [(1, "create"), (2, "update")]
    assert set(history[1].changes) == {"floors", "name"}
    assert history[1].changes["floors"][1] == new_floors
    assert history[1].actor_username == "community_worker" and history[1].comment == "入户核查"
    assert AuditEvent.objects.filter(
        action="building.update", object_id=str(b.pk), result="success"
    ).exists()


def test_version_and_comment_are_required(demo):
    admin = english(Api("district_admin"))
    b = building_in("330106001001")
    missing = admin.patch(f"{BUILDINGS}{b.pk}/", {"properties": {"floors": 3}, "comment": "x"})
    assert missing.status_code == 400 and missing.json()["field"] == "version"
    silent = admin.patch(f"{BUILDINGS}{b.pk}/", {"properties": {"floors": 3, "version": 1}})
    assert silent.status_code == 400 and silent.json()["field"] == "comment"
    assert Building.objects.get(pk=b.pk).version == 1


def test_non_stewards_are_refused_and_audited(demo):
    water = Api("surveyor_water")  # HZ-SW: steward of water covers, not of base layers
    b = building_in("330106002001")
    response = water.patch(
        f"{BUILDINGS}{b.pk}/", {"properties": {"floors": 9, "version": 1}, "comment": "x"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        action="building.update", object_id=str(b.pk), result="denied"
    ).exists()
    assert Building.objects.get(pk=b.pk).version == 1
    road = BaseFeature.objects.filter(kind="road").first()
    response = water.patch(
        f"{FEATURES}{road.pk}/", {"properties": {"name": "x", "version": 1}, "comment": "x"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        action="basefeature.update", object_id=str(road.pk), result="denied"
    ).exists()
    assert (
        water.post(
            BUILDINGS, {"geometry": square_in("330106002001001"), "comment": "x"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(action="building.create", result="denied").exists()
    # the community worker's grant covers their own community only
    worker = Api("community_worker")
    response = worker.patch(
        f"{BUILDINGS}{b.pk}/", {"properties": {"floors": 9, "version": 1}, "comment": "x"}
    )
    assert response.status_code == 403
    # missing objects answer 404, audited too
    assert (
        water.patch(
            f"{BUILDINGS}999999999/", {"properties": {"version": 1}, "comment": "x"}
        ).status_code
        == 404
    )
    assert AuditEvent.objects.filter(
        action="building.update", object_id="999999999", result="denied"
    ).exists()


def test_the_landscaping_bureau_edits_green_space_not_roads(demo):
    green = Api("surveyor_green")  # XH-YLJ stewards green space
    park = BaseFeature.objects.filter(kind="green").first()
    response = green.patch(
        f"{FEATURES}{park.pk}/",
        {"properties": {"attributes": {"green_type": "防护绿地"}, "version": 1}, "comment": "复核"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["properties"]["attributes"] == {"green_type": "防护绿地"}
    road = BaseFeature.objects.filter(kind="road").first()
    refused = green.patch(
        f"{FEATURES}{road.pk}/", {"properties": {"name": "x", "version": 1}, "comment": "x"}
    )
    assert refused.status_code == 403
    created = green.post(
        FEATURES,
        {
            "type": "Feature",
            "geometry": square_in("330106004002002", 0.0004),
            "properties": {
                "kind": "green",
                "name": "测试街心绿地",
                "attributes": {"green_type": "公园绿地"},
            },
            "comment": "新建绿地",
        },
    )
    assert created.status_code == 201, created.content
    props = created.json()["properties"]
    assert props["community"] == "330106004002" and props["version"] == 1
    assert props["layer"] == "green-space"
    key = f"feature:{created.json()['id']}"
    assert BaseHistory.objects.get(object_key=key).layer == "green-space"


def test_effective_steward_is_the_closest_up_the_tree(demo):
    layer = Layer.objects.get(code="buildings")
    Stewardship.objects.create(
        layer=layer,
        area_id="330106002",
        organization=Organization.objects.get(code="XH-LCWY"),
        role="maintain",
    )
    effective = Stewardship.objects.effective_for
    assert effective(layer.pk, "330106002001", "maintain").organization.code == "XH-LCWY"
    assert effective(layer.pk, "330106001001", "maintain").organization.code == "XH-CGJ"

    bureau = make_user("cgj_surveyor", "XH-CGJ", "surveyor", "330106")
    company = make_user("lcwy_surveyor", "XH-LCWY", "surveyor", "330106002")
    in_001, in_002 = building_in("330106001003"), building_in("330106002004")

    def edit(api: Api, b: Building) -> int:
        return api.patch(
            f"{BUILDINGS}{b.pk}/", {"properties": {"name": "核查", "version": 1}, "comment": "核查"}
        ).status_code

    assert edit(bureau, in_002) == 403  # the street-level stewardship wins there
    assert edit(company, in_002) == 200
    assert edit(bureau, in_001) == 200
    assert edit(company, in_001) == 403  # outside the company's grant
    # the list form of the same rule
    user = get_user_model().objects.get(username="cgj_surveyor")
    editable = access.visible(user, Building.objects.all(), Action.CHANGE)
    assert (
        editable.count()
        == Building.objects.exclude(community__code__startswith="330106002").count()
    )
    assert not editable.filter(community__code__startswith="330106002").exists()


def test_details_need_stewardship_of_the_details_layer(demo):
    # XH-LCWY maintains footprints in street 002, but not the details
    Stewardship.objects.create(
        layer=Layer.objects.get(code="buildings"),
        area_id="330106002",
        organization=Organization.objects.get(code="XH-LCWY"),
        role="maintain",
    )
    company = make_user("lcwy_surveyor", "XH-LCWY", "surveyor", "330106002")
    b = building_in("330106002004")
    refused = company.patch(
        f"{BUILDINGS}{b.pk}/", {"properties": {"units_count": 999, "version": 1}, "comment": "x"}
    )
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(
        action="building.update", object_id=str(b.pk), result="denied", detail__field="details"
    ).exists()
    ok = company.patch(
        f"{BUILDINGS}{b.pk}/",
        {"properties": {"address": "新地址1号", "version": 1}, "comment": "x"},
    )
    assert ok.status_code == 200


# --- input -----------------------------------------------------------------------------------


def test_create_building_derives_the_community(demo):
    admin = Api("district_admin")
    response = admin.post(
        BUILDINGS,
        {
            "type": "Feature",
            "geometry": square_in("330106005003001"),
            "properties": {"name": "测试楼", "floors": 6, "use": "residential", "units_count": 24},
            "comment": "补测新建建筑",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["properties"]["community"] == "330106005003"
    assert body["properties"]["floors"] == 6 and body["properties"]["version"] == 1
    assert response["Location"].endswith(f"/buildings/{body['id']}/")
    assert Building.objects.get(pk=body["id"]).geometry.geom_type == "MultiPolygon"
    history = BaseHistory.objects.get(object_key=f"building:{body['id']}")
    assert history.action == "create" and history.changes["floors"] == [None, 6]


@pytest.mark.parametrize(
    ("url", "feature", "field", "words"),
    [
        (BUILDINGS, {"geometry": BOWTIE}, "geometry", "Self-intersection"),
        (
            BUILDINGS,
            {"geometry": {"type": "Point", "coordinates": [120.1, 30.25]}},
            "geometry",
            "Polygon",
        ),
        (
            BUILDINGS,
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[121.4, 31.2], [121.41, 31.2], [121.41, 31.21], [121.4, 31.2]]
                    ],
                }
            },
            "geometry",
            "outside",
        ),
        (BUILDINGS, {"geometry": "cell", "properties": {"floors": 0}}, "properties.floors", "1"),
        (
            BUILDINGS,
            {"geometry": "cell", "properties": {"use": "castle"}},
            "properties.use",
            "residential",
        ),
        (BUILDINGS, {"geometry": "cell", "properties": {"colour": "red"}}, "properties.colour", ""),
        (FEATURES, {"geometry": "cell", "properties": {"kind": "road"}}, "geometry", "LineString"),
        (FEATURES, {"geometry": "line", "properties": {"kind": "green"}}, "geometry", "Polygon"),
        (FEATURES, {"geometry": "line", "properties": {}}, "properties.kind", "kind"),
        (
            FEATURES,
            {
                "geometry": "line",
                "properties": {"kind": "road", "attributes": {"road_class": "高速"}},
            },
            "properties.attributes.road_class",
            "",
        ),
        (
            FEATURES,
            {"geometry": "line", "properties": {"kind": "road", "attributes": {"colour": "red"}}},
            "properties.attributes.colour",
            "",
        ),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(url, feature, field, words):
    admin = english(Api("district_admin"))
    geometry = feature["geometry"]
    if geometry == "cell":
        geometry = square_in("330106001001001")
    elif geometry == "line":
        geometry = line_in("330106001001001")
    body = {"type": "Feature", **feature, "geometry": geometry, "comment": "x"}
    response = admin.post(url, body)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert not Building.objects.exists() and not BaseFeature.objects.exists()
    assert not BaseHistory.objects.exists()


def test_a_road_cannot_become_a_polygon(demo):
    admin = english(Api("district_admin"))
    road = BaseFeature.objects.filter(kind="road").first()
    response = admin.patch(
        f"{FEATURES}{road.pk}/",
        {"geometry": square_in("330106001001001"), "properties": {"version": 1}, "comment": "x"},
    )
    assert response.status_code == 400 and response.json()["field"] == "geometry"
    assert "LineString" in response.json()["detail"]
    kind = admin.patch(
        f"{FEATURES}{road.pk}/", {"properties": {"kind": "river", "version": 1}, "comment": "x"}
    )
    assert kind.status_code == 400 and kind.json()["field"] == "properties.kind"
    # ... and the database refuses it too
    polygon = Polygon.from_bbox((120.10, 30.25, 120.1001, 30.2501))
    polygon.srid = 4490
    with pytest.raises(IntegrityError), transaction.atomic():
        BaseFeature.objects.create(kind="road", name="x", geometry=polygon)
    assert BaseFeature.objects.get(pk=road.pk).version == 1


def test_patch_merges_road_attributes(demo):
    admin = Api("district_admin")
    road = BaseFeature.objects.filter(kind="road").first()
    response = admin.patch(
        f"{FEATURES}{road.pk}/",
        {"properties": {"attributes": {"lanes": None, "one_way": True}}, "comment": "单行"},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    attributes = response.json()["properties"]["attributes"]
    assert attributes["one_way"] is True and "lanes" not in attributes
    assert attributes["road_class"] == road.attributes["road_class"]
