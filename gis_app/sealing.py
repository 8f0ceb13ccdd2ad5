"""Secrets and personal data sealed at rest with AES-256-GCM (the ``cryptography`` package),
one scheme for every app (device secrets, webhook secrets, later ID numbers and phones).

Each use is a :class:`Sealer` naming the setting that holds its key (from the environment,
read in settings), optionally a setting listing earlier keys, and its purpose. The AES key is
derived from the setting with HKDF-SHA256 and the purpose as ``info``, so two apps given the
same text as key still seal apart. A sealed value is::

    version (1 byte, 1) | key id (4 bytes) | nonce (12 bytes) | ciphertext + tag

and the caller may bind it to the row (``bound_to``, e.g. a device id) as associated data:
a sealed value copied onto another row does not open. Earlier keys still open what they
sealed, so a key is changed by listing the old one and resealing the rows.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION: Final = 1
HEADER: Final = 1 + 4 + 12
TEXT_PREFIX: Final = "v1:"  # sealed values kept in text columns


class Unsealable(Exception):
    """The value was sealed under a key this process does not hold, or was altered."""


@functools.lru_cache(maxsize=32)
def _cipher(secret_key: str, purpose: bytes) -> tuple[bytes, AESGCM]:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode()
    )
    return hashlib.sha256(key).digest()[:4], AESGCM(key)


class Sealer:
    """Seals and opens values under the key in ``settings.<key_setting>``."""

    def __init__(self, key_setting: str, purpose: str, old_keys_setting: str | None = None):
        self.key_setting = key_setting
        self.old_keys_setting = old_keys_setting
        self.purpose = purpose.encode()

    def _current(self) -> tuple[bytes, AESGCM]:
        return _cipher(getattr(settings, self.key_setting), self.purpose)

    def _keys(self) -> list[str]:
        old = getattr(settings, self.old_keys_setting) if self.old_keys_setting else []
        return [getattr(settings, self.key_setting), *old]

    def seal(self, plaintext: str, bound_to: str = "") -> bytes:
        """The value encrypted under the current key, bound to ``bound_to``."""
        key_id, cipher = self._current()
        nonce = os.urandom(12)
        body = cipher.encrypt(nonce, plaintext.encode(), bound_to.encode())
        return bytes([VERSION]) + key_id + nonce + body

    def unseal(self, sealed: bytes, bound_to: str = "") -> str:
        """The plaintext; ``Unsealable`` if no known key opens it."""
        sealed = bytes(sealed)
        if len(sealed) <= HEADER or sealed[0] != VERSION:
            raise Unsealable
        key_id, nonce, body = sealed[1:5], sealed[5:HEADER], sealed[HEADER:]
        for secret_key in self._keys():
            kid, cipher = _cipher(secret_key, self.purpose)
            if kid == key_id:
                try:
                    return cipher.decrypt(nonce, body, bound_to.encode()).decode()
                except InvalidTag:
                    raise Unsealable from None
        raise Unsealable

    def sealed_under_current_key(self, sealed: bytes) -> bool:
        return bytes(sealed)[1:5] == self._current()[0]

    def seal_text(self, plaintext: str, bound_to: str = "") -> str:
        """:meth:`seal` as text (URL-safe base64 with a version prefix), for text columns."""
        return TEXT_PREFIX + base64.urlsafe_b64encode(self.seal(plaintext, bound_to)).decode()

    def unseal_text(self, stored: str, bound_to: str = "") -> str:
        if not stored.startswith(TEXT_PREFIX):
            raise Unsealable
        try:
            raw = base64.urlsafe_b64decode(stored[len(TEXT_PREFIX) :].encode())
        except ValueError:
            raise Unsealable from None
        return self.unseal(raw, bound_to)


def weak_key_errors(setting: str, dev_setting: str, what: str, check_id: str) -> list[Any]:
    """The deploy check of a sealing key: an error when ``settings.<setting>`` is the
    development default (``settings.<dev_setting>``) or shorter than 32 characters while
    debug is off. ``what`` says what would be readable (for the message)."""
    from django.core.checks import Error

    key = getattr(settings, setting)
    if settings.DEBUG or (key != getattr(settings, dev_setting) and len(key) >= 32):
        return []
    return [
        Error(
            f"{setting} is the development default or shorter than 32 characters; "
            f"{what} sealed under it would be readable.",
            hint=f"Set {setting} to a long random secret, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
            id=check_id,
        )
    ]
