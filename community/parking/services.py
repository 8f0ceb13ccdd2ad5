"""Setting parking up: a lot for a component, its floors, gates and spaces, and devices
with their signing secrets. Typed, transactional, audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Point, Polygon
from django.db import transaction
from django.utils.translation import gettext as _

from community.devices import models as registry
from community.devices import services as device_services
from community.parking.ingest import KIND_CODES
from community.parking.models import (
    LOT_CLASSES,
    Device,
    DeviceKind,
    Floor,
    Gate,
    LotOccupancy,
    ParkingLot,
    ParkingSpace,
    SpaceKind,
)
from component_catalog.models import Component
from gis_app import audit
from gis_app.errors import InvalidInput
from gis_app.models import Organization
from gis_app.types import User


@dataclass(frozen=True)
class Capacity:
    standard: int
    charging: int = 0
    accessible: int = 0

    @classmethod
    def from_attributes(cls, attributes: dict[str, Any]) -> Capacity:
        """Capacity by kind from a lot component's attributes (total, charging, accessible)."""
        total = int(attributes.get("capacity") or 0)
        charging = int(attributes.get("charging_spaces") or 0)
        accessible = int(attributes.get("accessible_spaces") or 0)
        if charging + accessible > total:
            raise InvalidInput(
                _("charging_spaces and accessible_spaces exceed capacity."), field="capacity"
            )
        return cls(total - charging - accessible, charging, accessible)


@transaction.atomic
def register_lot(
    component: Component, operator: Organization, capacity: Capacity, actor: User | None = None
) -> ParkingLot:
    """Parking data for a lot component (class 0201 or 0215), with zero occupancy."""
    if component.component_class_id not in LOT_CLASSES:
        raise InvalidInput(
            _("Only parking lots (classes %(classes)s) can have parking data.")
            % {"classes": ", ".join(LOT_CLASSES)},
            field="component",
        )
    for name in ("standard", "charging", "accessible"):
        if getattr(capacity, name) < 0:
            raise InvalidInput(_("Capacity cannot be negative."), field=f"capacity_{name}")
    lot = ParkingLot.objects.create(
        component=component,
        operator=operator,
        capacity_standard=capacity.standard,
        capacity_charging=capacity.charging,
        capacity_accessible=capacity.accessible,
    )
    LotOccupancy.objects.create(lot=lot)
    audit.record("parking.lot.register", actor=actor, obj=lot, detail={"lot": component.identifier})
    return lot


def add_floor(lot: ParkingLot, code: str, ordinal: int, name: str = "") -> Floor:
    return Floor.objects.create(lot=lot, code=code, ordinal=ordinal, name=name or code)


def add_gate(lot: ParkingLot, code: str, location: Point | None = None, name: str = "") -> Gate:
    return Gate.objects.create(lot=lot, code=code, location=location, name=name or code)


def add_spaces(
    lot: ParkingLot, spaces: list[tuple[str, Polygon, str, Floor | None]]
) -> list[ParkingSpace]:
    """Spaces as (code, polygon in EPSG:4490, kind, floor)."""
    for _code, _geometry, kind, _floor in spaces:
        if kind not in SpaceKind.values:
            raise InvalidInput(_("Unknown space kind."), field="kind")
    return ParkingSpace.objects.bulk_create(
        [
            ParkingSpace(lot=lot, code=code, geometry=geometry, kind=kind, floor=floor)
            for code, geometry, kind, floor in spaces
        ]
    )


def _place(lot: ParkingLot, gate: Gate | None, space: ParkingSpace | None) -> Point:
    """Where a device sits on the map: its gate, else its space, else inside the lot."""
    if gate is not None and gate.location is not None:
        return gate.location
    geometry = space.geometry if space is not None else lot.component.geometry
    point = geometry.point_on_surface
    point.srid = geometry.srid
    return point


@transaction.atomic
def register_device(
    device_id: str,
    lot: ParkingLot,
    *,
    gate: Gate | None = None,
    space: ParkingSpace | None = None,
    name: str = "",
    actor: User | None = None,
) -> tuple[registry.Device, str]:
    """A new device in the registry (kind, place, owner: the lot's operator) working at a
    gate of the lot or watching a space, and its secret (returned once: show it to
    whoever installs it)."""
    if gate is not None and gate.lot_id != lot.pk:
        raise InvalidInput(_("The gate is not in this lot."), field="gate")
    if space is not None and space.lot_id != lot.pk:
        raise InvalidInput(_("The space is not in this lot."), field="space")
    role = DeviceKind.GATE_READER if gate is not None else DeviceKind.SPACE_CAMERA
    registered, secret = device_services.register(
        device_id,
        KIND_CODES[role],
        lot.operator,
        name=name or device_id,
        location=_place(lot, gate, space),
        floor=space.floor.code if space is not None and space.floor is not None else "",
        actor=actor,
    )
    Device.objects.create(registered=registered, kind=role, lot=lot, gate=gate, space=space)
    audit.record(
        "parking.device.register",
        actor=actor,
        obj=registered,
        detail={"device": device_id, "lot": lot.component.identifier},
    )
    return registered, secret
