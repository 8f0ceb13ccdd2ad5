"""The registry of device kinds. An app that consumes device events registers its kinds in
its ``AppConfig.ready()``::

    kinds.register(kinds.Kind(
        code="water.meter", label=_("Water meter"), topic="water",
        schema={...JSON Schema of one event...}, handler=MeterHandler()))

``devices`` knows nothing else about a kind: it verifies signatures, parses the body
(one event or ``{"events": [...]}``), validates each event against the kind's schema,
checks the members every event has (``id``: unique per device, a retry repeats it;
``time``: ISO 8601 with a UTC offset, within the kind's clock skew and age), and hands the
events to the kind's handler, inside the transaction that also records the signature's
nonce. Over MQTT a kind's devices publish to ``<topic>/<device id>/events``.

The handler (:class:`Handler`) does the rest: ``prepare`` checks and resolves a batch of
submissions with a fixed number of queries (``InvalidInput`` naming the field rejects that
submission only), ``store`` stores them idempotently by (device, event id) and applies its
own out-of-order rules, returning one :class:`Outcome` per event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings

from gis_app.errors import DomainError

if TYPE_CHECKING:
    from community.devices.models import Device


@dataclass(frozen=True)
class Limits:
    """Per kind: events per body, how far ahead of the server's clock and how old an
    event's ``time`` may be."""

    max_batch: int
    clock_skew_s: int
    max_age_days: int


def default_limits() -> Limits:
    return Limits(
        settings.DEVICES_MAX_BATCH, settings.DEVICES_CLOCK_SKEW, settings.DEVICES_MAX_EVENT_AGE_DAYS
    )


@dataclass(frozen=True)
class Received:
    """One event of a submission: its id and time are checked, ``data`` is the object as
    sent (valid against the kind's schema), ``at`` the prefix of field names in errors
    (``"events[3]."`` in a batch, ``""`` for a single event)."""

    event_id: str
    occurred_at: dt.datetime
    data: dict[str, Any]
    at: str


@dataclass(frozen=True)
class Submission:
    """The events of one signed request or message, from one device."""

    device: Device
    events: list[Received]
    batched: bool


@dataclass
class Outcome:
    event_id: str
    status: str  # "stored" or "duplicate"
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.event_id, "status": self.status, "flags": self.flags}


class Handler(Protocol):
    def prepare(self, submissions: Sequence[Submission]) -> list[list[Any] | DomainError]:
        """For each submission, its events ready to store, or the error rejecting it."""
        ...

    def store(self, events: list[Any], channel: str, received_at: dt.datetime) -> list[Outcome]:
        """Store prepared events (inside the caller's transaction); one outcome per event,
        in order. Idempotent by (device, event id): a stored event answers "duplicate"."""
        ...


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any  # a lazy translation
    topic: str  # MQTT: devices publish to <topic>/<device id>/events
    schema: dict[str, Any]  # JSON Schema of one event (must allow "id" and "time")
    handler: Handler
    limits: Callable[[], Limits] = default_limits
    # Fields of the kind's own rows that its handler reads, as paths from the registry's
    # Device through one-to-one and foreign keys only (``"water_meter__pipe__code"``):
    # loaded with the devices in the query that finds them, so ``prepare`` need not fetch
    # its row per device again. Optional: a handler must still work without them.
    load_with: tuple[str, ...] = ()


_kinds: dict[str, Kind] = {}
_worker_hooks: list[Callable[[], object]] = []


def register(kind: Kind) -> None:
    """Add (or replace, e.g. on a reload) a kind."""
    if "/" in kind.topic or "+" in kind.topic or "#" in kind.topic or not kind.topic:
        raise ValueError(f"bad MQTT topic root {kind.topic!r}")
    _kinds[kind.code] = kind
    from community.devices import events

    events.forget_validator(kind.code)


def unregister(code: str) -> None:
    _kinds.pop(code, None)


def get(code: str) -> Kind | None:
    return _kinds.get(code)


def is_registered(code: str) -> bool:
    return code in _kinds


def registered() -> list[Kind]:
    return sorted(_kinds.values(), key=lambda k: k.code)


def choices() -> list[tuple[str, str]]:
    return [(k.code, str(k.label)) for k in registered()]


def topics() -> list[str]:
    """The MQTT subscriptions that cover every registered kind."""
    return sorted({f"{k.topic}/+/events" for k in _kinds.values()})


def load_with(codes: Collection[str] | None) -> list[str]:
    """The ``load_with`` paths of these kinds (every registered kind if None), for
    loading devices of any of them in one query."""
    chosen = _kinds.values() if codes is None else [_kinds[c] for c in codes if c in _kinds]
    return sorted({path for kind in chosen for path in kind.load_with})


def before_worker(hook: Callable[[], object]) -> None:
    """Run ``hook`` when an MQTT worker starts, before it consumes (e.g. to create the
    partitions its events go to)."""
    if hook not in _worker_hooks:
        _worker_hooks.append(hook)


def worker_hooks() -> list[Callable[[], object]]:
    return list(_worker_hooks)
