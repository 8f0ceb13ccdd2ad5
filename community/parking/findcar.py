"""Reverse car finding (反向寻车): a resident gives their plate, at a kiosk or on the phone,
and gets the lot, floor and space of their car while it is parked; nothing after exit.

Every attempt is audited (masked plate, a key derived from the keyed hash, the lot found)
and throttled on the audit log's own record: per source address and per plate, so neither
one client nor many clients can sweep plates or follow one car.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community.parking import privacy
from community.parking.models import ParkingLot, Presence
from gis_app import access, audit
from gis_app.errors import InvalidInput, NotFound, Throttled
from gis_app.models import AuditEvent, AuditResult
from gis_app.types import User

ACTION = "parking.find_car"
OBJECT_TYPE = "parking.vehicle"


@dataclass
class Found:
    presence: Presence
    masked: str


def _vehicle_key(credential: privacy.Credential) -> str:
    """An audit key for the plate: part of its keyed hash (not reversible)."""
    return credential.hash.hex()[:24]


def _throttle(key: str, address: str | None) -> None:
    window = settings.PARKING_FIND_CAR_WINDOW
    since = timezone.now() - dt.timedelta(seconds=window)
    recent = AuditEvent.objects.filter(action=ACTION, time__gte=since)
    per_plate = recent.filter(object_type=OBJECT_TYPE, object_id=key).count()
    per_address = recent.filter(source_address=address).count() if address else 0
    if (
        per_plate >= settings.PARKING_FIND_CAR_PER_PLATE
        or per_address >= settings.PARKING_FIND_CAR_PER_ADDRESS
    ):
        raise Throttled(
            window,
            _("Too many car searches. Try again in %(minutes)s minutes.")
            % {"minutes": max(1, window // 60)},
        )


def find_car(user: User, plate: Any, address: str | None) -> Found:
    """Where the car with this plate is parked now; ``NotFound`` when it is not parked in
    a lot the caller may see. Raises ``InvalidInput`` (field ``plate``) for a malformed
    plate and ``Throttled`` (429) past the limits."""
    try:
        credential = privacy.credential("plate", plate if isinstance(plate, str) else "")
    except privacy.InvalidCredential:
        raise InvalidInput(_("plate is not a valid plate number."), field="plate") from None
    key = _vehicle_key(credential)
    detail: dict[str, Any] = {"plate": credential.masked}
    try:
        _throttle(key, address)
    except Throttled:
        audit.record(
            ACTION,
            actor=user,
            object_type=OBJECT_TYPE,
            object_id=key,
            result=AuditResult.DENIED,
            address=address,
            detail={**detail, "reason": "throttled"},
        )
        raise
    lots = access.visible(user, ParkingLot.objects.filter(active=True)).values("pk")
    found = (
        Presence.objects.filter(Q(lot__in=lots), credential_hash=credential.hash, inside=True)
        .select_related("lot__component", "space__floor")
        .order_by("-last_event_at")
        .first()
    )
    if found is not None:
        detail["lot"] = found.lot.component.identifier
    audit.record(
        ACTION,
        actor=user,
        object_type=OBJECT_TYPE,
        object_id=key,
        result=AuditResult.SUCCESS if found else AuditResult.FAILURE,
        address=address,
        detail=detail,
    )
    if found is None:
        raise NotFound(_("No parked car with this plate was found."))
    return Found(found, credential.masked)
