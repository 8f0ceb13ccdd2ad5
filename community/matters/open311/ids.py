"""The public id of a request: the first 80 bits of the SHA-256 of its tracking code, in
hex. Stable, needs no stored column, and does not reveal the tracking code (with which the
reporter can reopen, rate and add photos) nor the database id."""

from __future__ import annotations

import hashlib
import re

PUBLIC_ID = re.compile(r"^[0-9a-f]{20}$")


def public_id(tracking_code: str) -> str:
    return hashlib.sha256(tracking_code.encode("utf-8")).hexdigest()[:20]


def is_public_id(value: str) -> bool:
    return PUBLIC_ID.match(value) is not None
