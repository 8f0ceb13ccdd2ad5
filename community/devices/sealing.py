"""Device secrets sealed at rest with AES-256-GCM (the ``cryptography`` package).

The key is derived (HKDF-SHA256) from ``DEVICES_SECRET_KEY``, an environment variable read
in settings; earlier keys listed in ``DEVICES_OLD_SECRET_KEYS`` still open what they sealed,
so the key can be changed and the rows resealed (``manage.py devices reseal``) without
re-installing any device. A sealed value is::

    version (1 byte, 1) | key id (4 bytes) | nonce (12 bytes) | ciphertext + tag

with the device id as associated data: a sealed secret copied onto another device's row
does not open.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = 1
HEADER = 1 + 4 + 12


class Unsealable(Exception):
    """The value was sealed under a key this process does not hold, or was altered."""


@functools.lru_cache(maxsize=8)
def _cipher(secret_key: str) -> tuple[bytes, AESGCM]:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"community.devices secrets"
    ).derive(secret_key.encode())
    return hashlib.sha256(key).digest()[:4], AESGCM(key)


def _keys() -> list[str]:
    return [settings.DEVICES_SECRET_KEY, *settings.DEVICES_OLD_SECRET_KEYS]


def new_secret() -> str:
    """A fresh device secret: 64 hex characters (256 bits)."""
    return secrets.token_hex(32)


def seal(secret: str, device_id: str) -> bytes:
    """The secret encrypted under the current key, bound to the device id."""
    key_id, cipher = _cipher(settings.DEVICES_SECRET_KEY)
    nonce = os.urandom(12)
    return (
        bytes([VERSION])
        + key_id
        + nonce
        + cipher.encrypt(nonce, secret.encode(), device_id.encode())
    )


def unseal(sealed: bytes, device_id: str) -> str:
    """The plaintext secret; ``Unsealable`` if no known key opens it."""
    sealed = bytes(sealed)
    if len(sealed) <= HEADER or sealed[0] != VERSION:
        raise Unsealable
    key_id, nonce, body = sealed[1:5], sealed[5:HEADER], sealed[HEADER:]
    for secret_key in _keys():
        kid, cipher = _cipher(secret_key)
        if kid == key_id:
            try:
                return cipher.decrypt(nonce, body, device_id.encode()).decode()
            except InvalidTag:
                raise Unsealable from None
    raise Unsealable


def sealed_under_current_key(sealed: bytes) -> bool:
    return bytes(sealed)[1:5] == _cipher(settings.DEVICES_SECRET_KEY)[0]
