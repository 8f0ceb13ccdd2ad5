"""JSON shapes of the parking API. Credentials appear only in their masked form."""

from __future__ import annotations

import json
from typing import Any

from community.parking import live
from community.parking.findcar import Found
from community.parking.models import OccupancySample, ParkingLot, ParkingSpace, PassageEvent
from community.parking.profiles import Profile


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def availability(lot: Any) -> dict[str, Any]:
    """One lot of the public feed (see docs/PARKING.md for the DATEX II / APDS mapping)."""
    state = live.availability(lot)
    component = lot.component
    return {
        "id": component.identifier,
        "name": component.name,
        "address": component.address,
        "class": component.component_class_id,
        "location": live.location(lot),
        "operator": lot.operator.name,
        "opening_hours": component.attributes.get("opening_hours"),
        "fee": component.attributes.get("fee"),
        "status": state.status,
        "capacity": state.capacity,
        "occupied": state.occupied,
        "free": state.free,
        "anomaly": state.anomaly,
        "last_update": _time(state.last_update),
    }


def nearby_feature(found: live.Nearby) -> dict[str, Any]:
    item = availability(found.lot)
    geometry = item.pop("location")
    item["distance_m"] = round(found.distance_m, 1)
    item["bearing_deg"] = round(found.bearing_deg, 1) if found.bearing_deg is not None else None
    return {"type": "Feature", "id": item["id"], "geometry": geometry, "properties": item}


def lot_detail(lot: Any) -> dict[str, Any]:
    body = availability(lot)
    body["floors"] = [
        {"code": f.code, "name": f.name, "level": f.ordinal} for f in lot.floors.all()
    ]
    body["gates"] = [
        {
            "code": g.code,
            "name": g.name,
            "location": json.loads(g.location.geojson) if g.location else None,
        }
        for g in lot.gates.all()
    ]
    return body


def space_feature(space: ParkingSpace) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": space.code,
        "geometry": json.loads(space.geometry.geojson),
        "properties": {
            "code": space.code,
            "kind": space.kind,
            "floor": space.floor.code if space.floor else None,
            "occupied": bool(getattr(space, "occupied", False)),
        },
    }


def sample(row: OccupancySample, lot: ParkingLot) -> dict[str, Any]:
    return {
        "time": _time(row.time),
        "occupied": {
            "standard": row.occupied_standard,
            "charging": row.occupied_charging,
            "accessible": row.occupied_accessible,
            "total": row.occupied_total,
        },
        "capacity": lot.capacity_total,
    }


EVENT_COLUMNS = [
    "time",
    "event_id",
    "device",
    "direction",
    "gate",
    "space",
    "credential_type",
    "credential",
    "channel",
    "flags",
    "received_at",
]


def event_row(event: PassageEvent) -> list[Any]:
    return [
        _time(event.occurred_at),
        event.event_id,
        event.device.device_id,
        event.direction,
        event.gate.code if event.gate else "",
        event.space.code if event.space else "",
        event.credential_type,
        event.credential_masked,
        event.channel,
        " ".join(event.flags),
        _time(event.received_at),
    ]


def event(event: PassageEvent) -> dict[str, Any]:
    row = dict(zip(EVENT_COLUMNS, event_row(event), strict=True))
    row["flags"] = list(event.flags)
    return row


def found_car(found: Found) -> dict[str, Any]:
    p = found.presence
    lot = p.lot
    space = p.space
    floor = space.floor if space else None
    return {
        "plate": found.masked,
        "entered_at": _time(p.entered_at),
        "lot": {
            "id": lot.component.identifier,
            "name": lot.component.name,
            "address": lot.component.address,
        },
        "floor": {"code": floor.code, "name": floor.name} if floor else None,
        "space": (
            {
                "code": space.code,
                "kind": space.kind,
                "geometry": json.loads(space.geometry.geojson),
            }
            if space
            else None
        ),
        "spaces_url": f"/api/v1/parking/lots/{lot.component.identifier}/spaces/"
        + (f"?floor={floor.code}" if floor else ""),
    }


def _ratio(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def profile(p: Profile) -> dict[str, Any]:
    peak = p.peak()
    body: dict[str, Any] = {
        "id": p.key,
        "name": p.name,
        "capacity": p.capacity,
        "mean": _ratio(p.mean()),
        "peak": (
            {"weekday": peak[0], "hour": peak[1], "occupancy": _ratio(peak[2])} if peak else None
        ),
        "occupancy": [[_ratio(v) for v in row] for row in p.matrix()],
    }
    if p.community:
        body["community"] = p.community
    return body
