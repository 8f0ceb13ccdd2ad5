"""Who sees and manages which devices: a grant covers the devices in its area subtree
(a device's area is the community of its point or building); a grid cell's grant the
devices whose point lies in its cell (one placed only by its building: whose footprint
meets the cell); an
organization-bound grant only its organization's devices. Nothing is public: a device's
place and kind are for the staff who run it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from community.devices.models import Device
from gis_app import access
from gis_app.access import AccessPolicy, Grant
from gis_app.roles import Action


class DevicePolicy(AccessPolicy):
    def scope_q(self, grant: Grant, action: Action) -> Q:
        if grant.city_wide and not grant.organization_bound:
            return Q()
        area = grant.place_q("area__code", geometry="location")
        if grant.grid_cell is not None:
            by_building = grant.place_q("area__code", geometry="building__geometry")
            area |= Q(location__isnull=True) & by_building
        if grant.organization_bound:
            return area & Q(owner_id=grant.organization_id)
        return area

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if not (grant.city_wide or grant.covers_place(obj.area_id, geometry=_place_of(obj))):
            return False
        return not grant.organization_bound or obj.owner_id == grant.organization_id


def _place_of(device: Any) -> Any:
    """The geometry placing a device: its point, else its building's footprint."""
    if device.location is not None:
        return device.location
    return device.building.geometry if device.building_id else None


def register() -> None:
    access.register(Device, DevicePolicy())
