"""The residents' facility search (``/api/v1/facilities/search/``): public facilities first,
then how well the text matches, then distance; the true count; paging to the last match;
English names; what the caller may not see stays unseen; bad input names its field. And the
finder's chips: kinds with nothing to find say so (issue 16, items 5 and 7)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pyproj import Geod

from component_catalog.models import Component
from layers.models import AdminArea
from map_ui import facilities
from tests.components_helpers import Api, inside
from tests.ogc_data import gas_cover, toilet

pytestmark = pytest.mark.django_db

URL = "/api/v1/facilities/search/"
GEOD = Geod(ellps="GRS80")
ROAD = "马塍路"


def item(klass: str, at: list[float], name: str = "", address: str = "") -> dict[str, Any]:
    """A street tree (0402), a bin (0305) or another component without class attributes."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": at},
        "properties": {
            "class": klass,
            "name": name,
            "address": address,
            "competent_department": "XH-CGJ",
            "owner": "XH-CGJ",
            "maintainer": "XH-JD-001",
            "attributes": {},
        },
    }


def batch(features: list[dict[str, Any]]) -> list[str]:
    response = Api("district_admin").post(
        "/api/v1/components/batch/", {"features": features, "comment": "道路设施普查"}
    )
    assert response.status_code == 200, response.content
    return [f["id"] for f in response.json()["features"]]


@pytest.fixture
def street() -> dict[str, Any]:
    """One road as a resident searches it: a named public toilet at the road's far end, a
    parking lot's entrance address, 20 bins and 25 street trees along it (all nearer to the
    resident than the toilet), and a water-supply cover nobody may see anonymously."""
    base = inside("330106001001", 1)
    here = [base[0], base[1]]  # where the resident stands
    far = [base[0] + 0.004, base[1]]  # ~380 m east
    created = Api("district_admin").create(toilet(f"{ROAD}公厕", far), comment="公厕普查")
    assert created.status_code == 201, created.content
    named_toilet = created.json()["id"]
    # A toilet with the road only in its address, nearer than the named one.
    by_address = dict(toilet("无名公厕", [base[0] + 0.002, base[1]]))
    by_address["properties"] = {**by_address["properties"], "address": f"杭州市西湖区{ROAD}88号"}
    address_toilet = Api("district_admin").create(by_address).json()["id"]
    bins = batch(
        [
            item("0305", [base[0] + 0.0001 * i, base[1] + 0.0002], address=f"{ROAD}{i}号")
            for i in range(20)
        ]
    )
    trees = batch(
        [
            item("0402", [base[0] + 0.0001 * i, base[1] - 0.0002], address=f"{ROAD}{i}号旁")
            for i in range(25)
        ]
    )
    cover = Api("district_admin").create(gas_cover([base[0], base[1] + 0.0001])).json()["id"]
    Component.objects.filter(identifier=cover).update(address=f"{ROAD}1号")
    return {
        "here": here,
        "named_toilet": named_toilet,
        "address_toilet": address_toilet,
        "bins": bins,
        "trees": trees,
        "cover": cover,
    }


def get(client: Client, **query: Any) -> Any:
    response = client.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_public_facilities_come_first_then_the_nearest_and_the_count_is_true(
    street: dict[str, Any],
) -> None:
    lon, lat = street["here"]
    body = get(Client(), q=ROAD, lon=lon, lat=lat, limit=20)
    ids = [f["id"] for f in body["features"]]
    # The two toilets first (the named one before the one that only has the road in its
    # address, though farther), then the bins (street furniture a resident looks for),
    # then the trees; the restricted gas cover is not counted for an anonymous resident.
    assert ids[:2] == [street["named_toilet"], street["address_toilet"]]
    assert set(ids[2:20]) <= set(street["bins"])
    assert body["numberMatched"] == 2 + 20 + 25
    assert body["numberReturned"] == 20 and body["next"]
    # Within a kind and match, nearest first, by geodesic distance from the point.
    bins = [f for f in body["features"] if f["id"] in street["bins"]]
    distances = [f["properties"]["distance_m"] for f in bins]
    assert distances == sorted(distances)
    for f in bins:
        x, y = f["geometry"]["coordinates"]
        assert f["properties"]["distance_m"] == pytest.approx(GEOD.inv(lon, lat, x, y)[2], abs=0.05)
    first = body["features"][0]["properties"]
    assert first["name"] == f"{ROAD}公厕" and first["class_name"] == "公共厕所"
    assert first["match"] == "name_start"


def test_pages_reach_every_match_once(street: dict[str, Any]) -> None:
    lon, lat = street["here"]
    seen: list[str] = []
    offset = 0
    for _ in range(5):
        body = get(Client(), q=ROAD, lon=lon, lat=lat, offset=offset, limit=20)
        assert body["numberMatched"] == 47 and body["offset"] == offset
        seen += [f["id"] for f in body["features"]]
        if not body["next"]:
            break
        assert f"offset={offset + 20}" in body["next"]
        offset += 20
    expected = {street["named_toilet"], street["address_toilet"], *street["bins"], *street["trees"]}
    assert len(seen) == len(set(seen)) == 47 and set(seen) == expected
    assert seen[-25:] and set(seen[-25:]) == set(street["trees"])  # trees last


def test_without_a_point_the_ranking_still_puts_facilities_first(street: dict[str, Any]) -> None:
    body = get(Client(), q=ROAD)
    assert body["features"][0]["id"] == street["named_toilet"]
    assert body["features"][0]["properties"]["distance_m"] is None


def test_the_caller_sees_what_they_may(street: dict[str, Any]) -> None:
    lon, lat = street["here"]
    gas = Api("surveyor_water").get(f"{URL}?q={ROAD}&lon={lon}&lat={lat}&limit=50").json()
    admin = Api("district_admin").get(f"{URL}?q={ROAD}&limit=50").json()
    assert admin["numberMatched"] == 48  # the district admin also sees the gas cover
    assert street["cover"] in [f["id"] for f in admin["features"]]
    assert street["cover"] not in [f["id"] for f in gas["features"]]


def test_english_names_are_searched(street: dict[str, Any]) -> None:
    # The class's English name, in any case, finds the toilets (and only them).
    body = get(Client(), q="TOILET")
    ids = {f["id"] for f in body["features"]}
    assert ids == {street["named_toilet"], street["address_toilet"]}
    english = Client().get(URL, {"q": "toilet"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["features"][0]["properties"]["class_name"] == "Public toilet"
    # A community's English name, where the data has one, finds what is in it.
    AdminArea.objects.filter(code="330106001001").update(name_en="Baochu Community")
    found = get(Client(), q="baochu", limit=50)
    assert found["numberMatched"] == 47
    assert found["features"][0]["id"] in (street["named_toilet"], street["address_toilet"])


def test_an_identifier_typed_comes_first(street: dict[str, Any]) -> None:
    tree = street["trees"][3]
    body = get(Client(), q=tree)
    assert [f["id"] for f in body["features"]] == [tree]
    assert body["features"][0]["properties"]["match"] == "identifier"


@pytest.mark.parametrize(
    "query, field",
    [
        ({}, "q"),
        ({"q": "  "}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": ROAD, "limit": "0"}, "limit"),
        ({"q": ROAD, "limit": "51"}, "limit"),
        ({"q": ROAD, "offset": "-1"}, "offset"),
        ({"q": ROAD, "lon": "120.1"}, "lat"),
        ({"q": ROAD, "lon": "east", "lat": "30.2"}, "lon"),
        ({"q": ROAD, "lon": "120.1", "lat": "30.2", "crs": "EPSG:0"}, "crs"),
    ],
)
def test_bad_input_names_the_field(query: dict[str, str], field: str) -> None:
    response = Client().get(URL, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field and body["error"] and body["detail"]


def test_chips_say_which_kinds_have_nothing_to_find() -> None:
    user = Client().get("/").wsgi_request.user
    before = {c["key"]: c for c in facilities.chips_for(user)}
    assert before["bus"]["available"] is False
    at = inside("330106001001", 2)
    batch([item("0203", at, name="马塍路公交站")])
    chips = facilities.chips_for(user)
    after = {c["key"]: c for c in chips}
    assert after["bus"]["available"] is True
    # Kinds with something to find first, in the catalogue's order; the others after.
    flags = [c["available"] for c in chips]
    assert flags == sorted(flags, reverse=True)
    html = Client().get("/").content.decode()
    assert 'data-chip="bus"' in html
    assert 'data-chip="police" data-empty="true" title="本区域暂无此类设施"' in html
