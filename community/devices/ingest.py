"""The two ways device events come in, both signed per device (``signing.py``), both
checked by ``events.py`` and handed to the kind's handler (``kinds.py``):

* HTTP: a signed POST (:func:`from_http`); ``POST /api/v1/devices/events/`` takes any
  kind, and an app may mount :class:`community.devices.api.SignedEventsView` at a URL of
  its own for its kinds.
* MQTT: a message on ``<kind topic>/<device id>/events`` whose payload is a JSON envelope
  ``{"device", "timestamp", "nonce", "signature", "body"}``, ``body`` being the same JSON
  text an HTTP request would carry (:func:`from_mqtt`, called by the worker in batches).

The nonce and the events are written in one transaction: a rejected request leaves
nothing behind, an accepted one is acknowledged (MQTT) only after it committed. Nothing
here logs a body.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.devices import events, kinds, signing, sql
from community.devices.kinds import Handler, Kind, Outcome, Submission
from community.devices.models import Device
from gis_app import parsing
from gis_app.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)
TOPIC_SUFFIX = "events"


def _kind_of(device: Device, allowed: Collection[str] | None) -> Kind:
    kind = kinds.get(device.kind)
    if kind is None or (allowed is not None and kind.code not in allowed):
        raise signing.SignatureRejected(_("Unknown or inactive device."), field="X-Device-Id")
    return kind


def from_http(
    method: str,
    path: str,
    headers: Mapping[str, Any],
    body: bytes,
    allowed: Collection[str] | None = None,
) -> list[Outcome]:
    """Verify, check, store. 401 (``SignatureRejected``) before anything is parsed; 400
    naming the field on bad input; nothing stored on any error. ``allowed``: the kinds
    this URL takes (None: any registered kind)."""
    signed = signing.from_headers(headers, body)
    known = signing.devices({signed.device_id}, kinds.load_with(allowed))
    device = signing.verify(signed, method, path, settings.DEVICES_HTTP_REPLAY_WINDOW, known)
    kind = _kind_of(device, allowed)
    items, batched = events.parse_body(body, kind.limits().max_batch)
    submission = Submission(device, events.check(kind, items, batched), batched)
    (prepared,) = kind.handler.prepare([submission])
    if isinstance(prepared, DomainError):
        raise prepared
    received = timezone.now()
    with transaction.atomic():
        if not sql.consume_nonces([(device.pk, signed.nonce)]):
            raise signing.Replayed(field="X-Nonce")
        outcomes = kind.handler.store(prepared, "http", received)
    sql.purge_nonces()
    return outcomes


@dataclass
class Message:
    """One MQTT message as the worker received it."""

    topic: str
    payload: bytes
    received_at: dt.datetime = field(default_factory=timezone.now)


@dataclass
class MessageResult:
    accepted: bool
    error: str = ""
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass
class _Opened:
    index: int
    signed: signing.Signed
    root: str
    message: Message


@dataclass
class _Checked:
    index: int
    device: Device
    nonce: str
    handler: Handler
    events: list[Any]
    received_at: dt.datetime


def topic_for(root: str, device_id: str) -> str:
    return f"{root}/{device_id}/{TOPIC_SUFFIX}"


def _open(index: int, message: Message) -> _Opened:
    """The signed parts of a message's envelope; ``SignatureRejected`` if malformed or
    if the topic is not ``<root>/<the envelope's device>/events``."""
    try:
        envelope = parsing.loads(message.payload, "payload")
        signed = signing.Signed(
            device_id=str(envelope["device"]),
            timestamp=str(envelope["timestamp"]),
            nonce=str(envelope["nonce"]),
            signature=str(envelope["signature"]),
            body=envelope["body"].encode("utf-8"),
        )
    except (InvalidInput, KeyError, TypeError, AttributeError):
        raise signing.SignatureRejected(field="payload") from None
    parts = message.topic.split("/")
    if len(parts) != 3 or parts[1] != signed.device_id or parts[2] != TOPIC_SUFFIX:
        raise signing.SignatureRejected(field="topic")
    return _Opened(index, signed, parts[0], message)


def _check_all(messages: list[Message], results: list[MessageResult]) -> list[_Checked]:
    """Verify and check every message with a fixed number of queries (the devices of the
    batch, then whatever each handler's ``prepare`` needs once per batch); a message that
    fails gets its error in ``results``."""
    opened = []
    for i, message in enumerate(messages):
        try:
            opened.append(_open(i, message))
        except DomainError as exc:
            results[i] = MessageResult(False, exc.code)
    known = signing.devices({o.signed.device_id for o in opened}, kinds.load_with(None))
    window = settings.DEVICES_MQTT_REPLAY_WINDOW
    groups: dict[int, tuple[Handler, list[tuple[_Opened, Submission]]]] = {}
    for o in opened:
        try:
            device = signing.verify(o.signed, "MQTT", o.message.topic, window, known)
            kind = _kind_of(device, None)
            if kind.topic != o.root:
                raise signing.SignatureRejected(field="topic")
            items, batched = events.parse_body(o.signed.body, kind.limits().max_batch)
            submission = Submission(device, events.check(kind, items, batched), batched)
        except DomainError as exc:
            results[o.index] = MessageResult(False, exc.code)
            continue
        groups.setdefault(id(kind.handler), (kind.handler, []))[1].append((o, submission))
    checked = []
    for handler, members in groups.values():
        prepared = handler.prepare([s for _, s in members])
        for (o, submission), ready in zip(members, prepared, strict=True):
            if isinstance(ready, DomainError):
                results[o.index] = MessageResult(False, ready.code)
                continue
            checked.append(
                _Checked(
                    o.index,
                    submission.device,
                    o.signed.nonce,
                    handler,
                    ready,
                    o.message.received_at,
                )
            )
    return checked


def _store(checked: list[_Checked]) -> dict[int, list[Outcome] | str]:
    """One transaction for all checked messages: nonces, then each handler's events. A
    replayed nonce rejects its message only."""
    results: dict[int, list[Outcome] | str] = {}
    with transaction.atomic():
        accepted = sql.consume_nonces([(c.device.pk, c.nonce) for c in checked])
        by_handler: dict[int, tuple[Handler, list[Any], list[tuple[int, int, int]]]] = {}
        for c in checked:
            if (c.device.pk, c.nonce) not in accepted:
                results[c.index] = signing.Replayed.code
                continue
            accepted.discard((c.device.pk, c.nonce))  # a second copy in this batch: replay
            _handler, batch, spans = by_handler.setdefault(id(c.handler), (c.handler, [], []))
            spans.append((c.index, len(batch), len(c.events)))
            batch.extend(c.events)
        if by_handler:
            received = min(c.received_at for c in checked)
        for handler, batch, spans in by_handler.values():
            outcomes = handler.store(batch, "mqtt", received)
            for index, start, count in spans:
                results[index] = outcomes[start : start + count]
    return results


def from_mqtt(messages: list[Message]) -> list[MessageResult]:
    """Process a batch of messages in one transaction; a message that fails its checks is
    rejected alone (the caller acknowledges it: resending would fail the same way). If the
    batch's transaction fails, each message is retried on its own."""
    results = [MessageResult(False) for _ in messages]
    checked = _check_all(messages, results)
    try:
        stored = _store(checked)
    except DatabaseError:
        if len(checked) == 1:
            raise
        log.warning("devices: a batch of %d messages failed; storing one by one", len(checked))
        connection.close_if_unusable_or_obsolete()
        stored = {}
        for c in checked:
            stored.update(_store([c]))
    for index, value in stored.items():
        if isinstance(value, str):
            results[index] = MessageResult(False, value)
        else:
            results[index] = MessageResult(True, outcomes=value)
    sql.purge_nonces()
    return results
