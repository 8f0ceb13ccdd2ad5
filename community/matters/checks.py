"""System checks of service requests."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register

from gis_app.sealing import weak_key_errors


@register(Tags.security, deploy=True)
def secret_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production must not seal reporters' contacts under the development key."""
    return weak_key_errors(
        "MATTERS_SECRET_KEY", "MATTERS_DEV_SECRET_KEY", "reporters' contacts", "matters.E001"
    )
