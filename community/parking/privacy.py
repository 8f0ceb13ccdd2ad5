"""Plate and card numbers are personal data: they are normalised, checked, then kept only as
a keyed hash (for matching an exit to its entry, and for reverse car finding) and a masked
form for display. The clear value never reaches the database, a log line or an answer.

The hash is HMAC-SHA256 under ``settings.PARKING_CREDENTIAL_KEY``: a plain hash of a plate
could be reversed by trying every plate (there are only some 10^9 of them); the key makes
that impossible without the key. ``checks.py`` refuses the development key in production.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

from community.parking.models import CredentialType

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Civil plates (GA 36): province, issuing-authority letter, then 5 characters (6 for new-
# energy vehicles), letters without I and O; trailers, coaches, police ... end in a
# Chinese character.
PLATE_RE = re.compile(rf"^[{PROVINCES}][A-Z][A-HJ-NP-Z0-9]{{4,6}}[A-HJ-NP-Z0-9挂学警港澳领试超]$")
CARD_RE = re.compile(r"^[0-9A-F]{4,32}$")
_SEPARATORS = re.compile(r"[\s·•・.\-:_]")


class InvalidCredential(ValueError):
    """The value is not a plate or card number of its type (the message never repeats it)."""


@dataclass(frozen=True)
class Credential:
    type: str
    hash: bytes
    masked: str


def normalise(kind: str, value: str) -> str:
    """Full-width to half-width, upper case, separators removed."""
    text = unicodedata.normalize("NFKC", value or "")
    return _SEPARATORS.sub("", text).upper()


def mask_plate(plate: str) -> str:
    """浙A12345 -> 浙A·***45: province and authority letter, the rest masked but the last 2."""
    return f"{plate[:2]}·{'*' * (len(plate) - 4)}{plate[-2:]}"


def mask_card(number: str) -> str:
    """Fixed width (the length is not revealed): the last 4 characters, or 2 of short ones."""
    return "****" + (number[-4:] if len(number) >= 8 else number[-2:])


def digest(kind: str, normalised: str) -> bytes:
    key = settings.PARKING_CREDENTIAL_KEY.encode()
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).digest()


def credential(kind: str, value: str) -> Credential:
    """The keyed hash and masked form of a credential; ``InvalidCredential`` if malformed."""
    if kind not in CredentialType.values:
        raise InvalidCredential("unknown credential type")
    clear = normalise(kind, value)
    if kind == CredentialType.PLATE:
        if not PLATE_RE.match(clear):
            raise InvalidCredential("not a plate number")
        masked = mask_plate(clear)
    else:
        if not CARD_RE.match(clear):
            raise InvalidCredential("not a card or tag number (4-32 hexadecimal digits)")
        masked = mask_card(clear)
    return Credential(kind, digest(kind, clear), masked)
