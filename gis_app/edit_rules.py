"""Rules every versioned edit shares, whatever the model (components, base layers)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gis_app.errors import InvalidInput


def refuse_changed_read_only(given: dict[str, Any], stored: dict[str, Any]) -> None:
    """Read-only properties a client echoes from GET are accepted when they equal the stored
    values (``stored``); a different value would be silently ignored, so it is refused,
    naming every such property."""
    differing = [name for name, value in given.items() if value != stored.get(name)]
    if differing:
        raise InvalidInput(
            _(
                "%(fields)s cannot be changed: read-only, set by the platform. Leave them out "
                "or send the values it gave."
            )
            % {"fields": ", ".join(f"properties.{name}" for name in differing)},
            field=f"properties.{differing[0]}",
            fields=[f"properties.{name}" for name in differing],
        )
