"""Webhook secrets encrypted at rest (AES-256-GCM, ``cryptography``), under a key derived
from ``settings.NOTIFY_SECRET_KEY`` (from the environment). A stored value is
``v1:<base64 of nonce + ciphertext>``; the version names the scheme so the key or the
cipher can change later without guessing what a row holds."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from typing import Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION: Final = "v1"
_CONTEXT: Final = b"notify.webhook-secret"  # bound into the tag: no reuse elsewhere
_NONCE_BYTES: Final = 12


def _cipher() -> AESGCM:
    key = hashlib.sha256(b"notify:" + settings.NOTIFY_SECRET_KEY.encode()).digest()
    return AESGCM(key)


def new_secret() -> str:
    """A fresh random secret (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def hint(secret: str) -> str:
    """What may be shown of a secret: its last four characters."""
    return "…" + secret[-4:]


def encrypt(secret: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher().encrypt(nonce, secret.encode(), _CONTEXT)
    return f"{VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(stored: str) -> str:
    """The secret of a stored value (``cryptography.exceptions.InvalidTag`` when the key
    changed or the value was altered)."""
    version, _sep, data = stored.partition(":")
    if version != VERSION:
        raise ValueError(f"unknown secret scheme {version!r}")
    raw = base64.urlsafe_b64decode(data.encode())
    return _cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _CONTEXT).decode()
