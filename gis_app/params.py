"""Parsing query parameters into typed values, with errors that name the parameter."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from gis_app.errors import InvalidInput

CGCS2000 = 4490


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
