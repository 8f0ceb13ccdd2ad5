"""``api_key`` values: made here, stored as a digest, looked up by it."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from community.matters.open311.models import ClientApplication

PREFIX = "o311_"


def new_key() -> str:
    """A new key: 256 random bits, URL-safe."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def hint(key: str) -> str:
    return key[-4:]


def issue(app: ClientApplication) -> str:
    """Give ``app`` a new key (the old one stops working); answers the key, which is not
    kept."""
    key = new_key()
    app.key_digest = digest(key)
    app.key_hint = hint(key)
    return key


def application_for(key: str) -> ClientApplication | None:
    """The active application holding ``key``, its use recorded; None for any other."""
    if not key or len(key) > 100:
        return None
    app = ClientApplication.objects.filter(key_digest=digest(key), active=True).first()
    if app is not None:
        ClientApplication.objects.filter(pk=app.pk).update(last_used_at=timezone.now())
    return app
