"""Parsing passage events sent by a device into checked, resolved ``EventIn`` values.

A body is one event object or ``{"events": [...]}`` (at most ``PARKING_MAX_BATCH``). Each
event::

    {"id": "g1-000123",             # unique per device; a retry repeats it
     "time": "2025-01-06T08:15:02+08:00",
     "direction": "in" | "out",
     "credential_type": "plate" | "rfid" | "ic_card",
     "credential": "浙A12345",
     "gate": "G1",                  # optional: the device's gate by default
     "space": "B1-023",             # optional (a space camera or sensor; or where it parked)
     "lot": "3301060201000001"}     # optional: must be the device's lot

Any error names the field (``events[3].time``) and rejects the whole body: nothing is
stored. The error never repeats a credential's value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from community.parking import privacy
from community.parking.models import Device, Direction, Gate, ParkingSpace, SpaceKind
from gis_app import parsing
from gis_app.errors import InvalidInput

EVENT_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
FIELDS = {"id", "time", "direction", "credential_type", "credential", "gate", "space", "lot"}


@dataclass(frozen=True)
class EventIn:
    device_id: int
    event_id: str
    lot_id: int
    gate_id: int | None
    space_id: int | None
    space_kind: str | None
    direction: str
    occurred_at: dt.datetime
    credential: privacy.Credential
    lot_has_gates: bool


def parse_body(body: bytes) -> tuple[list[dict[str, Any]], bool]:
    """The raw event objects of a JSON body, and whether it was a batch."""
    data = parsing.loads(body, "body")
    batched = isinstance(data, dict) and "events" in data
    if isinstance(data, dict) and batched:
        if set(data) != {"events"}:
            raise InvalidInput(_('A batch has only the member "events".'), field="body")
        items = data["events"]
        if not isinstance(items, list) or not items:
            raise InvalidInput(_("events must be a non-empty list."), field="events")
    elif isinstance(data, dict):
        items = [data]
    else:
        raise InvalidInput(_("The body must be an event object or a batch."), field="body")
    if len(items) > settings.PARKING_MAX_BATCH:
        raise InvalidInput(
            _("At most %(max)s events per request.") % {"max": settings.PARKING_MAX_BATCH},
            field="events",
        )
    return items, batched


def _time(raw: Any, field: str, now: dt.datetime) -> dt.datetime:
    if not isinstance(raw, str):
        raise InvalidInput(_("%(field)s must be an ISO 8601 time.") % {"field": field}, field=field)
    value = parsing.datetime_value(raw, field)
    if value > now + dt.timedelta(seconds=settings.PARKING_CLOCK_SKEW):
        raise InvalidInput(_("%(field)s is in the future.") % {"field": field}, field=field)
    if value < now - dt.timedelta(days=settings.PARKING_MAX_EVENT_AGE_DAYS):
        raise InvalidInput(
            _("%(field)s is more than %(days)s days old.")
            % {"field": field, "days": settings.PARKING_MAX_EVENT_AGE_DAYS},
            field=field,
        )
    return value


def _choice(raw: Any, field: str, options: list[str]) -> str:
    if raw not in options:
        raise InvalidInput(
            _("%(field)s must be one of %(options)s.")
            % {"field": field, "options": ", ".join(options)},
            field=field,
        )
    return str(raw)


def _code(raw: Any, field: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw or len(raw) > 16:
        raise InvalidInput(
            _("%(field)s must be a code of 1 to 16 characters.") % {"field": field}, field=field
        )
    return raw


@dataclass(frozen=True)
class Checked:
    """An event that passed the checks that need no database."""

    device: Device
    event_id: str
    occurred_at: dt.datetime
    direction: str
    credential: privacy.Credential
    gate: str | None
    space: str | None
    at: str  # the field prefix for errors: "events[3]." or ""


def check(device: Device, items: list[dict[str, Any]], batched: bool = True) -> list[Checked]:
    """Check every event's members (no database); ``InvalidInput`` on the first error,
    naming the field (``events[3].time`` in a batch, ``time`` for a single event)."""
    now = timezone.now()
    prefix = "events"
    checked = []
    for index, item in enumerate(items):
        at = f"{prefix}[{index}]." if batched else ""
        if not isinstance(item, dict):
            raise InvalidInput(_("Each event must be a JSON object."), field=f"{prefix}[{index}]")
        unknown = sorted(set(item) - FIELDS)
        if unknown:
            raise InvalidInput(
                _("Unknown member %(name)s.") % {"name": unknown[0]}, field=f"{at}{unknown[0]}"
            )
        event_id = item.get("id")
        if not isinstance(event_id, str) or not EVENT_ID_RE.match(event_id):
            raise InvalidInput(
                _("%(field)s must be 1 to 64 letters, digits or . _ : -.") % {"field": f"{at}id"},
                field=f"{at}id",
            )
        lot = item.get("lot")
        if lot is not None and lot != device.lot.component.identifier:
            raise InvalidInput(
                _("%(field)s is not the lot of this device.") % {"field": f"{at}lot"},
                field=f"{at}lot",
            )
        gate = _code(item.get("gate"), f"{at}gate")
        space = _code(item.get("space"), f"{at}space")
        if gate is None and space is None and device.gate is not None:
            gate = device.gate.code
        if gate is None and space is None:
            raise InvalidInput(
                _("%(field)s: a gate or a space is required.") % {"field": f"{at}gate"},
                field=f"{at}gate",
            )
        kind = _choice(
            item.get("credential_type"),
            f"{at}credential_type",
            ["plate", "rfid", "ic_card"],
        )
        value = item.get("credential")
        if not isinstance(value, str):
            raise InvalidInput(
                _("%(field)s must be a string.") % {"field": f"{at}credential"},
                field=f"{at}credential",
            )
        try:
            credential = privacy.credential(kind, value)
        except privacy.InvalidCredential:
            raise InvalidInput(
                _("%(field)s is not a valid %(type)s.")
                % {"field": f"{at}credential", "type": kind},
                field=f"{at}credential",
            ) from None
        checked.append(
            Checked(
                device,
                event_id,
                _time(item.get("time"), f"{at}time", now),
                _choice(item.get("direction"), f"{at}direction", list(Direction.values)),
                credential,
                gate,
                space,
                at,
            )
        )
    return checked


class Places:
    """Gates and spaces of the lots a batch refers to, loaded with two queries whatever
    the number of events or messages."""

    def __init__(self, events: list[Checked]) -> None:
        lots = {e.device.lot_id for e in events}
        space_codes = {e.space for e in events if e.space}
        self.gates: dict[tuple[int, str], int] = {
            (lot, code): pk
            for lot, code, pk in Gate.objects.filter(lot_id__in=lots).values_list(
                "lot_id", "code", "id"
            )
        }
        self.spaces: dict[tuple[int, str], tuple[int, str]] = {
            (lot, code): (pk, kind)
            for lot, code, pk, kind in ParkingSpace.objects.filter(
                lot_id__in=lots, code__in=space_codes
            ).values_list("lot_id", "code", "id", "kind")
        }
        self.gated = {lot for lot, _code in self.gates}

    def bind(self, events: list[Checked]) -> list[EventIn]:
        """Resolve gate and space codes in each device's lot; ``InvalidInput`` if unknown."""
        bound = []
        for e in events:
            lot = e.device.lot_id
            gate_id = space_id = None
            space_kind = None
            if e.gate is not None:
                if (lot, e.gate) not in self.gates:
                    raise InvalidInput(
                        _("%(field)s: no such gate in this lot.") % {"field": f"{e.at}gate"},
                        field=f"{e.at}gate",
                    )
                gate_id = self.gates[(lot, e.gate)]
            if e.space is not None:
                if (lot, e.space) not in self.spaces:
                    raise InvalidInput(
                        _("%(field)s: no such space in this lot.") % {"field": f"{e.at}space"},
                        field=f"{e.at}space",
                    )
                space_id, space_kind = self.spaces[(lot, e.space)]
            bound.append(
                EventIn(
                    device_id=e.device.pk,
                    event_id=e.event_id,
                    lot_id=lot,
                    gate_id=gate_id,
                    space_id=space_id,
                    space_kind=space_kind or (SpaceKind.STANDARD if space_id else None),
                    direction=e.direction,
                    occurred_at=e.occurred_at,
                    credential=e.credential,
                    lot_has_gates=lot in self.gated,
                )
            )
        return bound


def resolve(device: Device, items: list[dict[str, Any]], batched: bool = True) -> list[EventIn]:
    """Check and resolve the events of one request (see :func:`check`)."""
    checked = check(device, items, batched)
    return Places(checked).bind(checked)
