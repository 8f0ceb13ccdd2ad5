"""The two ways events come in, both signed per device (``signing.py``) and both ending in
``engine.record``:

* HTTP: ``POST /api/v1/parking/events/`` with the signature in headers (:func:`from_http`).
* MQTT: a message on ``parking/<device id>/events`` whose payload is a JSON envelope
  ``{"device", "timestamp", "nonce", "signature", "body"}``, ``body`` being the same JSON
  text an HTTP request would carry (:func:`from_mqtt`, called by the worker in batches).

Nothing here logs a body: it holds plate numbers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from community.parking import engine, inputs, signing
from community.parking.models import Channel, Device
from gis_app import parsing
from gis_app.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)
TOPIC_PREFIX = "parking/"
TOPIC_SUFFIX = "/events"


def from_http(method: str, path: str, headers: Any, body: bytes) -> list[engine.Outcome]:
    """Verify, parse, store. 401 (``SignatureRejected``) before anything is parsed; 400 with
    the field on bad input; nothing stored on any error."""
    signed = signing.from_headers(headers, body)
    device = signing.verify(signed, method, path, settings.PARKING_HTTP_REPLAY_WINDOW)
    items, batched = inputs.parse_body(body)
    events = inputs.resolve(device, items, batched)
    received = timezone.now()
    with transaction.atomic():
        signing.consume_nonce(device, signed.nonce)
        outcomes = engine.record(events, Channel.HTTP, received)
    signing.purge_nonces()
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
    outcomes: list[engine.Outcome] = field(default_factory=list)


@dataclass
class _Checked:
    index: int
    device: Device
    nonce: str
    events: list[inputs.EventIn]
    received_at: dt.datetime


@dataclass
class _Opened:
    index: int
    signed: signing.Signed
    message: Message


def _open(index: int, message: Message) -> _Opened:
    """The signed parts of a message's envelope; ``SignatureRejected`` if malformed."""
    try:
        envelope = parsing.loads(message.payload, "payload")
        body = envelope["body"].encode("utf-8")
        signed = signing.Signed(
            device_id=str(envelope["device"]),
            timestamp=str(envelope["timestamp"]),
            nonce=str(envelope["nonce"]),
            signature=str(envelope["signature"]),
            body=body,
        )
    except (InvalidInput, KeyError, TypeError, AttributeError):
        raise signing.SignatureRejected(field="payload") from None
    if message.topic != f"{TOPIC_PREFIX}{signed.device_id}{TOPIC_SUFFIX}":
        raise signing.SignatureRejected(field="topic")
    return _Opened(index, signed, message)


def _check_all(messages: list[Message], results: list[MessageResult]) -> list[_Checked]:
    """Verify and parse every message with a fixed number of queries (devices, gates and
    spaces of the whole batch); a message that fails gets its error in ``results``."""
    opened = []
    for i, message in enumerate(messages):
        try:
            opened.append(_open(i, message))
        except DomainError as exc:
            results[i] = MessageResult(False, exc.code)
    known = signing.devices({o.signed.device_id for o in opened})
    parsed: list[tuple[_Opened, Device, list[inputs.Checked]]] = []
    for o in opened:
        try:
            device = signing.verify(
                o.signed, "MQTT", o.message.topic, settings.PARKING_MQTT_REPLAY_WINDOW, known
            )
            items, batched = inputs.parse_body(o.signed.body)
            parsed.append((o, device, inputs.check(device, items, batched)))
        except DomainError as exc:
            results[o.index] = MessageResult(False, exc.code)
    places = inputs.Places([e for _, _, events in parsed for e in events])
    checked = []
    for o, device, events in parsed:
        try:
            bound = places.bind(events)
        except DomainError as exc:
            results[o.index] = MessageResult(False, exc.code)
            continue
        checked.append(_Checked(o.index, device, o.signed.nonce, bound, o.message.received_at))
    return checked


def _store(checked: list[_Checked]) -> dict[int, list[engine.Outcome] | str]:
    """One transaction for all checked messages: nonces, then events. A replayed nonce
    rejects its message only."""
    results: dict[int, list[engine.Outcome] | str] = {}
    with transaction.atomic():
        accepted = signing.consume_nonces([(c.device.pk, c.nonce) for c in checked])
        events: list[inputs.EventIn] = []
        spans = []
        for c in checked:
            if (c.device.pk, c.nonce) not in accepted:
                results[c.index] = signing.Replayed.code
                continue
            accepted.discard((c.device.pk, c.nonce))  # a second copy in this batch: replay
            spans.append((c.index, len(events), len(c.events)))
            events.extend(c.events)
        if events:
            received = min(c.received_at for c in checked)
            outcomes = engine.record(events, Channel.MQTT, received)
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
        log.warning("parking: a batch of %d messages failed; storing one by one", len(checked))
        connection.close_if_unusable_or_obsolete()
        stored = {}
        for c in checked:
            stored.update(_store([c]))
    for index, value in stored.items():
        if isinstance(value, str):
            results[index] = MessageResult(False, value)
        else:
            results[index] = MessageResult(True, outcomes=value)
    signing.purge_nonces()
    return results
