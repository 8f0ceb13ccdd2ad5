"""Access policies of the core models."""

from typing import Any

from django.db.models import Q

from gis_app import access
from gis_app.access import AccessPolicy, Action, Grant
from gis_app.roles import Role, may_grant


class OrganizationPolicy(AccessPolicy):
    """Names of departments and companies are public; managing them needs a grant
    whose area covers the organization's home area (one without a home area: a
    city-level grant)."""

    def public_q(self) -> Q:
        return Q(active=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.active)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        inside = Q(area__code__startswith=grant.area_prefix)
        return inside | Q(area__isnull=True) if grant.city_wide else inside

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if obj.area_id is None:
            return grant.city_wide
        return grant.covers_area(obj.area_id)


class MembershipPolicy(AccessPolicy):
    """Memberships are seen by admins whose area covers the membership's area (for one
    scoped to a grid cell: the cell's community, so its cell too). Creating or changing one
    also needs a role the grant may give (never above its own, ``roles.may_grant``) and,
    for a grant narrowed to component classes, classes inside its own: no grant creates a
    grant above its role or outside its area. A grid cell's grant never manages (no role
    that may be narrowed to a cell has ``MANAGE``; its cell code covers no area anyway)."""

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if not grant.allows(Action.MANAGE):
            return Q(pk__in=[])
        inside = Q(area__code__startswith=grant.area_prefix)
        if action == Action.VIEW:
            return inside
        condition = inside & Q(role__in=grantable_roles(grant))
        if grant.class_codes:
            condition &= Q(class_codes__contained_by=list(grant.class_codes))
            condition &= ~Q(class_codes=[])
        return condition

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if not (grant.allows(Action.MANAGE) and grant.covers_area(obj.area_id)):
            return False
        if action == Action.VIEW:
            return True
        return may_grant(grant.role, obj.role) and classes_within(grant, obj.class_codes)


def grantable_roles(grant: Grant) -> list[str]:
    """The roles this grant may give."""
    return [role for role in Role.values if may_grant(grant.role, role)]


def classes_within(grant: Grant, class_codes: list[str] | None) -> bool:
    """Is a class scope (empty: every class) inside the grant's own?"""
    if not grant.class_codes:
        return True
    return bool(class_codes) and set(class_codes or ()) <= set(grant.class_codes)


class AuditEventPolicy(AccessPolicy):
    """The audit log is read by auditors (and system admins), whole."""

    def scope_q(self, grant: Grant, action: Action) -> Q:
        return Q() if grant.allows(Action.VIEW_AUDIT) and action == Action.VIEW else Q(pk__in=[])

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        return grant.allows(Action.VIEW_AUDIT) and action == Action.VIEW


def register() -> None:
    from gis_app.models import AuditEvent, Membership, Organization

    access.register(Organization, OrganizationPolicy())
    access.register(Membership, MembershipPolicy())
    access.register(AuditEvent, AuditEventPolicy())
