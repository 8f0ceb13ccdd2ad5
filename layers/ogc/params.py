"""Parsing OGC API query parameters; errors name the parameter (HTTP 400)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext as _

from gis_app import params, parsing
from gis_app.errors import InvalidInput
from layers.ogc import crs as crs_module
from layers.ogc.crs import OutputCrs
from layers.ogc.sources import Queryable

DEFAULT_LIMIT = 10
MAX_LIMIT = 10000
LIMIT_BOUND = 10**9  # a larger limit is refused; up to it, lowered to MAX_LIMIT
MAX_OFFSET = 10**9
COMMON = {"f", "crs"}
ITEMS = COMMON | {"limit", "offset", "bbox", "bbox-crs", "datetime", "cursor"}


@dataclass
class ItemsQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: Any = None
    bbox: GEOSGeometry | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    crs: OutputCrs = field(default_factory=lambda: crs_module.SUPPORTED[crs_module.CRS84])
    filters: dict[str, Any] = field(default_factory=dict)


def output_crs(query: Any, name: str = "crs") -> OutputCrs:
    return params.crs_choice(query, name, crs_module.resolve, crs_module.SUPPORTED)


def reject_unknown(query: Any, allowed: set[str]) -> None:
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise InvalidInput(
            _("Unknown query parameter %(name)s.") % {"name": unknown[0]}, field=unknown[0]
        )


def _bbox(query: Any) -> GEOSGeometry | None:
    if query.get("bbox") in (None, ""):
        return None
    box_crs = output_crs(query, "bbox-crs")
    return params.bbox(query, srid=box_crs.srid, lat_first=box_crs.flip, heights=True)


def _instant(text: str) -> dt.datetime | None:
    if text in ("", ".."):
        return None
    return parsing.datetime_value(text, "datetime", date_only=True)


def _datetime(query: Any) -> tuple[dt.datetime | None, dt.datetime | None]:
    raw = query.get("datetime")
    if raw in (None, ""):
        return None, None
    if "/" in raw:
        first, _sep, second = raw.partition("/")
        start, end = _instant(first), _instant(second)
        if start and end and start > end:
            raise InvalidInput(_("datetime interval ends before it starts."), field="datetime")
        return start, end
    moment = _instant(raw)
    return moment, moment


def _filter_value(name: str, spec: Queryable, raw: str) -> Any:
    if spec.type == "integer":
        return parsing.integer(raw, name, -(10**18), 10**18)
    if spec.type == "boolean":
        if raw not in ("true", "false"):
            raise InvalidInput(_("%(name)s must be true or false.") % {"name": name}, field=name)
        return raw == "true"
    if spec.enum and raw not in spec.enum:
        raise InvalidInput(
            _("%(name)s must be one of %(options)s.")
            % {"name": name, "options": ", ".join(spec.enum)},
            field=name,
        )
    return raw


def encode_cursor(key: Any) -> str:
    return parsing.sign_cursor(str(key))


def decode_cursor(raw: str) -> str:
    return parsing.read_cursor(raw, "cursor")


def items_query(query: Any, queryables: dict[str, Queryable]) -> ItemsQuery:
    reject_unknown(query, ITEMS | set(queryables))
    result = ItemsQuery(
        limit=params.limit(query, DEFAULT_LIMIT, LIMIT_BOUND, cap=MAX_LIMIT),
        offset=int(parsing.integer_param(query, "offset", 0, MAX_OFFSET, 0) or 0),
        bbox=_bbox(query),
        crs=output_crs(query),
    )
    if query.get("cursor"):
        result.cursor = decode_cursor(query["cursor"])
    result.start, result.end = _datetime(query)
    for name, spec in queryables.items():
        if query.get(name) not in (None, ""):
            result.filters[spec.lookup] = _filter_value(name, spec, query[name])
    return result
