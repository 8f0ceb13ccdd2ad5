"""Lookups on the administrative hierarchy."""

from __future__ import annotations

from django.contrib.gis.geos import Point

from gis_app import access
from gis_app.types import User
from layers.models import AdminArea, GridCell


def locate(user: User, point: Point) -> dict[str, dict[str, str] | None]:
    """The areas (city .. community) and grid cell containing a point, as far as the
    user may see them; levels the user may not see are ``None``."""
    found: dict[str, dict[str, str] | None] = {
        level: None for level in ("city", "district", "street", "community", "grid")
    }
    areas = access.visible(user, AdminArea.objects.containing(point)).only("code", "name", "level")
    for area in areas:
        found[area.level] = {"code": area.code, "name": area.name, "level": area.level}
    cell = access.visible(user, GridCell.objects.containing(point)).only("code", "name").first()
    if cell is not None:
        found["grid"] = {"code": cell.code, "name": cell.name, "level": "grid"}
    return found
