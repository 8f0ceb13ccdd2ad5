"""Admin pages for parking set-up, through the access module like every entry point:
lots by their own policy, spaces and devices by the lot they belong to (``MANAGE``).
Devices themselves (and their secrets) are in the device registry (``community.devices``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from community.parking.models import Device, Floor, Gate, ParkingLot, ParkingSpace
from gis_app import access
from gis_app.admin_scoping import GuardedAdmin, ScopedAdmin
from gis_app.roles import Action


class FloorInline(admin.TabularInline):
    model = Floor
    extra = 0


class GateInline(admin.TabularInline):
    model = Gate
    extra = 0
    fields = ["code", "name"]


@admin.register(ParkingLot)
class ParkingLotAdmin(ScopedAdmin):
    list_display = [
        "component",
        "operator",
        "capacity_standard",
        "capacity_charging",
        "capacity_accessible",
        "active",
    ]
    list_select_related = ["component", "operator"]
    raw_id_fields = ["component"]
    autocomplete_fields = ["operator"]
    search_fields = ["component__identifier", "component__name"]
    inlines = [FloorInline, GateInline]
    scope_field = "component"  # a lot's area is its component's community


class ByLotAdmin(GuardedAdmin):
    """Rows of the lots the user may manage; a row is written only into such a lot."""

    scope_field = "lot"

    def may_write(self, request: HttpRequest, obj: Any) -> bool:
        return obj.lot_id is not None and access.can(request.user, Action.MANAGE, obj.lot)

    def _lots(self, request: HttpRequest) -> QuerySet[ParkingLot]:
        return access.visible(request.user, ParkingLot.objects.all(), Action.MANAGE)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(lot__in=self._lots(request).values("pk"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.can_anywhere(request.user, Action.MANAGE)
        return access.can(request.user, Action.MANAGE, obj.lot)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)


@admin.register(ParkingSpace)
class ParkingSpaceAdmin(ByLotAdmin):
    list_display = ["code", "lot", "floor", "kind"]
    list_filter = ["kind"]
    raw_id_fields = ["lot", "floor"]
    search_fields = ["code", "lot__component__identifier"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_anywhere(request.user, Action.MANAGE)


@admin.register(Device)
class DeviceAdmin(ByLotAdmin):
    """Where each registered device works in parking. The device itself (place, owner,
    secret: rotate, revoke) is in the device registry's admin."""

    list_display = ["registered", "kind", "lot", "gate", "space"]
    list_select_related = ["registered", "lot__component", "gate", "space"]
    list_filter = ["kind"]
    raw_id_fields = ["lot", "gate", "space"]
    readonly_fields = ["registered"]
    search_fields = ["registered__device_id", "registered__name"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # manage.py parking_device: it registers the device and its secret
