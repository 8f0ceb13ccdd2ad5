"""Device secrets sealed at rest (``gis_app.sealing``, AES-256-GCM) under a key derived from
``DEVICES_SECRET_KEY``; earlier keys listed in ``DEVICES_OLD_SECRET_KEYS`` still open what
they sealed, so the key can be changed and the rows resealed (``manage.py devices reseal``)
without re-installing any device. The device id is bound into each sealed secret: one copied
onto another device's row does not open."""

from __future__ import annotations

import secrets

from gis_app.sealing import Sealer, Unsealable

__all__ = ["Unsealable", "new_secret", "seal", "sealed_under_current_key", "unseal"]

SEALER = Sealer("DEVICES_SECRET_KEY", "community.devices secrets", "DEVICES_OLD_SECRET_KEYS")


def new_secret() -> str:
    """A fresh device secret: 64 hex characters (256 bits)."""
    return secrets.token_hex(32)


def seal(secret: str, device_id: str) -> bytes:
    """The secret encrypted under the current key, bound to the device id."""
    return SEALER.seal(secret, device_id)


def unseal(sealed: bytes, device_id: str) -> str:
    """The plaintext secret; ``Unsealable`` if no known key opens it."""
    return SEALER.unseal(sealed, device_id)


def sealed_under_current_key(sealed: bytes) -> bool:
    return SEALER.sealed_under_current_key(sealed)
