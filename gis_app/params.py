"""Parsing query parameters into typed values, with errors that name the parameter: every
surface (REST, OGC API, tiles, pages) parses bbox, text, limit and CRS here, so a client
meets the same rules and the same wording everywhere."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from django.contrib.gis.geos import GEOSGeometry, LineString, Point, Polygon
from django.utils.translation import gettext as _
from pyproj import Transformer

from gis_app import coords, parsing
from gis_app.errors import InvalidInput

CGCS2000 = 4490
T = TypeVar("T")


def number(params: Mapping[str, str], name: str, low: float, high: float) -> float:
    raw = params.get(name)
    if raw is None or raw == "":
        raise InvalidInput(_("Parameter %(name)s is required.") % {"name": name}, field=name)
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(
            _("Parameter %(name)s must be a number, not %(value)r.") % {"name": name, "value": raw},
            field=name,
        ) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidInput(
            _("Parameter %(name)s must be between %(low)s and %(high)s, not %(value)s.")
            % {"name": name, "low": low, "high": high, "value": raw},
            field=name,
        )
    return value


def lon_lat_point(params: Mapping[str, str]) -> Point:
    """A CGCS2000 point from ``lon`` and ``lat`` (CRS84 order). CGCS2000 and WGS 84 agree
    within centimetres, so the numbers are taken as they are."""
    lon = number(params, "lon", -180, 180)
    lat = number(params, "lat", -90, 90)
    return Point(lon, lat, srid=CGCS2000)


def choice(params: Mapping[str, str], name: str, allowed: Iterable[str]) -> str | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    options = list(allowed)
    if raw not in options:
        raise InvalidInput(
            _("Parameter %(name)s must be one of %(options)s, not %(value)r.")
            % {"name": name, "options": ", ".join(options), "value": raw},
            field=name,
        )
    return raw


def digits(params: Mapping[str, str], name: str, lengths: Iterable[int]) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    allowed = sorted(set(lengths))
    if not raw.isdigit() or not raw.isascii() or len(raw) not in allowed:
        raise InvalidInput(
            _("Parameter %(name)s must be a code of %(lengths)s digits, not %(value)r.")
            % {"name": name, "lengths": "/".join(map(str, allowed)), "value": raw},
            field=name,
        )
    return raw


def limit(
    params: Mapping[str, str],
    default: int,
    maximum: int,
    *,
    name: str = "limit",
    cap: int | None = None,
) -> int:
    """How many rows to answer: a whole number from 1 to ``maximum``, ``default`` when
    absent. With ``cap``, a number above it (up to ``maximum``) is lowered to it, as OGC
    API lets a server do."""
    value = int(parsing.integer_param(params, name, 1, maximum, default) or default)
    return min(value, cap) if cap is not None else value


def text(
    params: Mapping[str, str], name: str = "q", *, max_length: int = 100, required: bool = False
) -> str:
    """Search text, trimmed. A filter (not ``required``): cut to ``max_length`` characters,
    ``""`` when absent. What a search box sends (``required``): refused when empty or
    longer than ``max_length``."""
    value = str(params.get(name) or "").strip()
    if required and not value:
        raise InvalidInput(_("Enter something to search for."), field=name)
    if required and len(value) > max_length:
        raise InvalidInput(
            _("The search text is longer than %(max)s characters.") % {"max": max_length},
            field=name,
        )
    return value[:max_length]


def crs(params: Mapping[str, str], name: str = "crs") -> str:
    """The coordinate system of lon/lat input (``gis_app.coords.parse_crs``; CRS84 when
    absent)."""
    try:
        return coords.parse_crs(params.get(name))
    except ValueError as exc:
        raise InvalidInput(str(exc), field=name) from None


def crs_choice(
    params: Mapping[str, str],
    name: str,
    resolve: Callable[[str | None], T | None],
    options: Iterable[str],
) -> T:
    """A coordinate system from a fixed list (``resolve`` gives None for one not in it,
    and the default for an absent value)."""
    raw = params.get(name)
    found = resolve(raw)
    if found is None:
        raise InvalidInput(
            _("Parameter %(name)s: the CRS %(value)s is not supported; use one of %(options)s.")
            % {"name": name, "value": raw, "options": ", ".join(options)},
            field=name,
        )
    return found


def _corners(raw: str, counts: tuple[int, ...]) -> list[float] | None:
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        return None
    if len(values) not in counts or not all(math.isfinite(v) for v in values):
        return None
    return values


def bbox(
    params: Mapping[str, str],
    name: str = "bbox",
    *,
    srid: int = CGCS2000,
    lat_first: bool = False,
    heights: bool = False,
) -> GEOSGeometry | None:
    """A bounding box as a CGCS2000 polygon (a point or a line when it has no area), from
    ``min x,min y,max x,max y`` in ``srid`` (longitude and latitude unless ``srid`` is
    projected; latitude first when ``lat_first``, as EPSG defines for 4490 and 4326). With
    ``heights``, six numbers are accepted too (OGC API: min height after the lower corner,
    max after the upper) and the heights ignored."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    values = _corners(raw, (4, 6) if heights else (4,))
    if values is None:
        raise InvalidInput(
            _(
                "Parameter %(name)s must be 4 numbers separated by commas: the lower corner, "
                "then the upper corner."
            )
            % {"name": name},
            field=name,
        )
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    x1, y1, x2, y2 = values
    if lat_first:
        x1, y1, x2, y2 = y1, x1, y2, x2
    if x1 > x2 or y1 > y2:
        raise InvalidInput(
            _("Parameter %(name)s must give the lower corner first, then the upper corner.")
            % {"name": name},
            field=name,
        )
    if srid != CGCS2000:
        transform = Transformer.from_crs(srid, CGCS2000, always_xy=True)
        xs, ys = transform.transform([x1, x2, x1, x2], [y1, y1, y2, y2])
        x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or not (
        -180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90
    ):
        raise InvalidInput(
            _("Parameter %(name)s must lie within longitude -180..180 and latitude -90..90.")
            % {"name": name},
            field=name,
        )
    box: GEOSGeometry
    if x1 < x2 and y1 < y2:
        box = Polygon.from_bbox((x1, y1, x2, y2))
    elif (x1, y1) == (x2, y2):  # PostGIS finds nothing in a polygon of zero area
        box = Point(x1, y1)
    else:
        box = LineString((x1, y1), (x2, y2))
    box.srid = CGCS2000
    return box
