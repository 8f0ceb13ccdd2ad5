"""Strict checks of geometry input, shared by every write path (component API, base layers,
imports): the GeoJSON structure as RFC 7946 defines it, and size limits.

shapely's ``shape()`` is lenient: it takes coordinates given as strings (``["120.1",
"30.2"]``), a point given as a nested array (``[[120.1, 30.2]]``) and closes an unclosed
polygon ring silently. :func:`check_structure` refuses those before ``shape()`` sees the
object, naming the field, and counts the positions so that a huge geometry is refused
before it is built. :func:`size_problem` measures a built geometry (geodesic area on the
CGCS2000 ellipsoid, vertex count) against a limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Final

import shapely
from django.utils.translation import gettext as _
from pyproj import Geod

from gis_app.errors import InvalidInput

# No write path accepts more positions than this, whatever its own limit (which is checked
# after the geometry is built): the bound on the work a single request can ask for.
MAX_POSITIONS: Final = 100_000
# CGCS2000 uses the GRS 80 ellipsoid (to within 0.1 mm of semi-minor axis).
_GEOD: Final = Geod(ellps="GRS80")

_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", field=field)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positions(value: Any, depth: int, field: str) -> Iterator[Sequence[Any]]:
    """The positions of a ``coordinates`` member nested ``depth`` arrays deep (0: one
    position), checking the nesting and that every position is 2 or 3 numbers."""
    if depth == 0:
        if (
            not isinstance(value, list | tuple)
            or not 2 <= len(value) <= 3
            or not all(_is_number(v) for v in value)
        ):
            raise _invalid(
                field,
                _(
                    "not valid GeoJSON: a position must be an array of 2 or 3 numbers "
                    "[longitude, latitude], not %(value)s."
                )
                % {"value": _short(value)},
            )
        yield value
        return
    if not isinstance(value, list | tuple):  # tuples: from Python callers (the demo loader)
        raise _invalid(
            field, _("not valid GeoJSON: coordinates are not nested as the type requires.")
        )
    for item in value:
        yield from _positions(item, depth - 1, field)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_parts(kind: str, coordinates: list[Any], field: str) -> None:
    """Counts per part: a line needs 2 positions; a ring 4, the first equal to the last."""
    lines: list[Any] = []
    rings: list[Any] = []
    if kind == "LineString":
        lines = [coordinates]
    elif kind == "MultiLineString":
        lines = coordinates
    elif kind == "Polygon":
        rings = coordinates
    elif kind == "MultiPolygon":
        rings = [ring for polygon in coordinates for ring in polygon]
        if any(not polygon for polygon in coordinates):
            raise _invalid(field, _("a polygon needs at least one ring."))
    if kind == "Polygon" and not coordinates:
        raise _invalid(field, _("a polygon needs at least one ring."))
    for line in lines:
        if len(line) < 2:
            raise _invalid(field, _("a line needs at least 2 positions."))
    for ring in rings:
        if len(ring) < 4:
            raise _invalid(field, _("a polygon ring needs at least 4 positions."))
        if list(ring[0]) != list(ring[-1]):
            raise _invalid(
                field,
                _(
                    "a polygon ring must be closed: its last position must repeat the first "
                    "(RFC 7946)."
                ),
            )


def check_structure(obj: Any, field: str = "geometry", limit: int = MAX_POSITIONS) -> int:
    """Refuse a GeoJSON geometry object that is not what RFC 7946 says (numbers as strings,
    wrong nesting, lines of one position, unclosed or short rings) or that has more than
    ``limit`` positions; returns the number of positions."""
    if not isinstance(obj, dict):
        raise InvalidInput(_("%(field)s must be a JSON object.") % {"field": field}, field=field)
    kind = obj.get("type")
    if kind == "GeometryCollection":
        members = obj.get("geometries")
        if not isinstance(members, list):
            raise _invalid(field, _("a GeometryCollection needs a geometries array."))
        total = 0
        for member in members:
            total += check_structure(member, field, limit - total)
        return total
    if kind not in _DEPTH:
        raise _invalid(
            field,
            _("type must be one of %(types)s.") % {"types": ", ".join(_DEPTH)},
        )
    coordinates: Any = obj.get("coordinates")
    count = 0  # positions, counted as they are checked (a huge geometry stops early)
    for _position in _positions(coordinates, _DEPTH[kind], field):
        count += 1
        if count > limit:
            raise _invalid(
                field,
                _("too many positions: at most %(max)d are accepted.") % {"max": max(limit, 0)},
            )
    if kind != "Point":
        _check_parts(kind, coordinates, field)
    return count


def area_m2(geom: shapely.Geometry) -> float:
    """Geodesic area in square metres of a lon/lat geometry (0 for points and lines)."""
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return 0.0
    area, _perimeter = _GEOD.geometry_area_perimeter(geom)
    return abs(float(area))


def size_problem(
    geom: shapely.Geometry, *, max_area_m2: float | None, max_vertices: int | None
) -> str | None:
    """A message if the lon/lat geometry has more vertices or a larger area than allowed
    (None: no limit); None when it fits."""
    vertices = int(shapely.get_num_coordinates(geom))
    if max_vertices is not None and vertices > max_vertices:
        return _("it has %(n)d vertices; at most %(max)d are accepted here.") % {
            "n": vertices,
            "max": max_vertices,
        }
    if max_area_m2 is not None:
        area = area_m2(geom)
        if area > max_area_m2:
            return _("its area is %(area)s; at most %(max)s is accepted here.") % {
                "area": format_area(area),
                "max": format_area(max_area_m2),
            }
    return None


def format_area(square_metres: float) -> str:
    if square_metres >= 100_000:
        return f"{square_metres / 1e6:,.2f} km²"
    return f"{square_metres:,.0f} m²"


def check_size(
    geom: shapely.Geometry,
    *,
    max_area_m2: float | None,
    max_vertices: int | None,
    field: str = "geometry",
) -> None:
    """:func:`size_problem` as an ``InvalidInput`` naming ``field``."""
    problem = size_problem(geom, max_area_m2=max_area_m2, max_vertices=max_vertices)
    if problem is not None:
        raise _invalid(field, problem)


def json_object(value: Any, field: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else a 400 naming ``field``."""
    if not isinstance(value, dict):
        raise InvalidInput(_("%(field)s must be a JSON object.") % {"field": field}, field=field)
    return value


def parse_geojson(value: Any, crs: str) -> shapely.Geometry:
    """A GeoJSON geometry in ``crs`` (a ``gis_app.coords`` name: CGCS2000, WGS 84, GCJ-02,
    BD-09 ...) -> a valid 2D shapely geometry in CGCS2000 (lon/lat), for every editable
    layer. Errors name the field ``geometry`` (``crs`` for a coordinate system that cannot
    be converted); swapped [lat, lon] pairs are told apart from numbers out of range."""
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    from gis_app import coords

    obj = json_object(value, "geometry")
    check_structure(obj, "geometry")
    try:
        geom = shape(obj)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise InvalidInput(
            _("geometry is not valid GeoJSON: %(reason)s") % {"reason": exc}, field="geometry"
        ) from None
    if geom.is_empty:
        raise InvalidInput(_("geometry is empty."), field="geometry")
    if not all(math.isfinite(v) for v in shapely.get_coordinates(geom).flat):
        raise InvalidInput(
            _("geometry has a non-finite coordinate (NaN or infinity)."), field="geometry"
        )
    try:
        geom = shapely.force_2d(coords.transform_geometry(geom, crs))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from None
    xy = shapely.get_coordinates(geom)
    lon_bad = (abs(xy[:, 0]) > 180).any()
    lat_bad = (abs(xy[:, 1]) > 90).any()
    if lat_bad and not (abs(xy[:, 0]) > 90).any():
        raise InvalidInput(
            _(
                "geometry: latitude out of range; coordinates look like [lat, lon]. "
                "GeoJSON order is [longitude, latitude]."
            ),
            field="geometry",
        )
    if lon_bad or lat_bad:
        raise InvalidInput(
            _("geometry: coordinates out of range (longitude -180..180, latitude -90..90)."),
            field="geometry",
        )
    if not geom.is_valid:
        raise InvalidInput(
            _("geometry is invalid: %(reason)s") % {"reason": explain_validity(geom)},
            field="geometry",
        )
    return geom
