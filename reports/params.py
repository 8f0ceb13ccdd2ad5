"""Report parameters from a query string, each error naming its parameter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from component_catalog.api.params import as_of_date
from gis_app import params
from gis_app.errors import InvalidInput
from reports import kinds
from reports.classes import AUTO, METHODS
from reports.scope import ROW_LEVELS

DISTANCE_MIN_M, DISTANCE_MAX_M, DISTANCE_DEFAULT_M = 50, 5000, 300
MONTHS_MIN, MONTHS_MAX, MONTHS_DEFAULT = 1, 60, 12


def limits() -> dict[str, dict[str, int]]:
    """The bounds and defaults of the numeric parameters (for the API index and the page)."""
    return {
        "distance_m": {"min": DISTANCE_MIN_M, "max": DISTANCE_MAX_M, "default": DISTANCE_DEFAULT_M},
        "months": {"min": MONTHS_MIN, "max": MONTHS_MAX, "default": MONTHS_DEFAULT},
    }


_CLASS_LIST = re.compile(r"^\d{4}(,\d{4})*$")
_METRIC = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class ReportRequest:
    """What a report is asked for; the service checks it against the data and access."""

    kind: str
    area: str | None = None
    level: str | None = None
    classes: tuple[str, ...] = ()
    distance_m: float = DISTANCE_DEFAULT_M
    months: int = MONTHS_DEFAULT
    as_of: date | None = None
    metric: str | None = None
    # How the choropleth's classes are cut (reports.classes): auto, jenks, quantile, equal.
    classify: str = AUTO


def _classes(query: Mapping[str, str]) -> tuple[str, ...]:
    raw = (query.get("classes") or "").strip()
    if not raw:
        return ()
    if not _CLASS_LIST.match(raw):
        raise InvalidInput(
            _("Parameter classes must be 4-digit class codes separated by commas, not %(v)r.")
            % {"v": raw[:100]},
            field="classes",
        )
    return tuple(dict.fromkeys(raw.split(",")))


def _months(query: Mapping[str, str]) -> int:
    raw = (query.get("months") or "").strip()
    if not raw:
        return MONTHS_DEFAULT
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not (
        MONTHS_MIN <= int(raw) <= MONTHS_MAX
    ):
        raise InvalidInput(
            _("Parameter months must be a whole number from %(low)d to %(high)d, not %(v)r.")
            % {"low": MONTHS_MIN, "high": MONTHS_MAX, "v": raw[:20]},
            field="months",
        )
    return int(raw)


def _metric(query: Mapping[str, str]) -> str | None:
    raw = (query.get("metric") or "").strip()
    if not raw:
        return None
    if not _METRIC.match(raw):
        raise InvalidInput(
            _("Parameter metric must be a column key of the report, not %(v)r.") % {"v": raw[:50]},
            field="metric",
        )
    return raw


def parse(kind: str, query: Mapping[str, str]) -> ReportRequest:
    """A ``ReportRequest`` for a registered kind (``reports.kinds``; else 404 naming
    ``kind``) from query parameters: ``area``, ``level``, ``metric`` and, per kind,
    ``classes`` (counts, condition), ``n`` (coverage: metres, 50 to 5000), ``months``
    (edits: 1 to 60), ``as_of`` (quality: YYYY-MM-DD) and ``classify`` (the map's classes:
    ``auto``, ``jenks``, ``quantile`` or ``equal``)."""
    kinds.get(kind)
    raw_n = (query.get("n") or "").strip()
    distance = (
        params.number(query, "n", DISTANCE_MIN_M, DISTANCE_MAX_M) if raw_n else DISTANCE_DEFAULT_M
    )
    return ReportRequest(
        kind=kind,
        area=params.digits(query, "area", (6, 9, 12)),
        level=params.choice(query, "level", ROW_LEVELS),
        classes=_classes(query),
        distance_m=distance,
        months=_months(query),
        as_of=as_of_date(query),
        metric=_metric(query),
        classify=params.choice(query, "classify", (AUTO, *METHODS)) or AUTO,
    )
