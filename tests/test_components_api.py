"""The component REST API: create, read, update, retire, delete, batch, history,
input validation, access (BOLA) and coordinate systems."""

import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from component_catalog.models import Component, ComponentHistory
from gis_app import coords
from gis_app.models import AuditEvent
from layers.models import AdminArea
from tests.components_helpers import Api, inside, manhole

pytestmark = pytest.mark.django_db

URL = "/api/v1/components/"


@pytest.fixture
def water():
    return Api("surveyor_water")


def created(api, feature, **query):
    response = api.create(feature, **query)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_assigns_identifier_and_derives_places(water):
    body = created(water, manhole(at=inside("330106002003", 2)))
    props = body["properties"]
    assert body["id"] == props["identifier"]
    assert props["identifier"].startswith("3301060101") and len(props["identifier"]) == 16
    assert props["community"] == "330106002003"
    assert props["grid_cell"] == "330106002003002"
    assert props["version"] == 1
    assert props["owner_name"] == "杭州水务集团有限公司"
    assert props["needs_review"] is False


def test_read_update_with_if_match_and_etag(water):
    ident = created(water, manhole())["id"]
    got = water.get(f"{URL}{ident}/")
    assert got["ETag"] == '"1"'
    response = water.patch(
        f"{URL}{ident}/",
        {
            "properties": {"status": "damaged", "attributes": {"depth_m": 2.2}},
            "comment": "井盖破损",
        },
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    props = response.json()["properties"]
    assert props["status"] == "damaged" and props["version"] == 2
    # PATCH merges attributes
    assert props["attributes"] == {
        "material": "球墨铸铁",
        "shape": "圆形",
        "size_mm": 700,
        "depth_m": 2.2,
    }
    assert response["ETag"] == '"2"'


def test_stale_version_answers_409_with_current_state_and_changes_nothing(water):
    ident = created(water, manhole())["id"]
    assert (
        water.patch(
            f"{URL}{ident}/", {"properties": {"status": "damaged", "version": 1}, "comment": "a"}
        ).status_code
        == 200
    )
    stale = water.patch(
        f"{URL}{ident}/", {"properties": {"name": "改名", "version": 1}, "comment": "b"}
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "conflict"
    assert body["current"]["properties"]["version"] == 2
    assert body["current"]["properties"]["status"] == "damaged"
    stored = Component.objects.get(identifier=ident)
    assert stored.name == "上水井盖" and stored.version == 2


def test_missing_version_is_400_naming_version(water):
    ident = created(water, manhole())["id"]
    response = water.patch(f"{URL}{ident}/", {"properties": {"status": "damaged"}, "comment": "x"})
    assert response.status_code == 400
    assert response.json()["field"] == "version"
    assert Component.objects.get(identifier=ident).status == "good"


def test_comment_is_required(water):
    response = water.post(URL, manhole())
    assert response.status_code == 400
    assert response.json()["field"] == "comment"
    assert not Component.objects.exists()


BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[120.10, 30.25], [120.101, 30.251], [120.101, 30.25], [120.10, 30.251], [120.10, 30.25]]
    ],
}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"geometry": BOWTIE, "class": "0201"}, "geometry", "Self-intersection"),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[120.1, 30.2], [120.1001, 30.2], [120.1001, 30.2001], [120.1, 30.2]]
                    ],
                }
            },
            "geometry",
            "needs a",
        ),
        ({"geometry": {"type": "Point", "coordinates": [121.47, 31.23]}}, "geometry", "outside"),
        ({"geometry": {"type": "Point", "coordinates": [30.25, 120.1]}}, "geometry", "[lat, lon]"),
        ({"geometry": {"type": "Point", "coordinates": ["a", 30]}}, "geometry", "GeoJSON"),
        ({"geometry": {"type": "Point", "coordinates": []}}, "geometry", ""),
        ({"class": "9999"}, "properties.class", "9999"),
        ({"class": "01"}, "properties.class", "01"),
        ({"attributes": {"size_mm": 5}}, "properties.attributes.size_mm", "5"),
        ({"attributes": {"colour": "red"}}, "properties.attributes.colour", ""),
        ({"owner": "NO-SUCH-ORG"}, "properties.owner", "NO-SUCH-ORG"),
        ({"status": "broken"}, "properties.status", "good"),
        ({"gnss": {"accuracy_m": -1}}, "properties.gnss.accuracy_m", ""),
        ({"initial_date": "31/05/2024"}, "properties.initial_date", ""),
        ({"colour": "red"}, "properties.colour", ""),
    ],
)
def test_invalid_input_is_400_naming_the_problem_and_stores_nothing(water, change, field, words):
    water.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the words below are English
    feature = manhole()
    if "geometry" in change:
        feature["geometry"] = change.pop("geometry")
    if change.get("class") == "0201":
        feature["properties"]["attributes"] = {"capacity": 10}
    feature["properties"].update(change)
    response = water.create(feature)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert words in body["detail"]
    assert not Component.objects.exists()
    assert not ComponentHistory.objects.exists()


def test_nan_in_json_is_refused(water):
    raw = json.dumps(manhole()).replace('"depth_m": 1.5', '"depth_m": NaN')
    response = water.client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert not Component.objects.exists()


def test_gcj02_and_bd09_input_is_stored_as_cgcs2000(water):
    lon, lat = inside("330106003002", 1)
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    body = created(water, manhole(at=[g_lon, g_lat]), crs="GCJ02")
    x, y = body["geometry"]["coordinates"]
    assert abs(x - lon) < 1e-7 and abs(y - lat) < 1e-7
    b_lon, b_lat = coords.wgs84_to_bd09(lon, lat)
    body = created(water, manhole(at=[b_lon, b_lat]), crs="BD09")
    x, y = body["geometry"]["coordinates"]
    assert abs(x - lon) < 1e-7 and abs(y - lat) < 1e-7
    bad = water.create(manhole(), crs="MARS")
    assert bad.status_code == 400 and bad.json()["field"] == "crs"


def test_poor_gnss_accuracy_is_flagged_for_review_not_accepted(water):
    body = created(water, manhole(gnss={"fix": "autonomous", "accuracy_m": 3.5, "satellites": 7}))
    props = body["properties"]
    assert props["needs_review"] is True
    assert "3.50" in props["review_reason"] and "0.50" in props["review_reason"]
    assert props["data_source"] == "measured"
    listed = water.get(f"{URL}?needs_review=true").json()["features"]
    assert [f["id"] for f in listed] == [body["id"]]
    # a better fix on the same position clears the flag
    fixed = water.patch(
        f"{URL}{body['id']}/",
        {
            "properties": {"version": 1, "gnss": {"fix": "rtk_fixed", "accuracy_m": 0.03}},
            "comment": "RTK 复测",
        },
    )
    assert fixed.json()["properties"]["needs_review"] is False


def test_history_shows_who_what_and_changeset(water):
    ident = created(water, manhole())["id"]
    water.patch(
        f"{URL}{ident}/",
        {"properties": {"status": "damaged", "version": 1}, "comment": "巡查发现破损"},
    )
    history = water.get(f"{URL}{ident}/history/").json()
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["changes"] == {"status": ["good", "damaged"]}
    assert history[1]["actor"] == "surveyor_water"
    assert history[1]["comment"] == "巡查发现破损"


def test_an_open_changeset_groups_edits(water):
    changeset = water.post("/api/v1/changesets/", {"comment": "文三路普查"}).json()["id"]
    a = water.post(URL, {**manhole(), "changeset": changeset}).json()["id"]
    b = water.post(URL, {**manhole(at=inside(shift=0.0001)), "changeset": changeset}).json()["id"]
    for ident in (a, b):
        assert water.get(f"{URL}{ident}/history/").json()[0]["changeset"] == changeset
    assert water.post(f"/api/v1/changesets/{changeset}/close/").status_code == 200
    late = water.post(URL, {**manhole(), "changeset": changeset})
    assert late.status_code == 400 and late.json()["field"] == "changeset"


def test_retire_keeps_the_component_out_of_lists(water):
    ident = created(water, manhole())["id"]
    response = water.post(f"{URL}{ident}/retire/", {"version": 1, "comment": "道路改造拆除"})
    assert response.status_code == 200
    assert response.json()["properties"]["currency"] == "retired"
    assert ident not in [f["id"] for f in water.get(URL).json()["features"]]
    assert ident in [f["id"] for f in water.get(f"{URL}?currency=retired").json()["features"]]
    again = water.patch(
        f"{URL}{ident}/", {"properties": {"version": 2, "name": "x"}, "comment": "x"}
    )
    assert again.status_code == 400
    assert [h["action"] for h in water.get(f"{URL}{ident}/history/").json()] == ["create", "retire"]


def test_hard_delete_is_for_admins_and_audited(water):
    ident = created(water, manhole())["id"]
    assert water.delete(f"{URL}{ident}/", {"version": 1, "comment": "x"}).status_code == 403
    admin = Api("district_admin")
    response = admin.delete(f"{URL}{ident}/", {"version": 1, "comment": "重复录入，删除"})
    assert response.status_code == 204
    assert not Component.objects.filter(identifier=ident).exists()
    event = AuditEvent.objects.get(action="component.delete", result="success", object_id=ident)
    assert event.actor_username == "district_admin"
    assert event.detail["snapshot"]["properties"]["identifier"] == ident
    assert ComponentHistory.objects.filter(identifier=ident, action="delete").exists()


def test_list_filters(water):
    a = created(water, manhole(at=inside("330106001001", 1), name="文三路上水井盖"))["id"]
    b = created(water, manhole("0102", at=inside("330106002001", 1), name="污水井"))["id"]

    def ids(query):
        response = water.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return {f["id"] for f in response.json()["features"]}

    assert ids("class=0101") == {a}
    assert ids("class=0101,0102") == {a, b}
    assert ids("area=330106002") == {b}
    assert ids("q=文三路") == {a}
    assert ids(f"q={b[:12]}") == {b}
    assert ids("owner=HZ-SW") == {a, b}
    assert ids("owner=HZ-RQ") == set()
    lon, lat = inside("330106001001", 1)
    assert ids(f"bbox={lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}") == {a}
    assert ids("updated_since=2000-01-01T00:00:00%2B08:00") == {a, b}
    for bad, field in [
        ("class=abc", "class"),
        ("bbox=1,2,3", "bbox"),
        ("updated_since=yesterday", "updated_since"),
        ("status=ok", "status"),
    ]:
        response = water.get(f"{URL}?{bad}")
        assert response.status_code == 400 and response.json()["field"] == field


def test_keyset_paging_walks_everything_once(water):
    features = [manhole(at=inside(shift=i * 0.00001)) for i in range(7)]
    water.post(f"{URL}batch/", {"features": features, "comment": "批量"})
    seen, url = [], f"{URL}?limit=3"
    while url:
        page = water.get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7


def test_anonymous_sees_public_classes_only():
    admin = Api("district_admin")
    toilet = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": inside()},
        "properties": {
            "class": "0301",
            "name": "保俶路公厕",
            "competent_department": "XH-CGJ",
            "owner": "XH-CGJ",
            "maintainer": "XH-JD-001",
            "attributes": {"opening_hours": "24/7", "accessible": True},
        },
    }
    t = created(admin, toilet)["id"]
    m = created(admin, manhole())["id"]
    anonymous = Api(None)
    assert {f["id"] for f in anonymous.get(URL).json()["features"]} == {t}
    assert anonymous.get(f"{URL}{m}/").status_code == 404
    assert anonymous.post(URL, {**manhole(), "comment": "x"}).status_code == 401


def test_batch_all_or_nothing_names_item_500(water):
    features = [manhole(at=inside(shift=i * 0.000001)) for i in range(600)]
    features[499]["properties"]["attributes"]["size_mm"] = 99999
    response = water.post(f"{URL}batch/", {"features": features, "comment": "批量普查"})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["item"] == 500
    assert body["errors"][0]["field"] == "properties.attributes.size_mm"
    assert len(body["errors"]) == 1
    assert "500" in body["detail"]
    assert not Component.objects.exists()
    features[499]["properties"]["attributes"]["size_mm"] = 800
    ok = water.post(f"{URL}batch/", {"features": features, "comment": "批量普查"})
    assert ok.status_code == 200
    serials = sorted(Component.objects.values_list("serial", flat=True))
    assert serials == list(range(1, 601))


def test_batch_updates_and_creates_together_and_checks_versions(water):
    a = created(water, manhole())["id"]
    update = {"type": "Feature", "id": a, "properties": {"status": "missing", "version": 1}}
    response = water.post(f"{URL}batch/", {"features": [update, manhole()], "comment": "混合"})
    assert response.status_code == 200, response.content
    assert response.json()["features"][0]["properties"]["status"] == "missing"
    stale = water.post(f"{URL}batch/", {"features": [manhole(), update], "comment": "再来"})
    assert stale.status_code == 409
    assert stale.json()["item"] == 2
    assert Component.objects.count() == 2  # the new one of the failed batch is not stored


def test_batch_limit():
    water = Api("surveyor_water")
    response = water.post(f"{URL}batch/", {"features": [manhole()] * 1001, "comment": "x"})
    assert response.status_code == 400 and response.json()["field"] == "features"


# --- access (BOLA) -------------------------------------------------------------------------


@pytest.fixture
def gas_cover():
    return created(Api("district_admin"), manhole("0111", owner="HZ-RQ", name="燃气井盖"))["id"]


@pytest.fixture
def other_district_cover():
    """A water cover of the water company, but in another district than the surveyor's."""
    square = MultiPolygon(Polygon.from_bbox((120.20, 30.30, 120.22, 30.32)), srid=4490)
    AdminArea.objects.create(
        code="330105", level="district", name="拱墅区", parent_id="330100", boundary=square
    )
    AdminArea.objects.create(
        code="330105001", level="street", name="测试街道", parent_id="330105", boundary=square
    )
    AdminArea.objects.create(
        code="330105001001",
        level="community",
        name="测试社区",
        parent_id="330105001",
        boundary=square,
    )
    admin = Api("city_admin")
    return created(admin, manhole(at=[120.21, 30.31]))["id"]


def denials(identifier):
    return AuditEvent.objects.filter(object_id=identifier, result="denied")


def test_water_surveyor_cannot_touch_a_gas_cover(water, gas_cover):
    assert water.get(f"{URL}{gas_cover}/").status_code == 404
    assert water.get(f"{URL}{gas_cover}/history/").status_code == 404
    patch = water.patch(
        f"{URL}{gas_cover}/", {"properties": {"version": 1, "status": "damaged"}, "comment": "x"}
    )
    assert patch.status_code == 404
    retire = water.post(f"{URL}{gas_cover}/retire/", {"version": 1, "comment": "x"})
    assert retire.status_code == 404
    assert gas_cover not in {f["id"] for f in water.get(f"{URL}?class=0111").json()["features"]}
    assert denials(gas_cover).filter(action="component.update").exists()
    assert denials(gas_cover).filter(action="component.retire").exists()
    assert Component.objects.get(identifier=gas_cover).version == 1
    # nor create one
    response = water.create(manhole("0111", owner="HZ-RQ"))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="component.create", result="denied").exists()


def test_water_surveyor_cannot_touch_water_covers_outside_their_area(water, other_district_cover):
    ident = other_district_cover
    assert ident.startswith("330105")
    assert water.get(f"{URL}{ident}/").status_code == 404
    patch = water.patch(
        f"{URL}{ident}/", {"properties": {"version": 1, "status": "damaged"}, "comment": "x"}
    )
    assert patch.status_code == 404
    assert denials(ident).filter(action="component.update").exists()


def test_community_worker_cannot_change_ownership(gas_cover):
    worker = Api("community_worker")
    toilet_body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": inside("330106001001", 2)},
        "properties": {
            "class": "0301",
            "name": "公厕",
            "competent_department": "XH-CGJ",
            "owner": "XH-CGJ",
            "maintainer": "XH-JD-001",
            "attributes": {},
        },
    }
    ident = created(worker, toilet_body)["id"]
    response = worker.patch(
        f"{URL}{ident}/",
        {"properties": {"version": 1, "maintainer": "XH-LCWY"}, "comment": "换养护单位"},
    )
    assert response.status_code == 403
    assert "administrator" in response.json()["detail"] or "管理员" in response.json()["detail"]
    assert Component.objects.get(identifier=ident).maintainer.code == "XH-JD-001"
    assert response.json()["field"] == "properties.maintainer"
    assert (
        denials(ident)
        .filter(action="component.update", detail__field="properties.maintainer")
        .exists()
    )
    # ... while the street admin of that area may
    admin = Api("street_admin")
    ok = admin.patch(
        f"{URL}{ident}/",
        {"properties": {"version": 1, "maintainer": "XH-LCWY"}, "comment": "移交物业养护"},
    )
    assert ok.status_code == 200
    # the gas cover is in the worker's community but not their class of business? It is:
    # community workers edit everything in their community, ownership aside.


def test_maintainer_sees_only_what_their_organization_owns_or_maintains(gas_cover):
    from django.contrib.auth import get_user_model

    from gis_app.models import Membership, Organization

    user = get_user_model().objects.create_user("gas_maint", password="maint-pass-2024")
    Membership.objects.create(
        user=user,
        organization=Organization.objects.get(code="HZ-RQ"),
        role="maintainer",
        area_id="330106",
    )
    water_cover = created(Api("surveyor_water"), manhole())["id"]
    client = Api.__new__(Api)
    from django.test import Client

    token = (
        Client()
        .post("/api/v1/auth/token/", {"username": "gas_maint", "password": "maint-pass-2024"})
        .json()["token"]
    )
    client.client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    listed = {f["id"] for f in client.get(URL).json()["features"]}
    assert gas_cover in listed and water_cover not in listed
    ok = client.patch(
        f"{URL}{gas_cover}/",
        {"properties": {"version": 1, "status": "damaged"}, "comment": "养护巡查"},
    )
    assert ok.status_code == 200
    # maintainers may not create
    assert client.create(manhole("0111", owner="HZ-RQ")).status_code == 403


def test_put_replaces_the_whole_feature(water):
    ident = created(water, manhole(name="旧名称", notes="旧备注"))["id"]
    replacement = manhole(name="新名称")
    replacement["properties"]["attributes"] = {"material": "复合材料"}
    replacement["properties"]["version"] = 1
    response = water.put(f"{URL}{ident}/", {**replacement, "comment": "整体更新"})
    assert response.status_code == 200, response.content
    props = response.json()["properties"]
    assert props["name"] == "新名称"
    assert props["notes"] == ""  # not given in a PUT: back to empty
    assert props["attributes"] == {"material": "复合材料"}
    # a PUT without the required properties is refused
    partial = {"type": "Feature", "properties": {"status": "damaged", "version": 2}}
    response = water.put(f"{URL}{ident}/", {**partial, "comment": "x"})
    assert response.status_code == 400
    # the class cannot change: it is part of the identifier
    other = manhole("0102")
    other["properties"]["version"] = 2
    response = water.put(f"{URL}{ident}/", {**other, "comment": "x"})
    assert response.status_code == 400 and response.json()["field"] == "properties.class"


def test_attribute_errors_read_in_the_users_language() -> None:
    """JSON Schema violations are worded by the platform, not left in the library's English."""
    api = Api("surveyor_water")
    feature = manhole(at=inside(shift=0.00031))
    feature["properties"]["attributes"]["size_mm"] = 5
    feature["properties"]["attributes"]["shape"] = "三角形"
    body = {**feature, "comment": "语言测试"}
    chinese = api.post("/api/v1/components/", body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 400
    detail = chinese.json()["detail"]
    assert chinese.json()["field"].startswith("properties.attributes.")
    assert ("小于最小值 300" in detail) or ("不在可选值之中" in detail), detail
    assert "minimum" not in detail and "is not one of" not in detail
    english = api.post("/api/v1/components/", body, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert "less than the minimum 300" in english or "is not one of" in english
