"""The residents' facility search: text in, the public facilities a resident looks for first.

A match is on the identifier (prefix), the name, the address, the class's Chinese or English
name ("公厕", "toilet") or the community's Chinese or English name. Results are ranked:

1. an identifier the user typed,
2. the kind of thing: facilities a resident goes to (toilets, parking, shelters, bus stops,
   ...) before street furniture of the finder (hydrants, benches, bins), before everything
   else (trees, manhole covers ...),
3. how well the text matches: whole name, name start, inside the name, the class's name,
   the address, the community,
4. distance from the point searched from (the user or the map's centre), when given.

The count is the true number of matches; pages are read with ``offset``/``limit`` (a ranked
answer has no stable key for keyset paging, and residents read the first pages only:
``MAX_OFFSET`` bounds the depth)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from component_catalog import sql
from component_catalog.models import Component
from component_catalog.services import base_queryset
from gis_app import access
from gis_app.types import User
from map_ui.facilities import CHIPS

MAX_TEXT = 100
MAX_LIMIT = 50
MAX_OFFSET = 1000

#: Facilities residents go to: listed before everything else that matches.
DESTINATION_CHIPS = ("toilet", "parking", "shelter", "bus", "bicycle", "police", "info")


def _class_tiers() -> tuple[list[str], list[str]]:
    first = [c for chip in CHIPS if chip.key in DESTINATION_CHIPS for c in chip.classes]
    second = [c for chip in CHIPS if chip.key not in DESTINATION_CHIPS for c in chip.classes]
    return first, second


@dataclass(frozen=True)
class Found:
    """One ranked match: the component, what matched, and (from a point) where it is."""

    component: Component
    match: str
    distance_m: float | None
    bearing_deg: float | None


@dataclass(frozen=True)
class SearchPage:
    """A page of ranked matches and the true number of matches."""

    total: int
    offset: int
    limit: int
    results: list[Found]

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.results) < self.total


# Match kinds, best first (the rank is the index).
MATCHES = ("identifier", "name_exact", "name_start", "name", "class", "address", "community")


def _match_rank(text: str) -> Case:
    return Case(
        When(identifier__startswith=text, then=Value(0)),
        When(name__iexact=text, then=Value(1)),
        When(name__istartswith=text, then=Value(2)),
        When(name__icontains=text, then=Value(3)),
        When(
            Q(component_class__name_zh__icontains=text)
            | Q(component_class__name_en__icontains=text),
            then=Value(4),
        ),
        When(address__icontains=text, then=Value(5)),
        default=Value(6),
        output_field=IntegerField(),
    )


def _tier() -> Case:
    first, second = _class_tiers()
    return Case(
        When(component_class_id__in=first, then=Value(0)),
        When(component_class_id__in=second, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def matching(user: User, text: str) -> QuerySet[Component]:
    """Visible, in-use components whose identifier, name, address, class name (Chinese or
    English) or community name (Chinese or English) contains ``text``."""
    text = text.strip()[:MAX_TEXT]
    qs = (
        base_queryset()
        .in_use()
        .filter(
            Q(identifier__startswith=text)
            | Q(name__icontains=text)
            | Q(address__icontains=text)
            | Q(component_class__name_zh__icontains=text)
            | Q(component_class__name_en__icontains=text)
            | Q(community__name__icontains=text)
            | Q(community__name_en__icontains=text)
        )
    )
    return access.visible(user, qs)


def search(
    user: User, text: str, point: Point | None = None, offset: int = 0, limit: int = 20
) -> SearchPage:
    """One page of the ranked matches of ``text`` (see the module's docstring), with the
    true total; distances and bearings are from ``point`` (CGCS2000) when given."""
    text = text.strip()[:MAX_TEXT]
    offset = max(0, min(offset, MAX_OFFSET))
    limit = max(1, min(limit, MAX_LIMIT))
    qs = matching(user, text)
    total = qs.count()
    ranked = qs.annotate(match_rank=_match_rank(text), tier=_tier())
    identifier_first = Case(
        When(match_rank=0, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    order: list[Any] = [identifier_first, "tier", "match_rank"]
    if point is not None:
        ewkb = bytes(point.ewkb)
        ranked = ranked.annotate(distance_m=sql.distance_to(ewkb), bearing_deg=sql.bearing_to(ewkb))
        order.append(F("distance_m").asc())
    order += ["name", "identifier"]
    rows = list(ranked.order_by(*order)[offset : offset + limit])
    results = []
    for c in rows:
        distance = getattr(c, "distance_m", None)
        bearing = getattr(c, "bearing_deg", None)
        results.append(
            Found(
                component=c,
                match=MATCHES[c.match_rank],
                distance_m=None if distance is None else float(distance),
                bearing_deg=None if bearing is None else float(bearing),
            )
        )
    return SearchPage(total=total, offset=offset, limit=limit, results=results)
