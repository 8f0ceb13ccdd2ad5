"""System checks of the devices app."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register

from gis_app.sealing import weak_key_errors


@register(Tags.security, deploy=True)
def secret_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production must not seal device secrets under the development key."""
    return weak_key_errors(
        "DEVICES_SECRET_KEY", "DEVICES_DEV_SECRET_KEY", "device secrets", "devices.E001"
    )
