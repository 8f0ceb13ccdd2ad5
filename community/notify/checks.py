"""System checks of notifications."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register

from gis_app.sealing import weak_key_errors


@register(Tags.security, deploy=True)
def secret_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production must not seal webhook secrets under the development key."""
    return weak_key_errors(
        "NOTIFY_SECRET_KEY", "NOTIFY_DEV_SECRET_KEY", "webhook secrets", "notify.E001"
    )
