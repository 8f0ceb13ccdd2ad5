"""The reporter's contact: sealed at rest (``gis_app.sealing``, AES-256-GCM) under a key
derived from ``settings.MATTERS_SECRET_KEY`` (from the environment), with masks kept for
display (DESIGN.md section 14: 张*, 138****5678). The sealed value is bound to the
request's tracking code: copied onto another request it does not open."""

from __future__ import annotations

import json
from dataclasses import dataclass

from gis_app.sealing import Sealer, Unsealable

__all__ = ["Contact", "Unsealable", "mask_name", "mask_phone", "seal", "unseal"]

SEALER = Sealer("MATTERS_SECRET_KEY", "community.matters reporter contact", "MATTERS_OLD_KEYS")


@dataclass(frozen=True)
class Contact:
    name: str = ""
    phone: str = ""
    email: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.phone or self.email)


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; the first character stays."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; shorter numbers keep only their last two digits."""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:] if digits else ""


def seal(contact: Contact, tracking_code: str) -> str:
    if not contact:
        return ""
    plain = json.dumps(
        {"name": contact.name, "phone": contact.phone, "email": contact.email},
        ensure_ascii=False,
    )
    return SEALER.seal_text(plain, tracking_code)


def unseal(stored: str, tracking_code: str) -> Contact:
    """The contact of a stored value (``Unsealable`` when the key changed or the value was
    altered)."""
    if not stored:
        return Contact()
    data = json.loads(SEALER.unseal_text(stored, tracking_code))
    return Contact(data.get("name", ""), data.get("phone", ""), data.get("email", ""))
