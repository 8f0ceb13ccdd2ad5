"""Helpers of the parking tests: lots made through the component API and the parking
services, devices with their secrets, signed requests exactly as a device sends them."""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point
from django.test import Client
from django.utils import timezone

from community.devices import signing
from community.parking import services
from community.parking.models import Device, Gate, ParkingLot, SpaceKind
from component_catalog.models import Component
from gis_app.models import Organization
from tests.components_helpers import Api, inside

URL = "/api/v1/parking/events/"


def rectangle(lon: float, lat: float, width_m: float, depth_m: float) -> list[list[float]]:
    """A closed lon/lat ring of a width x depth metre rectangle centred on the point."""
    dx = width_m / 2 / (111_320.0 * math.cos(math.radians(lat)))
    dy = depth_m / 2 / 110_574.0
    return [
        [lon - dx, lat - dy],
        [lon + dx, lat - dy],
        [lon + dx, lat + dy],
        [lon - dx, lat + dy],
        [lon - dx, lat - dy],
    ]


def lot_feature(ring: list[list[float]], name: str, capacity: int = 10) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "class": "0201",
            "name": name,
            "competent_department": "XH-CGJ",
            "owner": "HZ-CDFW",
            "maintainer": "HZ-CDFW",
            "attributes": {"capacity": capacity, "charging_spaces": 2, "accessible_spaces": 1},
        },
    }


@dataclass
class TestDevice:
    device_id: str
    secret: str
    pk: int


@dataclass
class TestLot:
    lot: ParkingLot
    identifier: str
    centre: tuple[float, float]
    gate: TestDevice
    camera: TestDevice
    spaces: dict[str, str] = field(default_factory=dict)  # code -> kind

    @property
    def pk(self) -> int:
        return self.lot.pk


def make_lot(
    name: str = "测试停车场",
    community: str = "330106001001",
    grid: int = 1,
    shift: float = 0.0,
    capacity: tuple[int, int, int] = (7, 2, 1),
    spaces: bool = True,
) -> TestLot:
    """A 40 x 30 m lot (class 0201) in a demo grid cell, with floor B1, gates G1 and G2, a
    gate reader on G1, a space camera, and a space per unit of capacity (B1-001 ...)."""
    lon, lat = inside(community, grid, shift)
    admin = Api("district_admin")
    response = admin.create(lot_feature(rectangle(lon, lat, 40, 30), name, sum(capacity)))
    assert response.status_code == 201, response.content
    identifier = response.json()["id"]
    component = Component.objects.get(identifier=identifier)
    operator = Organization.objects.get(code="HZ-CDFW")
    lot = services.register_lot(component, operator, services.Capacity(*capacity))
    floor = services.add_floor(lot, "B1", -1, "地下一层")
    services.add_gate(lot, "G1", Point(lon, lat, srid=4490), "入口")
    services.add_gate(lot, "G2", Point(lon, lat, srid=4490), "出口")
    kinds = (
        [SpaceKind.STANDARD] * capacity[0]
        + [SpaceKind.CHARGING] * capacity[1]
        + [SpaceKind.ACCESSIBLE] * capacity[2]
    )
    made: dict[str, str] = {}
    if spaces:
        rows = []
        for i, kind in enumerate(kinds):
            x = lon - 0.00015 + i * 0.00003
            ring = rectangle(x, lat, 2.4, 5.0)
            polygon = GEOSGeometry(json.dumps({"type": "Polygon", "coordinates": [ring]}))
            polygon.srid = 4490
            code = f"B1-{i + 1:03d}"
            rows.append((code, polygon, kind, floor))
            made[code] = kind
        services.add_spaces(lot, rows)
    suffix = secrets.token_hex(3)
    gate_device, gate_secret = services.register_device(
        f"test-{suffix}-g1", lot, gate=Gate.objects.get(lot=lot, code="G1")
    )
    camera, camera_secret = services.register_device(f"test-{suffix}-cam", lot)
    return TestLot(
        lot=lot,
        identifier=identifier,
        centre=(lon, lat),
        gate=TestDevice(gate_device.device_id, gate_secret, gate_device.pk),
        camera=TestDevice(camera.device_id, camera_secret, camera.pk),
        spaces=made,
    )


def at(minutes_ago: float) -> str:
    return (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat()


def event(
    event_id: str,
    direction: str,
    minutes_ago: float,
    plate: str = "浙A12345",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "id": event_id,
        "direction": direction,
        "time": at(minutes_ago),
        "credential_type": "plate",
        "credential": plate,
    }
    body.update(extra)
    return body


def headers_for(
    device: TestDevice,
    body: bytes,
    *,
    path: str = URL,
    nonce: str | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(12)
    signature = signing.sign(secret or device.secret, "POST", path, stamp, nonce, body)
    return {
        "HTTP_X_DEVICE_ID": device.device_id,
        "HTTP_X_TIMESTAMP": stamp,
        "HTTP_X_NONCE": nonce,
        "HTTP_X_SIGNATURE": signature,
    }


def send(device: TestDevice, payload: Any, client: Client | None = None, **options: Any) -> Any:
    """POST events signed by the device; returns the response."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = headers_for(device, body, **options)
    return (client or Client()).post(URL, data=body, content_type="application/json", **headers)


def occupancy(lot: TestLot) -> dict[str, int]:
    lot.lot.occupancy.refresh_from_db()
    return dict(lot.lot.occupancy.occupied)


def device_of(test_device: TestDevice) -> Device:
    return Device.objects.get(pk=test_device.pk)


def remove_lot(lot: TestLot) -> None:
    """Delete a committed test lot, its component and everything its events made (audit
    rows stay: they are append-only)."""
    from django.db import connection

    from community.parking.models import (
        Floor,
        LotOccupancy,
        OccupancySample,
        ParkingSpace,
        Presence,
    )
    from component_catalog.models import Changeset, ComponentHistory, IdentifierCounter

    pk = lot.pk
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM parking_passageevent WHERE lot_id = %s", [pk])
        cursor.execute(
            "DELETE FROM devices_devicenonce WHERE device_id IN "
            "(SELECT id FROM parking_device WHERE lot_id = %s)",
            [pk],
        )
    Presence.objects.filter(lot_id=pk).delete()
    OccupancySample.objects.filter(lot_id=pk).delete()
    LotOccupancy.objects.filter(lot_id=pk).delete()
    Device.objects.filter(lot_id=pk).delete()
    ParkingSpace.objects.filter(lot_id=pk).delete()
    Gate.objects.filter(lot_id=pk).delete()
    Floor.objects.filter(lot_id=pk).delete()
    ParkingLot.objects.filter(pk=pk).delete()
    component = Component.objects.get(identifier=lot.identifier)
    county = component.county_code
    ComponentHistory.objects.filter(identifier=lot.identifier).delete()
    component.delete()
    Changeset.objects.filter(edits__isnull=True).delete()
    last = (
        Component.objects.filter(county_code=county, component_class_id="0201")
        .order_by("-serial")
        .values_list("serial", flat=True)
        .first()
    )
    IdentifierCounter.objects.filter(county_code=county, class_code="0201").update(
        last_serial=last or 0
    )
