"""Registering devices and managing their secrets: typed, transactional, audited. With an
``actor`` (the admin), a write needs ``MANAGE`` on the device's area through the access
module; management commands act for the operator of the machine (no actor)."""

from __future__ import annotations

import re

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.devices import kinds, sealing
from community.devices.models import Device, area_of
from gis_app import access, audit
from gis_app.errors import InvalidInput, PermissionDenied
from gis_app.models import AuditResult, Organization
from gis_app.roles import Action
from gis_app.types import User
from layers.models import Building

DEVICE_ID_RE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")


def _allowed(actor: User | None, device: Device, action: str) -> None:
    if actor is not None and not access.can(actor, Action.MANAGE, device):
        audit.record(
            f"devices.device.{action}",
            actor=actor,
            obj=device if device.pk else None,
            result=AuditResult.DENIED,
            detail={"device": device.device_id},
        )
        raise PermissionDenied()


@transaction.atomic
def register(
    device_id: str,
    kind: str,
    owner: Organization,
    *,
    name: str = "",
    location: Point | None = None,
    building: Building | None = None,
    floor: str = "",
    actor: User | None = None,
) -> tuple[Device, str]:
    """A new device of a registered kind and its secret (returned once: show it to
    whoever installs the device; only its sealed form is stored)."""
    if not DEVICE_ID_RE.match(device_id):
        raise InvalidInput(
            _("device_id must be 1 to 64 letters, digits, - or _."), field="device_id"
        )
    if not kinds.is_registered(kind):
        raise InvalidInput(_("Unknown device kind."), field="kind")
    if Device.objects.filter(device_id=device_id).exists():
        raise InvalidInput(_("A device with this id exists."), field="device_id")
    secret = sealing.new_secret()
    device = Device(
        device_id=device_id,
        kind=kind,
        owner=owner,
        name=name or device_id,
        location=location,
        building=building,
        floor=floor,
        secret_sealed=sealing.seal(secret, device_id),
    )
    device.area_id = area_of(location, building)
    _allowed(actor, device, "register")
    device.save()
    audit.record(
        "devices.device.register",
        actor=actor,
        obj=device,
        detail={"device": device_id, "kind": kind, "area": device.area_id},
    )
    return device, secret


@transaction.atomic
def rotate(device: Device, actor: User | None = None) -> str:
    """A new secret for the device; the old one stops working at once. A revoked device
    gets no new secret (register a new one)."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    _allowed(actor, device, "rotate")
    if device.revoked_at is not None:
        raise InvalidInput(_("This device is revoked."), field="device_id")
    secret = sealing.new_secret()
    Device.objects.filter(pk=device.pk).update(
        secret_sealed=sealing.seal(secret, device.device_id), secret_rotated_at=timezone.now()
    )
    audit.record(
        "devices.device.rotate", actor=actor, obj=device, detail={"device": device.device_id}
    )
    return secret


@transaction.atomic
def revoke(device: Device, actor: User | None = None) -> None:
    """Stop the device for good: inactive, and its secret destroyed (nothing it signs is
    accepted any more, whatever it still holds)."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    _allowed(actor, device, "revoke")
    Device.objects.filter(pk=device.pk).update(
        active=False, revoked_at=timezone.now(), secret_sealed=b""
    )
    audit.record(
        "devices.device.revoke", actor=actor, obj=device, detail={"device": device.device_id}
    )


def reseal() -> int:
    """Seal every secret again under the current key (after ``DEVICES_SECRET_KEY``
    changed, with the old key in ``DEVICES_OLD_SECRET_KEYS``). Returns how many changed."""
    changed = 0
    with transaction.atomic():
        for device in Device.objects.select_for_update().exclude(secret_sealed=b""):
            if sealing.sealed_under_current_key(device.secret_sealed):
                continue
            secret = sealing.unseal(device.secret_sealed, device.device_id)
            Device.objects.filter(pk=device.pk).update(
                secret_sealed=sealing.seal(secret, device.device_id)
            )
            changed += 1
    return changed
