"""OGC API - Features through real clients (GDAL's OAPIF driver, OWSLib) and the access
rules for anonymous callers on every route."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
import requests
from pyproj import Transformer

from tests.ogc_data import TOILET_NAMES, committed_components


@pytest.fixture(scope="module")
def data(live_url: str, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock(), committed_components() as made:
        yield made


def get(url: str, **params: Any) -> requests.Response:
    return requests.get(url, params=params, timeout=30)


def test_landing_conformance_and_api(live_url: str, data: Any) -> None:
    landing = get(f"{live_url}/ogc/").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conformance = get(f"{live_url}/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    api = get(f"{live_url}/ogc/api")
    assert api.headers["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert "/collections/component-0301/items" in api.json()["paths"]
    html = get(f"{live_url}/ogc/collections", f="html")
    assert "text/html" in html.headers["Content-Type"] and "公共厕所" in html.text


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed")
def test_gdal_oapif_driver_lists_collections_and_reads_features(live_url: str, data: Any) -> None:
    env = {"PATH": "/usr/bin:/bin", "GDAL_HTTP_TIMEOUT": "30", "CPL_DEBUG": "OFF"}
    listing = subprocess.run(
        ["ogrinfo", "-ro", "-q", f"OAPIF:{live_url}/ogc"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert listing.returncode == 0, listing.stderr
    assert "component-0301" in listing.stdout
    assert "component-0111" not in listing.stdout  # restricted: not for anonymous readers
    summary = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_url}/ogc", "component-0301"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert summary.returncode == 0, summary.stderr
    assert f"Feature Count: {len(data['toilets'])}\n" in summary.stdout, summary.stdout[:600]
    features = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{live_url}/ogc", "component-0301"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert features.returncode == 0, features.stderr
    read = json.loads(features.stdout)
    assert sorted(f["properties"]["name"] for f in read["features"]) == sorted(TOILET_NAMES)
    first = read["features"][0]["properties"]
    assert first["address"].startswith("杭州市西湖区")
    assert first["owner"] == "XH-CGJ"


def test_owslib_pages_through_a_collection_and_fetches_one(live_url: str, data: Any) -> None:
    from owslib.ogcapi.features import Features

    service = Features(f"{live_url}/ogc")
    ids = {c["id"] for c in service.collections()["collections"]}
    assert "component-0301" in ids and "component-0111" not in ids
    seen: list[str] = []
    offset = 0
    while True:
        page = service.collection_items("component-0301", limit=3, offset=offset)
        seen += [f["id"] for f in page["features"]]
        assert page["numberMatched"] == len(data["toilets"])
        if page["numberReturned"] < 3:
            break
        offset += 3
    assert sorted(seen) == sorted(data["toilets"])
    one = service.collection_item("component-0301", data["toilets"][0])
    assert one["id"] == data["toilets"][0]
    assert one["properties"]["name"] == TOILET_NAMES[0]


def test_next_links_walk_the_collection_once(live_url: str, data: Any) -> None:
    url: str | None = f"{live_url}/ogc/collections/component-0301/items?limit=2"
    seen: list[str] = []
    while url:
        page = get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = next((x["href"] for x in page["links"] if x["rel"] == "next"), None)
    assert sorted(seen) == sorted(data["toilets"])


@pytest.mark.parametrize("code", [4549, 3857, 4326, 4490])
def test_item_in_another_crs_matches_pyproj_within_1_cm(
    live_url: str, data: Any, code: int
) -> None:
    ident = data["toilets"][0]
    base = get(f"{live_url}/ogc/collections/component-0301/items/{ident}").json()
    lon, lat = base["geometry"]["coordinates"]
    uri = f"http://www.opengis.net/def/crs/EPSG/0/{code}"
    response = get(f"{live_url}/ogc/collections/component-0301/items/{ident}", crs=uri)
    assert response.headers["Content-Crs"] == f"<{uri}>"
    got = response.json()["geometry"]["coordinates"]
    # pyproj in the authority axis order of both CRSs (EPSG:4490 is lat, lon)
    expected = Transformer.from_crs("EPSG:4490", f"EPSG:{code}").transform(lat, lon)
    if code in (4490, 4326):
        assert abs(got[0] - expected[0]) < 1e-7 and abs(got[1] - expected[1]) < 1e-7
    else:
        assert abs(got[0] - expected[0]) < 0.01 and abs(got[1] - expected[1]) < 0.01


def test_bbox_with_bbox_crs_and_property_filter(live_url: str, data: Any) -> None:
    items = f"{live_url}/ogc/collections/component-0301/items"
    first = get(f"{items}/{data['toilets'][0]}").json()
    lon, lat = first["geometry"]["coordinates"]
    box = f"{lon - 0.0001},{lat - 0.0001},{lon + 0.0001},{lat + 0.0001}"
    found = get(items, bbox=box).json()
    assert [f["id"] for f in found["features"]] == [data["toilets"][0]]
    # the same box in EPSG:4549 (northing, easting order)
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4549")
    n1, e1 = to_gk.transform(lat - 0.0001, lon - 0.0001)
    n2, e2 = to_gk.transform(lat + 0.0001, lon + 0.0001)
    found = get(
        items,
        bbox=f"{n1},{e1},{n2},{e2}",
        **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4549"},
    ).json()
    assert data["toilets"][0] in [f["id"] for f in found["features"]]
    named = get(items, name=TOILET_NAMES[1]).json()
    assert [f["properties"]["name"] for f in named["features"]] == [TOILET_NAMES[1]]
    assert get(items, status="good").json()["numberMatched"] == len(data["toilets"])
    assert get(items, datetime="2000-01-01T00:00:00Z/..").json()["numberMatched"] == len(
        data["toilets"]
    )
    assert get(items, datetime="../2000-01-01T00:00:00Z").json()["numberMatched"] == 0


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"limit": "0"}, "limit"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"crs": "EPSG:9999"}, "crs"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"colour": "red"}, "colour"),
        ({"status": "broken"}, "status"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    live_url: str, data: Any, query: dict, parameter: str
) -> None:
    response = get(f"{live_url}/ogc/collections/component-0301/items", **query)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter


def test_anonymous_never_sees_restricted_layers_or_features(live_url: str, data: Any) -> None:
    gas = data["gas"][0]
    collections = {c["id"] for c in get(f"{live_url}/ogc/collections").json()["collections"]}
    for restricted in ("component-0111", "component-0101", "grid-cells", "building-details"):
        assert restricted not in collections
        assert get(f"{live_url}/ogc/collections/{restricted}").status_code == 404
        assert get(f"{live_url}/ogc/collections/{restricted}/items").status_code == 404
    assert get(f"{live_url}/ogc/collections/component-0111/items/{gas}").status_code == 404
    # a restricted feature's id asked through a public collection is not found either
    assert get(f"{live_url}/ogc/collections/component-0301/items/{gas}").status_code == 404
    # bbox around the gas cover on every public collection: never the gas cover
    cover = get(f"{live_url}/ogc/collections/component-0301/items/{data['toilets'][0]}").json()
    lon, lat = cover["geometry"]["coordinates"]
    box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    for collection_id in collections:
        page = get(f"{live_url}/ogc/collections/{collection_id}/items", bbox=box, limit=1000)
        assert page.status_code == 200
        assert gas not in page.text
    # admin areas: only the public ones (no communities)
    areas = get(f"{live_url}/ogc/collections/admin-areas/items", limit=1000).json()
    assert {f["properties"]["level"] for f in areas["features"]} == {"city", "district", "street"}


def test_staff_token_sees_their_restricted_layers(live_url: str, data: Any) -> None:
    token = requests.post(
        f"{live_url}/api/v1/auth/token/",
        data={"username": "district_admin", "password": "demo-pass-2019"},
        timeout=30,
    ).json()["token"]
    headers = {"Authorization": f"Token {token}"}
    collections = requests.get(f"{live_url}/ogc/collections", headers=headers, timeout=30).json()
    assert "component-0111" in {c["id"] for c in collections["collections"]}
    items = requests.get(
        f"{live_url}/ogc/collections/component-0111/items", headers=headers, timeout=30
    ).json()
    assert sorted(f["id"] for f in items["features"]) == sorted(data["gas"])
    water = requests.post(
        f"{live_url}/api/v1/auth/token/",
        data={"username": "surveyor_water", "password": "demo-pass-2019"},
        timeout=30,
    ).json()["token"]
    response = requests.get(
        f"{live_url}/ogc/collections/component-0111/items",
        headers={"Authorization": f"Token {water}"},
        timeout=30,
    )
    assert response.status_code == 404  # not their class
