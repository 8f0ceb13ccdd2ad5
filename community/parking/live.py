"""Reading live parking state: availability of lots (the public feed), guidance to the
nearest lots with free spaces, a lot's layout, and (for operators and planners) occupancy
history and passage events. Every query starts from ``access.visible``."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Exists, OuterRef, QuerySet

from community.parking import policies, sql
from community.parking.models import (
    KINDS,
    LotOccupancy,
    OccupancySample,
    ParkingLot,
    ParkingSpace,
    PassageEvent,
    Presence,
)
from component_catalog import sql as component_sql
from gis_app import access, areacodes, audit
from gis_app.types import User

GUIDANCE_STEP_M = 100  # distances within the same 100 m step rank by free spaces
ALMOST_FULL_RATIO = 0.1


def visible_lots(user: User) -> QuerySet[ParkingLot]:
    return access.visible(
        user,
        ParkingLot.objects.filter(active=True).select_related(
            "component", "component__component_class", "operator", "occupancy"
        ),
    )


@dataclass
class Availability:
    capacity: dict[str, int]
    occupied: dict[str, int]
    free: dict[str, int]
    status: str
    anomaly: bool
    last_update: dt.datetime | None


def availability(lot: ParkingLot) -> Availability:
    """Capacity, occupied and free spaces by kind and in total. A free count is never
    negative and never more than the lot's free total; ``anomaly`` says the counts went
    above capacity (a missed exit, a misread plate ...)."""
    occupancy: LotOccupancy | None = getattr(lot, "occupancy", None)
    capacity = dict(lot.capacity)
    occupied = dict(occupancy.occupied) if occupancy else dict.fromkeys(KINDS, 0)
    capacity["total"] = sum(capacity[k] for k in KINDS)
    occupied["total"] = sum(occupied[k] for k in KINDS)
    free_total = max(0, capacity["total"] - occupied["total"])
    free = {k: min(max(0, capacity[k] - occupied[k]), free_total) for k in KINDS}
    free["total"] = free_total
    last = occupancy.last_event_at if occupancy else None
    if last is None:
        status = "unknown"
    elif free_total == 0:
        status = "full"
    elif free_total <= max(2, math.floor(capacity["total"] * ALMOST_FULL_RATIO)):
        status = "almost_full"
    else:
        status = "spaces_available"
    anomaly = bool(occupancy and occupancy.over_capacity)
    return Availability(capacity, occupied, free, status, anomaly, last)


def location(lot: Any) -> dict[str, Any]:
    return json.loads(lot.location_geojson)


def feed(user: User, area: str | None = None) -> list[ParkingLot]:
    """The lots of the availability feed, each annotated with ``location_geojson``."""
    qs = visible_lots(user).annotate(location_geojson=sql.location())
    if area:
        qs = qs.filter(component__community__code__startswith=area_prefix(area))
    return list(qs.order_by("component__identifier"))


def area_prefix(code: str) -> str:
    return areacodes.prefix_of(code)


@dataclass
class Nearby:
    lot: Any
    distance_m: float
    bearing_deg: float | None
    availability: Availability


def nearby(
    user: User, point: Point, *, kind: str | None, radius_m: float, limit: int
) -> list[Nearby]:
    """Lots with free spaces (of ``kind`` if given; lots without live data are left out:
    their free spaces are not known) within the radius, ranked by distance in 100-metre
    steps, then by more free spaces, then by exact distance: a lot a few
    metres further with many more free spaces comes first, one street further does not."""
    ewkb = bytes(point.ewkb)
    qs = (
        visible_lots(user)
        .alias(near=sql.within(ewkb, radius_m))
        .filter(near=True)
        .annotate(
            distance_m=component_sql.distance_to(ewkb),
            bearing_deg=component_sql.bearing_to(ewkb),
            location_geojson=sql.location(),
        )
    )
    found = []
    for lot in qs:
        state = availability(lot)
        if state.status != "unknown" and state.free[kind or "total"] > 0:
            found.append(Nearby(lot, float(lot.distance_m), lot.bearing_deg, state))
    found.sort(
        key=lambda n: (
            math.floor(n.distance_m / GUIDANCE_STEP_M),
            -n.availability.free[kind or "total"],
            n.distance_m,
        )
    )
    return found[:limit]


def lot(user: User, identifier: str) -> Any:
    """One visible lot (404 if hidden or missing), annotated with its location."""
    return access.get_visible(
        user,
        visible_lots(user)
        .annotate(location_geojson=sql.location())
        .prefetch_related("floors", "gates"),
        component__identifier=identifier,
    )


def spaces(lot: ParkingLot, floor: str | None) -> QuerySet[ParkingSpace]:
    """The lot's spaces (of one floor), each with ``occupied``: a vehicle inside is there."""
    qs = ParkingSpace.objects.filter(lot=lot).select_related("floor")
    if floor:
        qs = qs.filter(floor__code=floor)
    taken = Presence.objects.filter(lot_id=lot.pk, inside=True, space_id=OuterRef("pk"))
    return qs.annotate(occupied=Exists(taken)).order_by("code")


def operational_lot(user: User, identifier: str) -> ParkingLot:
    """A lot whose operations the user may see; 404 when they may not (or it is hidden)."""
    return access.get_visible(
        user,
        policies.operational(user, ParkingLot.objects.select_related("component")),
        component__identifier=identifier,
    )


def history(lot: ParkingLot, since: dt.datetime, until: dt.datetime) -> QuerySet[OccupancySample]:
    return OccupancySample.objects.filter(lot=lot, time__gte=since, time__lt=until).order_by(
        "time", "id"
    )


def events(lot: ParkingLot, since: dt.datetime, until: dt.datetime) -> QuerySet[PassageEvent]:
    """Passage events in a time range (partition pruning on ``occurred_at``). Credentials
    are masked: the table has nothing else."""
    return (
        PassageEvent.objects.filter(lot=lot, occurred_at__gte=since, occurred_at__lt=until)
        .select_related("gate", "space", "device")
        .order_by("occurred_at", "id")
    )


def exported_events(
    user: User,
    identifier: str,
    since: dt.datetime,
    until: dt.datetime,
    output: str,
    address: str | None,
    limit: int,
) -> tuple[ParkingLot, list[PassageEvent]]:
    """A lot's passage events for an export (JSON or CSV), audited: who read which lot's
    events over which period, and how many."""
    found = operational_lot(user, identifier)
    rows = list(events(found, since, until)[:limit])
    audit.record(
        "parking.events.export",
        actor=user,
        obj=found,
        address=address,
        detail={
            "lot": identifier,
            "from": since.isoformat(),
            "to": until.isoformat(),
            "rows": len(rows),
            "format": output,
        },
    )
    return found, rows
