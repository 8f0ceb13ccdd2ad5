"""System checks of the devices app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production must not seal device secrets under the development key (anyone with
    the source and a database dump could then sign as every device)."""
    key = settings.DEVICES_SECRET_KEY
    if settings.DEBUG:
        return []
    if key == settings.DEVICES_DEV_SECRET_KEY or len(key) < 32:
        return [
            Error(
                "DEVICES_SECRET_KEY is the development default or shorter than 32 "
                "characters; device secrets sealed under it would be readable.",
                hint="Set DEVICES_SECRET_KEY to a long random secret, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
                id="devices.E001",
            )
        ]
    return []
