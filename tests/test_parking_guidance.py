"""Guidance (/parking/nearby/), the availability feed, lot pages and who sees operations."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.ops
from django.contrib.auth import get_user_model
from pyproj import Geod, Transformer

from community.parking.models import ParkingLot
from component_catalog.models import Component
from gis_app.models import Membership, Organization
from tests.components_helpers import Api
from tests.parking_support import event, make_lot, send

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

GEOD = Geod(ellps="GRS80")
NEARBY = "/api/v1/parking/nearby/"


TO_4549 = Transformer.from_crs(4490, 4549, always_xy=True)
FROM_4549 = Transformer.from_crs(4549, 4490, always_xy=True)


def metres_to_lot(lon: float, lat: float, identifier: str) -> float:
    """Geodesic distance from the point to the lot's closest point (found in EPSG:4549)."""
    polygon = shapely.from_wkt(Component.objects.get(identifier=identifier).geometry.wkt)
    local = shapely.transform(polygon, lambda xy: np.column_stack(TO_4549.transform(*xy.T)))
    x, y = TO_4549.transform(lon, lat)
    closest = shapely.ops.nearest_points(local, shapely.Point(x, y))[0]
    clon, clat = FROM_4549.transform(closest.x, closest.y)
    return float(GEOD.inv(lon, lat, clon, clat)[2])


def fill(lot, count: int, prefix: str) -> None:
    events = [
        event(f"{prefix}-{n}", "in", 20, f"浙A{prefix[:1].upper()}{n:04d}") for n in range(count)
    ]
    assert send(lot.gate, {"events": events}).status_code == 200


@pytest.fixture
def lots():
    """Three lots in one community: near (full), middle, far."""
    near = make_lot("近停车场", "330106001001", 1, capacity=(3, 0, 0), spaces=False)
    middle = make_lot("中停车场", "330106001001", 2, capacity=(20, 2, 1), spaces=False)
    far = make_lot("远停车场", "330106001001", 3, capacity=(5, 0, 0), spaces=False)
    fill(near, 3, "near")
    fill(middle, 4, "mid")
    return {"near": near, "middle": middle, "far": far}


def test_nearby_lists_lots_with_free_spaces_by_distance(lots):
    lon, lat = lots["near"].centre
    body = Api(None).get(f"{NEARBY}?lon={lon}&lat={lat}&radius=5000").json()
    ids = [f["id"] for f in body["features"]]
    assert lots["near"].identifier not in ids  # full
    assert lots["far"].identifier not in ids  # no live data: its free spaces are unknown
    assert lots["middle"].identifier in ids
    fill(lots["far"], 1, "far")
    body = Api(None).get(f"{NEARBY}?lon={lon}&lat={lat}&radius=5000").json()
    ids = [f["id"] for f in body["features"]]
    assert lots["middle"].identifier in ids and lots["far"].identifier in ids
    for feature in body["features"]:
        expected = metres_to_lot(lon, lat, feature["id"])
        assert abs(feature["properties"]["distance_m"] - expected) < 0.5
        assert feature["properties"]["free"]["total"] > 0
    distances = [f["properties"]["distance_m"] for f in body["features"]]
    steps = [d // 100 for d in distances]
    assert steps == sorted(steps)


def test_nearby_ranks_more_free_spaces_first_within_a_100_m_step():
    a = make_lot("甲停车场", "330106001001", 1, capacity=(10, 0, 0), spaces=False)
    b = make_lot("乙停车场", "330106001001", 1, shift=0.0006, capacity=(30, 0, 0), spaces=False)
    fill(a, 1, "a")
    fill(b, 1, "b")
    lon, lat = a.centre
    body = Api(None).get(f"{NEARBY}?lon={lon}&lat={lat}").json()
    features = {f["id"]: f["properties"] for f in body["features"]}
    da, db = features[a.identifier]["distance_m"], features[b.identifier]["distance_m"]
    assert da < db and da // 100 == db // 100
    assert [f["id"] for f in body["features"]][:2] == [b.identifier, a.identifier]


def test_nearby_by_kind_and_errors(lots):
    lon, lat = lots["near"].centre
    charging = Api(None).get(f"{NEARBY}?lon={lon}&lat={lat}&kind=charging&radius=5000").json()
    assert [f["id"] for f in charging["features"]] == [lots["middle"].identifier]
    bad = Api(None).get(f"{NEARBY}?lon={lon}&lat=abc")
    kind = Api(None).get(f"{NEARBY}?lon={lon}&lat={lat}&kind=vip")
    assert bad.status_code == 400 and bad.json()["field"] == "lat"
    assert kind.status_code == 400 and kind.json()["field"] == "kind"


def test_the_availability_feed(lots):
    body = Api(None).get("/api/v1/parking/availability/").json()
    assert "publication_time" in body
    by_id = {lot["id"]: lot for lot in body["lots"]}
    near, middle, far = (by_id[lots[k].identifier] for k in ("near", "middle", "far"))
    assert near["status"] == "full" and near["free"]["total"] == 0
    assert middle["capacity"] == {"standard": 20, "charging": 2, "accessible": 1, "total": 23}
    assert middle["occupied"]["total"] == 4 and middle["free"]["total"] == 19
    assert middle["free"]["charging"] == 2 and middle["status"] == "spaces_available"
    assert far["status"] == "unknown" and far["last_update"] is None
    assert middle["location"]["type"] == "Point"
    assert middle["operator"] == "杭州城市停车服务有限公司"
    assert near["last_update"] is not None and near["anomaly"] is False
    only = Api(None).get("/api/v1/parking/availability/?area=330106002").json()
    assert lots["near"].identifier not in {lot["id"] for lot in only["lots"]}


def test_a_retired_lot_is_hidden_from_the_public(lots):
    Component.objects.filter(identifier=lots["far"].identifier).update(currency="retired")
    anonymous = Api(None)
    assert anonymous.get(f"/api/v1/parking/lots/{lots['far'].identifier}/").status_code == 404
    feed = anonymous.get("/api/v1/parking/availability/").json()
    assert lots["far"].identifier not in {lot["id"] for lot in feed["lots"]}
    admin = Api("district_admin")
    assert admin.get(f"/api/v1/parking/lots/{lots['far'].identifier}/").status_code == 200


def test_operations_are_for_planners_admins_and_the_operator(lots):
    url = f"/api/v1/parking/lots/{lots['middle'].identifier}/occupancy/"
    assert Api(None).get(url).status_code == 404
    assert Api("surveyor_water").get(url).status_code == 404
    history = Api("planner").get(url)
    assert history.status_code == 200
    samples = history.json()["samples"]
    assert samples[-1]["occupied"]["total"] == 4 and samples[-1]["capacity"] == 23
    user = get_user_model().objects.create_user("parking_operator", password="demo-pass-2019")
    Membership.objects.create(
        user=user,
        organization=Organization.objects.get(code="HZ-CDFW"),
        role="maintainer",
        area_id="330100",
    )
    operator = Api("parking_operator")
    assert operator.get(url).status_code == 200
    ParkingLot.objects.filter(pk=lots["middle"].pk).update(
        operator=Organization.objects.get(code="XH-LCWY")
    )
    Component.objects.filter(identifier=lots["middle"].identifier).update(
        owner=Organization.objects.get(code="XH-LCWY"),
        maintainer=Organization.objects.get(code="XH-LCWY"),
    )
    operator = Api("parking_operator")  # a fresh request: grants are read per request
    assert operator.get(url).status_code == 404


def test_lot_detail_and_spaces():
    lot = make_lot("详情停车场", "330106003001", 1)
    body = Api(None).get(f"/api/v1/parking/lots/{lot.identifier}/").json()
    assert [f["code"] for f in body["floors"]] == ["B1"]
    assert [g["code"] for g in body["gates"]] == ["G1", "G2"]
    spaces = Api(None).get(f"/api/v1/parking/lots/{lot.identifier}/spaces/?floor=B1").json()
    assert len(spaces["features"]) == 10
    assert {f["properties"]["kind"] for f in spaces["features"]} == {
        "standard",
        "charging",
        "accessible",
    }
