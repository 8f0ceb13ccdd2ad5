"""Tests for gis_app.coords: GCJ-02 / BD-09 conversions, CRS names, geometry reprojection."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon

from gis_app.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_crs,
    transform_geometry,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

ROUND_TRIP_TOL = 1e-7  # degrees, about 1 cm
HANGZHOU = (120.1551, 30.2741)  # West Lake area, WGS 84
GEOD = Geod(ellps="WGS84")

# Points inside the box where the GCJ-02 offset applies (lon 72.004-137.8347, lat 0.8293-55.8271).
china_lon = st.floats(min_value=73.5, max_value=134.8, allow_nan=False, allow_infinity=False)
china_lat = st.floats(min_value=18.0, max_value=53.5, allow_nan=False, allow_infinity=False)


def _max_diff(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]))


# --- round trips -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_wgs84_gcj02_round_trip(lon: float, lat: float) -> None:
    gcj = wgs84_to_gcj02(lon, lat)
    assert gcj != (lon, lat)
    assert _max_diff(gcj02_to_wgs84(*gcj), (lon, lat)) < ROUND_TRIP_TOL


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_gcj02_wgs84_round_trip(lon: float, lat: float) -> None:
    # The inverse is a true inverse, not the one-step approximation: forward(inverse(g)) == g.
    assert _max_diff(wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat)), (lon, lat)) < ROUND_TRIP_TOL


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_wgs84_bd09_round_trip(lon: float, lat: float) -> None:
    assert _max_diff(bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), (lon, lat)) < ROUND_TRIP_TOL


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=-180.0, max_value=180.0, allow_nan=False),
    st.floats(min_value=-85.0, max_value=85.0, allow_nan=False),
)
def test_gcj02_bd09_round_trip_anywhere(lon: float, lat: float) -> None:
    assert _max_diff(bd09_to_gcj02(*gcj02_to_bd09(lon, lat)), (lon, lat)) < ROUND_TRIP_TOL


@pytest.mark.parametrize("lon", [105.0, 105.0 + 1e-9, 105.0 - 1e-12, 104.999999])
def test_round_trip_at_series_kink(lon: float) -> None:
    # The series has sqrt(|lon - 105|), whose derivative is unbounded at lon = 105.
    lat = 35.0
    assert _max_diff(gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), (lon, lat)) < ROUND_TRIP_TOL
    assert _max_diff(wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat)), (lon, lat)) < ROUND_TRIP_TOL


def test_inverse_beats_one_step_approximation() -> None:
    # The crude inverse (subtract the offset computed at the GCJ-02 point) is off by
    # decimetres to metres; ours is exact to well under a millimetre.
    lon, lat = HANGZHOU
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    f_lon, f_lat = wgs84_to_gcj02(g_lon, g_lat)
    crude = (2 * g_lon - f_lon, 2 * g_lat - f_lat)
    assert _max_diff(crude, (lon, lat)) > 1e-7
    assert _max_diff(gcj02_to_wgs84(g_lon, g_lat), (lon, lat)) < 1e-10


# --- known values ------------------------------------------------------------------------------


def test_gcj02_reference_value() -> None:
    lon, lat = wgs84_to_gcj02(120.0, 30.0)
    # Derived once from the formula (regression check) ...
    assert lon == pytest.approx(120.00466044559735, abs=1e-11)
    assert lat == pytest.approx(29.997534331696095, abs=1e-11)
    # ... and consistent with the commonly quoted offset near (120E, 30N).
    assert abs(lon - 120.00467) < 0.0002
    assert abs(lat - 29.99750) < 0.0002


def test_gcj02_offset_in_hangzhou_is_a_few_hundred_metres() -> None:
    lon, lat = HANGZHOU
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    _, _, distance = GEOD.inv(lon, lat, g_lon, g_lat)
    assert 300.0 < distance < 700.0


def test_bd09_offset_from_gcj02() -> None:
    g_lon, g_lat = wgs84_to_gcj02(*HANGZHOU)
    b_lon, b_lat = gcj02_to_bd09(g_lon, g_lat)
    assert b_lon - g_lon == pytest.approx(0.0065, abs=0.0015)
    assert b_lat - g_lat == pytest.approx(0.0060, abs=0.0015)


@pytest.mark.parametrize(
    "point",
    [
        (139.6917, 35.6895),  # Tokyo
        (-0.1276, 51.5072),  # London
        (-74.0060, 40.7128),  # New York
        (151.2093, -33.8688),  # Sydney
    ],
)
def test_identity_outside_china(point: tuple[float, float]) -> None:
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


# --- parse_crs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "CRS84"),
        ("", "CRS84"),
        ("CRS84", "CRS84"),
        ("crs84", "CRS84"),
        ("OGC:CRS84", "CRS84"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "CRS84"),
        ("EPSG:4490", "EPSG:4490"),
        ("epsg:4326", "EPSG:4326"),
        (" EPSG:4549 ", "EPSG:4549"),
        ("EPSG:3857", "EPSG:3857"),
        ("GCJ02", "GCJ02"),
        ("gcj-02", "GCJ02"),
        ("BD09", "BD09"),
        ("bd-09", "BD09"),
    ],
)
def test_parse_crs_normalises(value: str | None, expected: str) -> None:
    assert parse_crs(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("EPSG:999999", "EPSG:999999"),
        ("WGS84", "EPSG:4326"),
        ("foo", "foo"),
        ("EPSG:5773", "horizontal"),  # a vertical CRS
        ("EPSG:4978", "horizontal"),  # geocentric
    ],
)
def test_parse_crs_rejects(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        parse_crs(value)
    # The message names the accepted values.
    assert "CRS84" in str(excinfo.value)
    assert "GCJ02" in str(excinfo.value)


# --- transform_geometry ------------------------------------------------------------------------

RING = [(120.10, 30.20), (120.20, 30.20), (120.20, 30.30), (120.10, 30.30), (120.10, 30.20)]


def _project(
    coords: list[tuple[float, float]], source: str, target: str
) -> list[tuple[float, float]]:
    transformer = Transformer.from_crs(source, target, always_xy=True)
    return [transformer.transform(x, y) for x, y in coords]


def test_transform_geometry_from_4549_keeps_z() -> None:
    projected = _project(RING, "EPSG:4490", "EPSG:4549")
    polygon = Polygon([(x, y, 12.5) for x, y in projected])
    assert 400_000 < projected[0][0] < 600_000  # easting in metres, false easting 500 km

    result = transform_geometry(polygon, "EPSG:4549")

    assert result.geom_type == "Polygon"
    assert result.has_z
    for (lon, lat), (x, y, z) in zip(RING, result.exterior.coords, strict=True):
        assert abs(x - lon) < 1e-8
        assert abs(y - lat) < 1e-8
        assert z == pytest.approx(12.5)


def test_transform_geometry_from_3857() -> None:
    projected = _project(RING, "EPSG:4326", "EPSG:3857")
    result = transform_geometry(Polygon(projected), "EPSG:3857")
    assert not result.has_z
    for (lon, lat), (x, y) in zip(RING, result.exterior.coords, strict=True):
        assert abs(x - lon) < 1e-8
        assert abs(y - lat) < 1e-8


@pytest.mark.parametrize("crs", ["CRS84", "EPSG:4326", "EPSG:4490", None, ""])
def test_transform_geometry_identity(crs: str) -> None:
    polygon = Polygon(RING)
    assert shapely.equals_exact(transform_geometry(polygon, crs), polygon, tolerance=0)


def test_transform_geometry_gcj02_matches_scalar_functions() -> None:
    gcj_ring = [wgs84_to_gcj02(lon, lat) for lon, lat in RING]
    line = LineString([(lon, lat, 3.0) for lon, lat in gcj_ring])
    result = transform_geometry(line, "gcj-02")
    assert result.has_z
    for (lon, lat), (x, y, z) in zip(RING, result.coords, strict=True):
        assert abs(x - lon) < ROUND_TRIP_TOL
        assert abs(y - lat) < ROUND_TRIP_TOL
        assert z == 3.0


def test_transform_geometry_bd09_collection() -> None:
    bd_ring = [wgs84_to_bd09(lon, lat) for lon, lat in RING]
    collection = GeometryCollection([MultiPolygon([Polygon(bd_ring)]), Point(bd_ring[0]), Point()])
    result = transform_geometry(collection, "BD09")
    expected = GeometryCollection([MultiPolygon([Polygon(RING)]), Point(RING[0]), Point()])
    assert shapely.equals_exact(result, expected, tolerance=ROUND_TRIP_TOL)


def test_transform_geometry_gcj02_outside_china_is_identity() -> None:
    tokyo = Point(139.6917, 35.6895)
    assert shapely.equals_exact(transform_geometry(tokyo, "GCJ02"), tokyo, tolerance=0)


def test_transform_geometry_rejects_unknown_crs() -> None:
    with pytest.raises(ValueError, match="Unknown CRS"):
        transform_geometry(Point(120.0, 30.0), "EPSG:999999")


def test_transform_geometry_other_epsg_hong_kong_grid() -> None:
    # EPSG:2326 (Hong Kong 1980 Grid) involves a datum shift; check against a PROJ round trip.
    lon, lat = 114.1694, 22.3193
    (x, y) = _project([(lon, lat)], "EPSG:4490", "EPSG:2326")[0]
    result = transform_geometry(Point(x, y), "EPSG:2326")
    assert math.isclose(result.x, lon, abs_tol=1e-7)
    assert math.isclose(result.y, lat, abs_tol=1e-7)
