"""Parking as a kind of device for ``community.devices``: the event schema, the handler
that checks and stores passage events, and their registration (called from
``ParkingConfig.ready()``).

Two kinds share one schema and handler: gate readers (plate camera, RFID or IC-card reader
at a gate) and space cameras or sensors. Their devices sign like every device (see
``community/devices/signing.py``), post to ``/api/v1/parking/events/`` (or the generic
``/api/v1/devices/events/``) and publish to ``parking/<device id>/events``. Where a device
works (lot, gate, space) is parking's own ``Device`` row, keyed by the registry's device.

Nothing here logs a body: it holds plate numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _

from community.devices import kinds
from community.devices.kinds import Kind, Limits, Outcome, Submission
from community.devices.models import Device as Registered
from community.devices.signing import SignatureRejected
from community.parking import engine, inputs, partitions
from community.parking.models import Device, DeviceKind
from gis_app.errors import DomainError

TOPIC = "parking"
KIND_CODES = {
    DeviceKind.GATE_READER: "parking.gate_reader",
    DeviceKind.SPACE_CAMERA: "parking.space_camera",
}
KINDS = frozenset(KIND_CODES.values())


def limits() -> Limits:
    return Limits(
        settings.PARKING_MAX_BATCH, settings.PARKING_CLOCK_SKEW, settings.PARKING_MAX_EVENT_AGE_DAYS
    )


# What the checks read of parking's row of a device: loaded with the registry's device in
# the query that verifies the signature (``Kind.load_with``), else by ``_rows``.
ROW_FIELDS = (
    "kind",
    "lot_id",
    "space_id",
    "gate__code",
    "gate__lot_id",
    "lot__active",
    "lot__component__identifier",
)


def _rows(submissions: Sequence[Submission]) -> dict[int, Device | None]:
    """Parking's row of each submission's device: the one loaded with the device, else
    those left in one query (a device the registry loaded without them)."""
    rows: dict[int, Device | None] = {}
    for submission in submissions:
        device = submission.device
        if Registered.parking.is_cached(device):
            try:
                rows[device.pk] = device.parking
            except ObjectDoesNotExist:
                rows[device.pk] = None
    left = [s.device.pk for s in submissions if s.device.pk not in rows]
    if left:
        found = (
            Device.objects.filter(pk__in=left)
            .select_related("gate", "lot__component")
            .only(*ROW_FIELDS)
        )
        rows.update({d.pk: d for d in found})
    return rows


class PassageHandler:
    """Checks and stores passage events (``engine.record``: idempotent by device and event
    id; the latest event by time decides, older ones are flagged ``late``)."""

    def prepare(self, submissions: Sequence[Submission]) -> list[list[Any] | DomainError]:
        """Check every submission, then resolve gates and spaces of the whole batch with
        two queries (gates, spaces) whatever its size; parking's rows of the devices came
        with them."""
        found = _rows(submissions)
        results: list[list[Any] | DomainError] = []
        checked: list[tuple[int, list[inputs.Checked]]] = []
        for i, submission in enumerate(submissions):
            device = found.get(submission.device.pk)
            try:
                if device is None or not device.lot.active:
                    raise SignatureRejected(_("Unknown or inactive device."), field="X-Device-Id")
                checked.append((i, inputs.check(device, submission.events)))
                results.append([])
            except DomainError as exc:
                results.append(exc)
        places = inputs.Places([e for _, events in checked for e in events])
        for i, events in checked:
            try:
                results[i] = places.bind(events)
            except DomainError as exc:
                results[i] = exc
        return results

    def store(self, events: list[Any], channel: str, received_at: dt.datetime) -> list[Outcome]:
        return engine.record(events, channel, received_at)


HANDLER = PassageHandler()


def register_kinds() -> None:
    """Register parking's device kinds with ``community.devices``."""
    labels = {
        DeviceKind.GATE_READER: _("Parking gate reader"),
        DeviceKind.SPACE_CAMERA: _("Parking space camera or sensor"),
    }
    for role, code in KIND_CODES.items():
        kinds.register(
            Kind(
                code=code,
                label=labels[role],
                topic=TOPIC,
                schema=inputs.EVENT_SCHEMA,
                handler=HANDLER,
                limits=limits,
                load_with=tuple(f"parking__{name}" for name in ROW_FIELDS),
            )
        )
    kinds.before_worker(partitions.ensure)
