"""Who sees and edits buildings and base features.

Reading
  * Building footprints, names and addresses are the public ``buildings`` layer: everyone
    sees them while that layer is public and active (``public_q``/``is_public``).
  * Building *details* (floors, use, housing units, year built) are the restricted
    ``building-details`` layer. ``access.can(user, VIEW, building)`` is true for everyone
    through the public check, so it only ever grants footprint-level visibility; details
    are decided by :func:`may_see_details` / :class:`DetailAccess`, which skip the public
    check and ask the grants: any staff grant (every role but resident) whose area covers
    the building's community (a grid cell's grant: whose cell the footprint meets). If
    admins make ``building-details`` public, everyone sees details. The building policy's
    ``in_scope(grant, VIEW, ...)`` is exactly this staff test, so ``access.visible`` for a
    non-public ``buildings`` layer behaves the same way.
  * Base features are public while their layer (``roads``, ``rivers``, ``green-space``) is
    public; otherwise staff see them in their area (plus features outside every
    community).

Where a grant reaches: an area grant covers the objects whose community lies in its
subtree; a grid cell's grant the objects of the cell's community whose geometry meets the
cell (buildings and base features carry no grid cell): ``Grant.place_q``/``covers_place``.

Editing (CREATE, CHANGE)
  The grant's place must cover the object, and either the grant allows
  ``MANAGE`` (street, district, city admins) or the grant's organization is the effective
  steward of the object's layer there: the closest ``Stewardship`` up the area tree, for
  the role ``maintain`` or ``collect`` (``Stewardship.objects.effective_for``). Changing a
  building's details also needs stewardship of ``building-details`` (see
  :func:`may_edit_details`). Features outside every community (no community) are edited by
  system administrators only. Other actions (retire, delete) need ``MANAGE`` in the area.

Register with :func:`register_policies` (called from ``LayersConfig.ready``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Q

from gis_app import access, areacodes
from gis_app.access import AccessPolicy, Action, Grant
from gis_app.roles import Role
from gis_app.types import User
from layers.basemap.models import (
    BUILDING_DETAILS_LAYER,
    BUILDINGS_LAYER,
    LAYER_OF_KIND,
    BaseFeature,
    Building,
)
from layers.models import Layer, StewardRole, Stewardship

STEWARD_ROLES: tuple[str, ...] = (StewardRole.MAINTAIN, StewardRole.COLLECT)
NOTHING = Q(pk__in=[])


def is_staff_grant(grant: Grant) -> bool:
    return grant.role != Role.RESIDENT


def _public_layers() -> Any:
    return Layer.objects.filter(is_public=True, active=True)


def layer_public_q(code: str) -> Q:
    """A condition true when the layer is public and active (an uncorrelated subquery,
    evaluated once per query)."""
    return Q(Exists(_public_layers().filter(code=code)))


def layer_is_public(code: str) -> bool:
    return _public_layers().filter(code=code).exists()


# --- stewardship -------------------------------------------------------------------------


def steward_organizations(layer_code: str, area_code: str) -> set[int]:
    """Ids of the organizations that are the effective maintainer or collector of the
    layer at the area (closest stewardship up the tree, per role)."""
    layer_id = Layer.objects.filter(code=layer_code).values_list("pk", flat=True).first()
    if layer_id is None:
        return set()
    found = set()
    for role in STEWARD_ROLES:
        stewardship = Stewardship.objects.effective_for(layer_id, area_code, role)
        if stewardship is not None:
            found.add(stewardship.organization_id)
    return found


def is_steward(grant: Grant, layer_code: str, area_code: str | None, geometry: Any = None) -> bool:
    """The grant covers the place (the community ``area_code``, and for a grid cell's
    grant the object's ``geometry``) and its organization is an effective steward there."""
    if not area_code or not grant.covers_place(area_code, geometry=geometry):
        return False
    return grant.organization_id in steward_organizations(layer_code, area_code)


def stewarded_q(grant: Grant, layer_code: str, field: str = "community__code") -> Q:
    """Rows (by their community code in ``field``) where the grant's organization is an
    effective steward of the layer: for each of its stewardships, the area's subtree minus
    the subtrees of closer stewardships (same role) of other organizations."""
    rows = list(
        Stewardship.objects.filter(layer__code=layer_code, role__in=STEWARD_ROLES).values_list(
            "area_id", "organization_id", "role"
        )
    )
    condition = NOTHING
    for role in STEWARD_ROLES:
        same_role = [(str(area), org) for area, org, r in rows if r == role]
        for area, org in same_role:
            if org != grant.organization_id:
                continue
            here = Q(**{f"{field}__startswith": areacodes.prefix_of(area)})
            for inner, other in same_role:
                if other != org and inner != area and areacodes.contains(area, inner):
                    here &= ~Q(**{f"{field}__startswith": areacodes.prefix_of(inner)})
            condition |= here
    return condition


def _area_q(grant: Grant, field: str = "community__code") -> Q:
    """The rows within the grant's place (buildings and base features: by community, for
    a grid cell's grant also by geometry)."""
    return grant.place_q(field, geometry="geometry")


def _covers(grant: Grant, obj: Any) -> bool:
    return grant.covers_place(obj.community_id, geometry=obj.geometry)


# --- buildings ---------------------------------------------------------------------------


class BuildingPolicy(AccessPolicy):
    def public_q(self) -> Q:
        return layer_public_q(BUILDINGS_LAYER)

    def is_public(self, obj: Any) -> bool:
        return layer_is_public(BUILDINGS_LAYER)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if action == Action.VIEW:
            return _area_q(grant) if is_staff_grant(grant) else NOTHING
        if action in (Action.CREATE, Action.CHANGE):
            if grant.allows(Action.MANAGE):
                return _area_q(grant)
            return _area_q(grant) & stewarded_q(grant, BUILDINGS_LAYER)
        return _area_q(grant) if grant.allows(Action.MANAGE) else NOTHING

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if not _covers(grant, obj):
            return False
        if action == Action.VIEW:
            return is_staff_grant(grant)
        if grant.allows(Action.MANAGE):
            return True
        if action in (Action.CREATE, Action.CHANGE):
            return is_steward(grant, BUILDINGS_LAYER, obj.community_id, obj.geometry)
        return False


@dataclass
class DetailAccess:
    """Which buildings' details one user may see, worked out once per request."""

    everything: bool
    grants: tuple[Grant, ...]

    @classmethod
    def for_user(cls, user: User) -> DetailAccess:
        if access.is_superuser(user) or layer_is_public(BUILDING_DETAILS_LAYER):
            return cls(True, ())
        staff = tuple(g for g in access.grants(user) if g.allows(Action.VIEW) and is_staff_grant(g))
        return cls(False, staff)

    def covers(self, building: Building) -> bool:
        return self.everything or any(_covers(g, building) for g in self.grants)

    def q(self) -> Q:
        """Buildings whose details the user may see (to filter on details safely)."""
        if self.everything:
            return Q()
        condition = NOTHING
        for grant in self.grants:
            condition |= _area_q(grant)
        return condition


def may_see_details(user: User, building: Building) -> bool:
    """May the user see floors, use, housing units and year built of this building?
    Not ``access.can(VIEW)``: that is true for everyone via the public footprint layer."""
    return DetailAccess.for_user(user).covers(building)


def may_edit_details(user: User, building: Building) -> bool:
    """May the user change the details: a grant allowing CHANGE that covers the building's
    community, with MANAGE or stewardship of ``building-details`` there."""
    if access.is_superuser(user):
        return True
    for grant in access.grants(user):
        if not grant.allows(Action.CHANGE) or not _covers(grant, building):
            continue
        if grant.allows(Action.MANAGE) or is_steward(
            grant, BUILDING_DETAILS_LAYER, building.community_id, building.geometry
        ):
            return True
    return False


# --- base features -----------------------------------------------------------------------


def _kinds_of(layer_code: str) -> list[str]:
    return [kind for kind, code in LAYER_OF_KIND.items() if code == layer_code]


class BaseFeaturePolicy(AccessPolicy):
    def public_q(self) -> Q:
        condition = NOTHING
        for layer_code in sorted(set(LAYER_OF_KIND.values())):
            condition |= Q(kind__in=_kinds_of(layer_code)) & layer_public_q(layer_code)
        return condition

    def is_public(self, obj: Any) -> bool:
        return layer_is_public(LAYER_OF_KIND[obj.kind])

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if action == Action.VIEW:
            if not is_staff_grant(grant):
                return NOTHING
            return _area_q(grant) | Q(community__isnull=True)
        if grant.allows(Action.MANAGE):
            return _area_q(grant)
        if action not in (Action.CREATE, Action.CHANGE):
            return NOTHING
        condition = NOTHING
        for layer_code in sorted(set(LAYER_OF_KIND.values())):
            condition |= Q(kind__in=_kinds_of(layer_code)) & stewarded_q(grant, layer_code)
        return _area_q(grant) & condition

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if action == Action.VIEW:
            return is_staff_grant(grant) and (obj.community_id is None or _covers(grant, obj))
        if not _covers(grant, obj):
            return False
        if grant.allows(Action.MANAGE):
            return True
        if action in (Action.CREATE, Action.CHANGE):
            return is_steward(grant, LAYER_OF_KIND[obj.kind], obj.community_id, obj.geometry)
        return False


def register_policies() -> None:
    """Register the base-layer policies with the access module (idempotent)."""
    access.register(Building, BuildingPolicy())
    access.register(BaseFeature, BaseFeaturePolicy())
