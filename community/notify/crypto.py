"""Webhook secrets sealed at rest (``gis_app.sealing``, AES-256-GCM) under a key derived
from ``settings.NOTIFY_SECRET_KEY`` (from the environment), kept as text
(``v1:<base64>``)."""

from __future__ import annotations

import secrets

from gis_app.sealing import Sealer, Unsealable

__all__ = ["Unsealable", "decrypt", "encrypt", "hint", "new_secret"]

SEALER = Sealer("NOTIFY_SECRET_KEY", "notify.webhook-secret")


def new_secret() -> str:
    """A fresh random secret (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def hint(secret: str) -> str:
    """What may be shown of a secret: its last four characters."""
    return "…" + secret[-4:]


def encrypt(secret: str) -> str:
    return SEALER.seal_text(secret)


def decrypt(stored: str) -> str:
    """The secret of a stored value (``Unsealable`` when the key changed or the value was
    altered)."""
    return SEALER.unseal_text(stored)
