"""Coordinate conversions into the storage CRS, CGCS2000 (EPSG:4490).

All coordinates in this module are in **lon/lat (x/y) order**, whatever the axis order of the
official CRS definition; pyproj transformers are built with ``always_xy=True``.

Chinese web coordinate systems
------------------------------
* **GCJ-02** ("Mars coordinates"; Amap/Gaode, Tencent) is WGS 84 plus a deliberate,
  position-dependent offset of a few hundred metres. The forward transform
  (:func:`wgs84_to_gcj02`) is the widely published closed formula (Krasovsky 1940 ellipsoid
  constants plus a polynomial-and-sine series). It is applied only inside a rough bounding box
  of mainland China; outside that box both directions are the identity.
* **BD-09** (Baidu) is a further closed-form distortion of GCJ-02 (:func:`gcj02_to_bd09`),
  applied everywhere.

Neither transform has a closed-form inverse. :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02`
solve the forward equation by fixed-point iteration until the step is below 1e-12 degrees.

Accuracy, as tested in ``tests/test_coords.py``: the round trips WGS 84 -> GCJ-02 -> WGS 84 and
WGS 84 -> BD-09 -> WGS 84 reproduce the input to better than 1e-7 degrees (about 1 cm) inside
the China box. That is the error of our inverse relative to our forward formula only; how
closely the published formula matches the providers' own implementations is not tested here.

Everything else goes through pyproj: :func:`transform_geometry` converts a shapely geometry from
any accepted CRS (see :func:`parse_crs`) into EPSG:4490.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

__all__ = [
    "BD09",
    "CRS84",
    "EPSG_4326",
    "EPSG_4490",
    "GCJ02",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "parse_crs",
    "transform_geometry",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]

#: Canonical names returned by :func:`parse_crs` (any other EPSG CRS is returned as ``EPSG:n``).
CRS84: Final = "CRS84"
EPSG_4490: Final = "EPSG:4490"
EPSG_4326: Final = "EPSG:4326"
GCJ02: Final = "GCJ02"
BD09: Final = "BD09"

# --- GCJ-02 constants (Krasovsky 1940 ellipsoid, as used by the published formula) ---------
_KRASOVSKY_A: Final = 6378245.0
_KRASOVSKY_EE: Final = 0.00669342162296594323  # first eccentricity squared

# Rough bounding box of mainland China in which the GCJ-02 offset is applied.
_CHINA_MIN_LON: Final = 72.004
_CHINA_MAX_LON: Final = 137.8347
_CHINA_MIN_LAT: Final = 0.8293
_CHINA_MAX_LAT: Final = 55.8271

# --- BD-09 constants -------------------------------------------------------------------------
_X_PI: Final = math.pi * 3000.0 / 180.0
_BD_DLON: Final = 0.0065
_BD_DLAT: Final = 0.006

# Iterative inverses: stop when the largest update is below this (degrees) ...
_ITER_TOL: Final = 1e-12
# ... or after this many steps. Each step shrinks the error by a factor of roughly 1e-3, so a
# handful suffices; the cap only matters next to lon = 105 deg, where the sqrt term of the
# series is not Lipschitz and the error stalls around 1e-11 deg (still far below 1e-7).
_ITER_MAX: Final = 50


# =============================================================================================
# Array implementations (used by both the scalar API and transform_geometry)
# =============================================================================================


def _in_china(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    """True where the point lies in the box in which GCJ-02 differs from WGS 84."""
    return (
        (lon >= _CHINA_MIN_LON)
        & (lon <= _CHINA_MAX_LON)
        & (lat >= _CHINA_MIN_LAT)
        & (lat <= _CHINA_MAX_LAT)
    )


def _gcj02_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS 84, in degrees, at WGS 84 position (lon, lat), ignoring the China box."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0

    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    d_lat += common
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0

    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    d_lon += common
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0

    # The series is in metres-like units on the Krasovsky ellipsoid: divide by the meridian
    # and parallel radii of curvature to get degrees.
    rad_lat = np.radians(lat)
    w = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_w = np.sqrt(w)
    meridian_radius = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (w * sqrt_w)
    normal_radius = _KRASOVSKY_A / sqrt_w
    d_lat = d_lat * 180.0 / (meridian_radius * np.pi)
    d_lon = d_lon * 180.0 / (normal_radius * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _wgs84_to_gcj02_arrays(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    d_lon, d_lat = _gcj02_offset(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def _gcj02_to_wgs84_arrays(g_lon: FloatArray, g_lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    # Solve w + offset(w) = g for w by fixed-point iteration w <- g - offset(w). The offset's
    # derivative is ~1e-3, so this is a strong contraction (away from lon = 105, see _ITER_MAX).
    lon = g_lon.copy()
    lat = g_lat.copy()
    for _ in range(_ITER_MAX):
        d_lon, d_lat = _gcj02_offset(lon, lat)
        new_lon = g_lon - d_lon
        new_lat = g_lat - d_lat
        step = max(_max_abs(new_lon - lon), _max_abs(new_lat - lat))
        lon, lat = new_lon, new_lat
        if step < _ITER_TOL:
            break
    # A solution outside the China box is not a preimage under the (boxed) forward transform:
    # there the transform is the identity.
    inside = _in_china(lon, lat)
    return np.where(inside, lon, g_lon), np.where(inside, lat, g_lat)


def _gcj02_to_bd09_arrays(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd09_to_gcj02_arrays(b_lon: FloatArray, b_lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    # Start from the usual one-step approximate inverse ...
    x = b_lon - _BD_DLON
    y = b_lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    lon = z * np.cos(theta)
    lat = z * np.sin(theta)
    # ... and refine it: g <- g - (forward(g) - b). The Jacobian of forward is the identity
    # to within ~1e-3, so the error shrinks by ~1e-3 per step.
    for _ in range(_ITER_MAX):
        f_lon, f_lat = _gcj02_to_bd09_arrays(lon, lat)
        r_lon = f_lon - b_lon
        r_lat = f_lat - b_lat
        lon = lon - r_lon
        lat = lat - r_lat
        if max(_max_abs(r_lon), _max_abs(r_lat)) < _ITER_TOL:
            break
    return lon, lat


def _max_abs(values: FloatArray) -> float:
    """Largest absolute value, ignoring NaN; 0.0 for an empty or all-NaN array."""
    if values.size == 0 or np.all(np.isnan(values)):
        return 0.0
    return float(np.nanmax(np.abs(values)))


# =============================================================================================
# Scalar API
# =============================================================================================

_ArrayPairFn = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def _scalar(fn: _ArrayPairFn, lon: float, lat: float) -> tuple[float, float]:
    out_lon, out_lat = fn(np.array([lon], dtype=np.float64), np.array([lat], dtype=np.float64))
    return float(out_lon[0]), float(out_lat[0])


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS 84 (lon, lat) -> GCJ-02 (lon, lat) by the published formula.

    Identity outside the rough mainland-China bounding box.
    """
    return _scalar(_wgs84_to_gcj02_arrays, lon, lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 (lon, lat) -> WGS 84 (lon, lat), the iterative inverse of :func:`wgs84_to_gcj02`.

    Converges to ~1e-12 degrees; identity when the solution falls outside the China box.
    """
    return _scalar(_gcj02_to_wgs84_arrays, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 (lon, lat) -> Baidu BD-09 (lon, lat) by the published closed formula."""
    return _scalar(_gcj02_to_bd09_arrays, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Baidu BD-09 (lon, lat) -> GCJ-02 (lon, lat); iterative inverse of :func:`gcj02_to_bd09`."""
    return _scalar(_bd09_to_gcj02_arrays, lon, lat)


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """WGS 84 (lon, lat) -> BD-09 (lon, lat), via GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 (lon, lat) -> WGS 84 (lon, lat), via GCJ-02 (both steps iterative)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# =============================================================================================
# CRS names
# =============================================================================================

_CRS84_ALIASES: Final = frozenset(
    {
        "crs84",
        "ogc:crs84",
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    }
)
_GCJ02_ALIASES: Final = frozenset({"gcj02", "gcj-02"})
_BD09_ALIASES: Final = frozenset({"bd09", "bd-09"})
_EPSG_RE: Final = re.compile(r"epsg:(\d+)")

# Common spellings that are refused (ambiguous) but deserve a pointer to the right name.
_HINTS: Final = {
    "wgs84": EPSG_4326,
    "wgs 84": EPSG_4326,
    "wgs-84": EPSG_4326,
    "cgcs2000": EPSG_4490,
    "4326": EPSG_4326,
    "4490": EPSG_4490,
}

_ACCEPTED: Final = (
    "'CRS84' (also 'OGC:CRS84', 'urn:ogc:def:crs:OGC:1.3:CRS84'), 'EPSG:4490', 'EPSG:4326', "
    "'GCJ02' / 'GCJ-02' (Amap, Tencent), 'BD09' / 'BD-09' (Baidu), "
    "or 'EPSG:<code>' for any geographic or projected CRS known to PROJ"
)


@lru_cache(maxsize=256)
def _check_epsg(code: int) -> None:
    """Raise ValueError unless EPSG:code is a horizontal CRS that PROJ knows."""
    try:
        crs = CRS.from_epsg(code)
    except CRSError:
        raise ValueError(
            f"Unknown CRS 'EPSG:{code}': PROJ has no such EPSG code. Accepted: {_ACCEPTED}."
        ) from None
    if not (crs.is_geographic or crs.is_projected):
        raise ValueError(
            f"CRS 'EPSG:{code}' ({crs.name}, {crs.type_name}) has no horizontal lon/lat or "
            f"easting/northing axes and cannot be used for geometries. Accepted: {_ACCEPTED}."
        )


def parse_crs(value: str | None) -> str:
    """Normalise a CRS name to one of 'CRS84', 'EPSG:4490', 'EPSG:4326', 'GCJ02', 'BD09', 'EPSG:n'.

    Matching is case-insensitive and ignores surrounding whitespace. ``None`` and ``''`` mean
    CRS84, the GeoJSON default (RFC 7946). Anything else raises :class:`ValueError` with an
    English message listing the accepted values. Whatever the CRS, coordinates are expected in
    lon/lat (easting/northing) order.
    """
    if value is None:
        return CRS84
    key = value.strip().lower()
    if not key:
        return CRS84
    if key in _CRS84_ALIASES:
        return CRS84
    if key in _GCJ02_ALIASES:
        return GCJ02
    if key in _BD09_ALIASES:
        return BD09
    match = _EPSG_RE.fullmatch(key)
    if match:
        code = int(match.group(1))
        _check_epsg(code)
        return f"EPSG:{code}"
    hint = _HINTS.get(key)
    if hint is not None:
        raise ValueError(f"Ambiguous CRS {value!r}: did you mean {hint!r}? Accepted: {_ACCEPTED}.")
    raise ValueError(f"Unknown CRS {value!r}. Accepted: {_ACCEPTED}.")


# =============================================================================================
# Geometries
# =============================================================================================


@lru_cache(maxsize=64)
def _transformer_to_4490(source: str) -> Transformer:
    return Transformer.from_crs(source, EPSG_4490, always_xy=True)


def coordinate_function(crs: str) -> Callable[[FloatArray], FloatArray] | None:
    """Function mapping an (N, 2) or (N, 3) coordinate array in ``crs`` to EPSG:4490.

    ``None`` when the conversion is the identity.
    """
    # CGCS2000 and WGS 84 (hence CRS84 and EPSG:4326) agree to within a few centimetres, well
    # below the accuracy of any data we ingest, so the conversion is numerically the identity
    # (PROJ itself only offers a "ballpark" null transformation between the two).
    if crs in (CRS84, EPSG_4326, EPSG_4490):
        return None

    if crs in (GCJ02, BD09):
        to_gcj02 = crs == BD09

        def chinese_web(coords: FloatArray) -> FloatArray:
            lon, lat = coords[:, 0], coords[:, 1]
            if to_gcj02:
                lon, lat = _bd09_to_gcj02_arrays(lon, lat)
            lon, lat = _gcj02_to_wgs84_arrays(lon, lat)
            out = coords.copy()
            out[:, 0] = lon
            out[:, 1] = lat
            return out

        return chinese_web

    transformer = _transformer_to_4490(crs)

    def reproject(coords: FloatArray) -> FloatArray:
        out = coords.copy()
        if coords.shape[1] >= 3:
            out[:, 0], out[:, 1], out[:, 2] = transformer.transform(
                coords[:, 0], coords[:, 1], coords[:, 2]
            )
        else:
            out[:, 0], out[:, 1] = transformer.transform(coords[:, 0], coords[:, 1])
        return out

    return reproject


def transform_geometry(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """Return ``geom`` (coordinates in lon/lat or easting/northing order) converted to EPSG:4490.

    ``crs`` is any value accepted by :func:`parse_crs`; ValueError is raised for other values.
    Z coordinates are kept if present (passed through unchanged, except where PROJ itself
    transforms heights). The input geometry is not modified.
    """
    func = coordinate_function(parse_crs(crs))
    if func is None:
        return geom
    include_z = bool(shapely.has_z(geom))
    result: BaseGeometry = shapely.transform(geom, func, include_z=include_z)
    return result
