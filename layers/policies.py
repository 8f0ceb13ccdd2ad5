"""Who sees which administrative areas and grid cells.

An area is visible when it is public, inside a grant's area subtree, or an ancestor of a
grant's area (so a street admin can navigate up to the district). Grid cells are
management units: visible inside a grant's subtree only.

A grant of a grid cell (a grid worker's) has the cell's code as its area: no area lies
inside it, so it sees its cell, and of the areas only the cell's ancestors (its community,
street, district and city), never the neighbouring cells; it changes no area.
"""

from typing import Any

from django.db.models import Q

from gis_app import areacodes
from gis_app.access import AccessPolicy, Action, Grant, manages_city_settings


class AdminAreaPolicy(AccessPolicy):
    def public_q(self) -> Q:
        return Q(is_public=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.is_public)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        inside = Q(code__startswith=grant.area_prefix)
        if action == Action.VIEW:
            return inside | Q(code__in=areacodes.ancestors_of(grant.area_code))
        return inside

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if grant.covers_area(obj.code):
            return True
        return action == Action.VIEW and obj.code in areacodes.ancestors_of(grant.area_code)


class GridCellPolicy(AccessPolicy):
    """Cells inside the grant's subtree; a cell's own grant only sees its cell (the worker
    patrols it, the administrators of the area draw it)."""

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if grant.grid_cell is not None and action != Action.VIEW:
            return Q(pk__in=[])
        return Q(code__startswith=grant.area_prefix)

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if grant.grid_cell is not None and action != Action.VIEW:
            return False
        return grant.covers_area(obj.code)


class LayerPolicy(AccessPolicy):
    """Public layers are seen by everyone. Staff see the other layers too, except component
    layers outside their class scope. The registry is a city-wide setting (publishing a
    layer publishes it everywhere): changing it needs a city-level grant with ``MANAGE``."""

    def public_q(self) -> Q:
        return Q(is_public=True, active=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.is_public and obj.active)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if action != Action.VIEW:
            return Q() if manages_city_settings(grant) else Q(pk__in=[])
        if grant.role == "resident":
            return Q(pk__in=[])
        if grant.class_codes and not grant.allows(Action.MANAGE):
            return ~Q(kind="component") | Q(source__in=grant.class_codes)
        return Q()

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if action != Action.VIEW:
            return manages_city_settings(grant)
        if grant.role == "resident":
            return False
        if grant.class_codes and not grant.allows(Action.MANAGE) and obj.kind == "component":
            return obj.source in grant.class_codes
        return True

    def applies(self, grant: Grant, action: Action) -> bool:
        return action == Action.VIEW or manages_city_settings(grant)


class StewardshipPolicy(AccessPolicy):
    """Stewardships are public facts (who looks after what where); admins manage them
    inside their area."""

    def public_q(self) -> Q:
        return Q()

    def is_public(self, obj: Any) -> bool:
        return True

    def scope_q(self, grant: Grant, action: Action) -> Q:
        return Q(area__code__startswith=grant.area_prefix)

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        return grant.covers_area(obj.area_id)
