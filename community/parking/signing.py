"""Request signatures of parking devices (HTTP and MQTT alike).

A device signs the canonical string

    METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex(SHA-256(body))

with HMAC-SHA256 under its own secret (``Device.secret``), hex-encoded. Over HTTP the four
values travel in headers (``X-Device-Id``, ``X-Timestamp`` in Unix seconds, ``X-Nonce``,
``X-Signature``; METHOD and PATH are the request's); over MQTT in a JSON envelope around the
body (METHOD is ``MQTT`` and PATH the topic, see ``mqtt.py``).

A message is accepted once: its timestamp must lie within the replay window of the
server's clock, and its nonce must not have been used by the device within that window
(``DeviceNonce``, written in the same transaction as the events, so a rejected request
leaves no nonce and no event behind). Every failure is a ``SignatureRejected`` (401).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from community.parking.models import Device
from gis_app import parsing
from gis_app.errors import DomainError, InvalidInput

NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
HEADERS = ("X-Device-Id", "X-Timestamp", "X-Nonce", "X-Signature")
MAX_TIMESTAMP = 10**12  # seconds; a larger number is no time at all (and no float)


class SignatureRejected(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "invalid_signature"
    default_message = _("The request signature is invalid.")


class Replayed(SignatureRejected):
    code = "replayed"
    default_message = _("This signed request was already received (replay).")


@dataclass(frozen=True)
class Signed:
    """What a device sent: who, when, a nonce, the signature, and the exact body bytes."""

    device_id: str
    timestamp: str
    nonce: str
    signature: str
    body: bytes


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, digest]).encode()


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The hex signature a device computes (used by tests, the bench and device SDKs)."""
    message = canonical(method, path, timestamp, nonce, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def from_headers(headers: Any, body: bytes) -> Signed:
    values = []
    for name in HEADERS:
        value = headers.get(name)
        if not value:
            raise SignatureRejected(
                _("The header %(name)s is missing.") % {"name": name}, field=name
            )
        values.append(str(value).strip())
    device_id, timestamp, nonce, signature = values
    return Signed(device_id, timestamp, nonce, signature, body)


def devices(device_ids: set[str]) -> dict[str, Device]:
    """The active devices with these ids (one query), with their lot and gate."""
    found = Device.objects.select_related("lot__component", "gate").filter(
        device_id__in=device_ids, active=True
    )
    return {d.device_id: d for d in found}


def verify(
    signed: Signed,
    method: str,
    path: str,
    window_s: int,
    known: dict[str, Device] | None = None,
) -> Device:
    """The active device whose secret produced this signature within the window
    (``known``: devices fetched beforehand for a batch). Does not consume the nonce: call
    :func:`consume_nonce` inside the transaction that stores."""
    found = known if known is not None else devices({signed.device_id})
    device = found.get(signed.device_id)
    if device is None:
        raise SignatureRejected(_("Unknown or inactive device."), field="X-Device-Id")
    try:
        stamp = parsing.integer(signed.timestamp, "X-Timestamp", 0, MAX_TIMESTAMP)
    except InvalidInput:
        raise SignatureRejected(
            _("X-Timestamp must be Unix time in seconds."), field="X-Timestamp"
        ) from None
    if abs(time.time() - stamp) > window_s:
        raise SignatureRejected(
            _("The timestamp is outside the replay window of %(seconds)s seconds.")
            % {"seconds": window_s},
            field="X-Timestamp",
        )
    if not NONCE_RE.match(signed.nonce):
        raise SignatureRejected(
            _("X-Nonce must be 8 to 64 letters, digits, - or _."), field="X-Nonce"
        )
    expected = sign(device.secret, method, path, signed.timestamp, signed.nonce, signed.body)
    if not hmac.compare_digest(expected, signed.signature.lower()):
        raise SignatureRejected(_("The signature does not match."), field="X-Signature")
    return device


_NONCE_SQL = """
INSERT INTO parking_devicenonce (device_id, nonce, seen_at) VALUES (%s, %s, now())
ON CONFLICT (device_id, nonce) DO NOTHING RETURNING id
"""


def consume_nonce(device: Device, nonce: str) -> None:
    """Record the nonce; ``Replayed`` if the device used it before (inside the window:
    older nonces are purged, and their timestamps are refused by :func:`verify`)."""
    with connection.cursor() as cursor:
        cursor.execute(_NONCE_SQL, [device.pk, nonce])
        if cursor.fetchone() is None:
            raise Replayed(field="X-Nonce")


def consume_nonces(pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Record many (device, nonce) pairs at once; returns those not seen before."""
    if not pairs:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO parking_devicenonce (device_id, nonce, seen_at) "
            "SELECT DISTINCT d, n, now() FROM unnest(%s::bigint[], %s::text[]) AS t(d, n) "
            "ORDER BY 1, 2 ON CONFLICT (device_id, nonce) DO NOTHING RETURNING device_id, nonce",
            [[p[0] for p in pairs], [p[1] for p in pairs]],
        )
        return {(device, nonce) for device, nonce in cursor.fetchall()}


_last_purge = 0.0


def purge_nonces(force: bool = False) -> int:
    """Delete nonces older than the longest replay window (at most once a minute per
    process unless forced). Returns the number deleted."""
    global _last_purge
    now = time.monotonic()
    if not force and now - _last_purge < 60:
        return 0
    _last_purge = now
    keep = max(settings.PARKING_HTTP_REPLAY_WINDOW, settings.PARKING_MQTT_REPLAY_WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM parking_devicenonce WHERE seen_at < now() - make_interval(secs => %s)",
            [keep],
        )
        return cursor.rowcount
