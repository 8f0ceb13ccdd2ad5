"""Checking passage events of parking devices and resolving them into ``EventIn`` values.

``community.devices`` has already verified the signature, parsed the body (one event or
``{"events": [...]}``, at most ``PARKING_MAX_BATCH``), validated each event against
:data:`EVENT_SCHEMA` and checked its ``id`` and ``time``. An event::

    {"id": "g1-000123",             # unique per device; a retry repeats it
     "time": "2025-01-06T08:15:02+08:00",
     "direction": "in" | "out",
     "credential_type": "plate" | "rfid" | "ic_card",
     "credential": "浙A12345",
     "gate": "G1",                  # optional: the device's gate by default
     "space": "B1-023",             # optional (a space camera or sensor; or where it parked)
     "lot": "3301060201000001"}     # optional: must be the device's lot

Any error names the field (``events[3].credential``) and rejects the whole body: nothing is
stored. The error never repeats a credential's value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from community.devices.kinds import Received
from community.parking import privacy
from community.parking.models import (
    CredentialType,
    Device,
    Direction,
    Gate,
    ParkingSpace,
    SpaceKind,
)
from gis_app.errors import InvalidInput

_CODE = {"type": ["string", "null"], "minLength": 1, "maxLength": 16}
EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "time": {"type": "string"},
        "direction": {"enum": list(Direction.values)},
        "credential_type": {"enum": list(CredentialType.values)},
        "credential": {"type": "string"},
        "gate": _CODE,
        "space": _CODE,
        "lot": {"type": ["string", "null"]},
    },
    "required": ["id", "time", "direction", "credential_type", "credential"],
    "additionalProperties": False,
}


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


def check(device: Device, events: list[Received]) -> list[Checked]:
    """Check what the schema cannot (no database): the lot is the device's, a gate or a
    space is known, the credential is valid. ``InvalidInput`` on the first error."""
    checked = []
    for event in events:
        item, at = event.data, event.at
        lot = item.get("lot")
        if lot is not None and lot != device.lot.component.identifier:
            raise InvalidInput(
                _("%(field)s is not the lot of this device.") % {"field": f"{at}lot"},
                field=f"{at}lot",
            )
        gate, space = item.get("gate"), item.get("space")
        if gate is None and space is None and device.gate is not None:
            gate = device.gate.code
        if gate is None and space is None:
            raise InvalidInput(
                _("%(field)s: a gate or a space is required.") % {"field": f"{at}gate"},
                field=f"{at}gate",
            )
        kind = item["credential_type"]
        try:
            credential = privacy.credential(kind, item["credential"])
        except privacy.InvalidCredential:
            raise InvalidInput(
                _("%(field)s is not a valid %(type)s.")
                % {"field": f"{at}credential", "type": kind},
                field=f"{at}credential",
            ) from None
        checked.append(
            Checked(
                device,
                event.event_id,
                event.occurred_at,
                item["direction"],
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
