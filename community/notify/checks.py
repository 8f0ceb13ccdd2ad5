"""System checks of notifications."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production must not encrypt webhook secrets under the development key."""
    key = settings.NOTIFY_SECRET_KEY
    if settings.DEBUG:
        return []
    if key == settings.NOTIFY_DEV_SECRET_KEY or len(key) < 32:
        return [
            Error(
                "NOTIFY_SECRET_KEY is the development default or shorter than 32 characters; "
                "webhook secrets stored in the database could be decrypted.",
                hint="Set NOTIFY_SECRET_KEY to a long random secret, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
                id="notify.E001",
            )
        ]
    return []
