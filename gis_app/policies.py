"""Access policies of the core models."""

from typing import Any

from django.db.models import Q

from gis_app import access
from gis_app.access import AccessPolicy, Action, Grant


class OrganizationPolicy(AccessPolicy):
    """Names of departments and companies are public; managing them needs a grant
    whose area covers the organization's home area."""

    def public_q(self) -> Q:
        return Q(active=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.active)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        return Q(area__code__startswith=grant.area_prefix)

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        return grant.covers_area(obj.area_id)


class MembershipPolicy(AccessPolicy):
    """Memberships are seen by admins whose area covers the membership's area."""

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if not grant.allows(Action.MANAGE):
            return Q(pk__in=[])
        return Q(area__code__startswith=grant.area_prefix)

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        return grant.allows(Action.MANAGE) and grant.covers_area(obj.area_id)


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
