"""Who sees raster layers: exactly who sees their registry layer (``LayerPolicy``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from gis_app.access import AccessPolicy, Action, Grant, manages_city_settings
from gis_app.roles import Role


class RasterLayerPolicy(AccessPolicy):
    """Public while the registry layer is public and active; staff see all raster layers;
    registering and changing them needs a city-level ``MANAGE`` grant (as the layer
    registry)."""

    def public_q(self) -> Q:
        return Q(layer__is_public=True, layer__active=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.layer.is_public and obj.layer.active)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if action == Action.VIEW:
            return Q() if grant.role != Role.RESIDENT else Q(pk__in=[])
        return Q() if manages_city_settings(grant) else Q(pk__in=[])

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if action == Action.VIEW:
            return grant.role != Role.RESIDENT
        return manages_city_settings(grant)

    def applies(self, grant: Grant, action: Action) -> bool:
        return action == Action.VIEW or manages_city_settings(grant)
