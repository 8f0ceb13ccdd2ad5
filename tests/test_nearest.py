"""Nearest components with metric distances, checked against pyproj's geodesic."""

import pytest
from pyproj import Geod

from gis_app import coords
from tests.components_helpers import Api, inside, manhole

pytestmark = pytest.mark.django_db

GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid (flattening differs from WGS 84 by 1e-11)


def toilet(at):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": at},
        "properties": {
            "class": "0301",
            "name": "公厕",
            "competent_department": "XH-CGJ",
            "owner": "XH-CGJ",
            "maintainer": "XH-CGJ",
            "attributes": {},
        },
    }


@pytest.fixture
def places():
    admin = Api("district_admin")
    spots = [inside(f"330106{s:03d}{c:03d}", g) for s in (1, 2, 3) for c in (1, 3) for g in (1, 3)]
    ids = []
    for at in spots:
        response = admin.create(toilet(at), comment="公厕普查")
        assert response.status_code == 201
        ids.append(response.json()["id"])
    admin.create(manhole(at=spots[0]), comment="井盖")
    return dict(zip(ids, spots, strict=True))


def test_nearest_distances_agree_with_pyproj_within_half_a_metre(places):
    lon, lat = inside("330106002002", 2)
    body = Api(None).get(f"/api/v1/nearest/?classes=0301&lon={lon}&lat={lat}&limit=5").json()
    features = body["features"]
    assert len(features) == 5
    expected = sorted((GEOD.inv(lon, lat, x, y)[2], ident) for ident, (x, y) in places.items())[:5]
    assert [f["id"] for f in features] == [ident for _, ident in expected]
    for feature, (metres, _) in zip(features, expected, strict=True):
        assert abs(feature["properties"]["distance_m"] - metres) < 0.5
        x, y = feature["geometry"]["coordinates"]
        azimuth = GEOD.inv(lon, lat, x, y)[0] % 360
        assert abs(feature["properties"]["bearing_deg"] - azimuth) < 0.5
    distances = [f["properties"]["distance_m"] for f in features]
    assert distances == sorted(distances)


def test_nearest_only_returns_what_the_caller_may_see(places):
    lon, lat = places[next(iter(places))]
    anonymous = Api(None).get(f"/api/v1/nearest/?classes=0301,0101&lon={lon}&lat={lat}").json()
    assert {f["properties"]["class"] for f in anonymous["features"]} == {"0301"}
    water = Api("surveyor_water").get(f"/api/v1/nearest/?classes=0101&lon={lon}&lat={lat}")
    assert water.json()["features"][0]["properties"]["distance_m"] == 0


def test_nearest_accepts_gcj02_query_points(places):
    ident, (lon, lat) = next(iter(places.items()))
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    body = (
        Api(None)
        .get(f"/api/v1/nearest/?classes=0301&lon={g_lon}&lat={g_lat}&crs=GCJ02&limit=1")
        .json()
    )
    assert body["features"][0]["id"] == ident
    assert body["features"][0]["properties"]["distance_m"] < 0.01


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lon=120.1&lat=30.2", "classes"),
        ("classes=toilet&lon=120.1&lat=30.2", "classes"),
        ("classes=0301&lat=30.2", "lon"),
        ("classes=0301&lon=120.1&lat=30.2&limit=0", "limit"),
    ],
)
def test_nearest_bad_parameters(query, field):
    response = Api(None).get(f"/api/v1/nearest/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


@pytest.mark.parametrize("latitude", [0.0, 22.5, 30.27, 45.0, 53.5, 70.0])
def test_the_mercator_box_holds_every_point_within_the_radius(latitude: float) -> None:
    """``near_3857`` is the index-answerable pre-filter of distance queries: it must never
    leave out a point that is within the radius on the spheroid, whatever the bearing, the
    radius or the latitude (just inside the radius, 36 bearings)."""
    from django.db import connection

    from component_catalog.sql import near_3857

    cases = []
    for metres in (50.0, 600.0, 5000.0, 50000.0):
        for bearing in range(0, 360, 10):
            lon, lat, _back = GEOD.fwd(120.0, latitude, bearing, metres * 0.999)
            cases.append((lon, lat, metres))
    condition = near_3857(
        "c.metres", "ST_SetSRID(ST_MakePoint(120.0, %s), 4490)", "ST_Transform(c.p, 3857)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.lon, c.lat, c.metres,
                   ST_DWithin(c.p::geography, ST_SetSRID(ST_MakePoint(120.0, %s), 4490)::geography,
                              c.metres)
            FROM (SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4490) AS p, lon, lat, metres
                  FROM unnest(%s::float8[], %s::float8[], %s::float8[]) AS t(lon, lat, metres)) c
            WHERE NOT ({condition})
            """,  # noqa: S608 (constant SQL)
            [
                latitude,
                [c[0] for c in cases],
                [c[1] for c in cases],
                [c[2] for c in cases],
                latitude,
                latitude,
                latitude,
            ],
        )
        left_out = cursor.fetchall()
    assert not [row for row in left_out if row[3]], left_out[:5]


@pytest.mark.parametrize(
    ("language", "line"), [("zh-hans", "周一至周五 08:00-18:00"), ("en", "Mon to Fri 08:00-18:00")]
)
def test_nearest_says_the_opening_hours_in_words(language, line):
    at = inside("330106001001", 2)
    made = toilet(at)
    made["properties"]["attributes"] = {"opening_hours": "Mo-Fr 08:00-18:00"}
    assert Api("district_admin").create(made).status_code == 201
    plain = toilet(inside("330106001001", 3))  # no hours: nothing to say
    assert Api("district_admin").create(plain).status_code == 201
    url = f"/api/v1/nearest/?classes=0301&lon={at[0]}&lat={at[1]}&limit=2"
    features = Api(None).get(url, HTTP_ACCEPT_LANGUAGE=language).json()["features"]
    words = features[0]["properties"]["opening_hours_words"]
    assert words["lines"] == [line] and isinstance(words["open_now"], bool)
    assert features[0]["properties"]["attributes"]["opening_hours"] == "Mo-Fr 08:00-18:00"
    assert features[1]["properties"]["opening_hours_words"] is None
