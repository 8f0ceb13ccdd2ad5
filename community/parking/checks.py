"""System checks of the parking app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def credential_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production must not hash plates under the development key (anyone who has the
    source could then test plates against the stored hashes)."""
    key = settings.PARKING_CREDENTIAL_KEY
    if settings.DEBUG:
        return []
    if key == settings.PARKING_DEV_CREDENTIAL_KEY or len(key) < 32:
        return [
            Error(
                "PARKING_CREDENTIAL_KEY is the development default or shorter than 32 "
                "characters; plate and card hashes would be guessable.",
                hint="Set PARKING_CREDENTIAL_KEY to a long random secret, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
                id="parking.E001",
            )
        ]
    return []
