"""Occupancy by weekday and hour, per lot and per community, for planners: how full the
lots are at each hour of the week over a period (``sql.occupancy_profile``). Rows are the
lots whose operations the user may see (``policies.operational``) inside an area."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from community.parking import policies, sql
from community.parking.models import ParkingLot
from gis_app import areacodes
from gis_app.types import User

WEEKDAYS = range(1, 8)  # ISO: Monday 1 .. Sunday 7
HOURS = range(24)


@dataclass
class Profile:
    """Mean vehicles inside per (weekday, hour), and the capacity they fill."""

    key: str
    name: str
    capacity: int
    occupied: dict[tuple[int, int], float] = field(default_factory=dict)
    community: str = ""

    def ratio(self, weekday: int, hour: int) -> float | None:
        value = self.occupied.get((weekday, hour))
        if value is None or not self.capacity:
            return None
        return value / self.capacity

    def matrix(self) -> list[list[float | None]]:
        """7 x 24 occupancy ratios (None where there is no history)."""
        return [[self.ratio(d, h) for h in HOURS] for d in WEEKDAYS]

    def mean(self) -> float | None:
        values = [r for row in self.matrix() for r in row if r is not None]
        return sum(values) / len(values) if values else None

    def peak(self) -> tuple[int, int, float] | None:
        cells = [(r, d, h) for d in WEEKDAYS for h in HOURS if (r := self.ratio(d, h)) is not None]
        if not cells:
            return None
        ratio, weekday, hour = max(cells)
        return weekday, hour, ratio


def lots_in(user: User, area: str | None) -> QuerySet[ParkingLot]:
    qs = policies.operational(
        user, ParkingLot.objects.filter(active=True).select_related("component__community")
    )
    if area:
        qs = qs.filter(component__community__code__startswith=areacodes.prefix_of(area))
    return qs.order_by("component__identifier")


def period(days: int, until: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    end = until or timezone.now()
    return end - dt.timedelta(days=days), end


def by_lot(lots: list[ParkingLot], since: dt.datetime, until: dt.datetime) -> list[Profile]:
    profiles = {
        lot.pk: Profile(
            lot.component.identifier,
            lot.component.name,
            lot.capacity_total,
            community=lot.component.community_id,
        )
        for lot in lots
    }
    rows = sql.occupancy_profile(list(profiles), since, until, settings.TIME_ZONE)
    for lot_id, weekday, hour, mean, _count in rows:
        profiles[lot_id].occupied[(weekday, hour)] = mean
    return list(profiles.values())


def by_community(lot_profiles: list[Profile], names: dict[str, str]) -> list[Profile]:
    """Sums of the lots' mean occupancy and capacity per community (lots without history
    in a cell count neither way)."""
    return by_area(lot_profiles, 12, names)


def by_area(lot_profiles: list[Profile], code_length: int, names: dict[str, str]) -> list[Profile]:
    """The lots' profiles summed per area: the first ``code_length`` digits of their
    community code (6 district, 9 street, 12 community)."""
    grouped: dict[str, list[Profile]] = defaultdict(list)
    for p in lot_profiles:
        grouped[p.community[:code_length]].append(p)
    result = []
    for code in sorted(grouped):
        members = grouped[code]
        total = Profile(code, names.get(code, code), sum(p.capacity for p in members))
        for d in WEEKDAYS:
            for h in HOURS:
                cells = [(p.occupied[(d, h)], p.capacity) for p in members if (d, h) in p.occupied]
                capacity = sum(c for _, c in cells)
                if cells and capacity:
                    # stored as vehicles at the community's full capacity, so ratio() works
                    total.occupied[(d, h)] = sum(v for v, _ in cells) / capacity * total.capacity
        result.append(total)
    return result


@dataclass
class AreaProfiles:
    since: dt.datetime
    until: dt.datetime
    lots: list[Profile]
    communities: list[Profile]


def for_area(user: User, area: str | None, days: int) -> AreaProfiles:
    """Per lot and per community, over the last ``days`` days, for the lots in the area
    whose operations the user may see."""
    since, until = period(days)
    lots = list(lots_in(user, area))
    per_lot = by_lot(lots, since, until)
    names = {lot.component.community_id: lot.component.community.name for lot in lots}
    return AreaProfiles(since, until, per_lot, by_community(per_lot, names))
