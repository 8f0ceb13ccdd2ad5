"""Request signatures of devices (HTTP and MQTT alike).

A device signs the canonical string

    METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex(SHA-256(body))

with HMAC-SHA256 under its own secret, hex-encoded. Over HTTP the four values travel in
headers (``X-Device-Id``, ``X-Timestamp`` in Unix seconds, ``X-Nonce``, ``X-Signature``;
METHOD and PATH are the request's); over MQTT in a JSON envelope around the body (METHOD is
``MQTT`` and PATH the topic, see ``mqtt.py``).

A message is accepted once: its timestamp must lie within the replay window of the
server's clock, and its nonce must not have been used by the device within that window
(``DeviceNonce``, written in the same transaction as the events, so a rejected request
leaves no nonce and no event behind). Every failure is a ``SignatureRejected`` (401); a
revoked or inactive device, or one whose secret no key opens, is unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from community.devices import sealing
from community.devices.models import Device
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


def from_headers(headers: Mapping[str, Any], body: bytes) -> Signed:
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


def devices(device_ids: set[str], load_with: Collection[str] = ()) -> dict[str, Device]:
    """The active devices with these ids, and the fields ``load_with`` of their kinds'
    own rows (paths through one-to-one and foreign keys, see ``Kind.load_with``), in one
    query."""
    found = Device.objects.filter(device_id__in=device_ids, active=True)
    related = {path.rsplit("__", 1)[0] for path in load_with if "__" in path}
    if related:
        found = found.select_related(*sorted(related))
    found = found.only(
        "id", "device_id", "kind", "secret_sealed", "owner_id", "area_id", *load_with
    )
    return {d.device_id: d for d in found}


_opened: dict[tuple[int, bytes], str] = {}


def secret_of(device: Device) -> str | None:
    """The device's plaintext secret (kept in memory per sealed value), None if no key
    of this process opens it."""
    sealed = bytes(device.secret_sealed)
    key = (device.pk, sealed)
    found = _opened.get(key)
    if found is None:
        try:
            found = sealing.unseal(sealed, device.device_id)
        except sealing.Unsealable:
            return None
        if len(_opened) > 10_000:
            _opened.clear()
        _opened[key] = found
    return found


def verify(
    signed: Signed, method: str, path: str, window_s: int, known: dict[str, Device]
) -> Device:
    """The active device (of ``known``, fetched with :func:`devices`) whose secret
    produced this signature within the window. Does not consume the nonce: the caller
    does that inside the transaction that stores (``sql.consume_nonces``)."""
    device = known.get(signed.device_id)
    secret = secret_of(device) if device is not None else None
    if device is None or secret is None:
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
    expected = sign(secret, method, path, signed.timestamp, signed.nonce, signed.body)
    if not hmac.compare_digest(expected, signed.signature.lower()):
        raise SignatureRejected(_("The signature does not match."), field="X-Signature")
    return device
