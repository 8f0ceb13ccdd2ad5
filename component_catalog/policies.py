"""Who sees and edits which components.

* Anyone sees in-use components of public classes (toilets, parking, shelters, trees ...).
* A grant covers components whose community lies in the grant's area subtree, narrowed:
  - by the grant's class codes, when it has any (a water surveyor: water classes), and
  - for organization-bound grants (maintainers), and for utility or property-management
    staff without class codes, to components their organization owns or maintains.
  A surveyor with class codes also covers, in their area, anything their organization owns
  or maintains ("their organization's classes or ownership").
"""

from typing import Any

from django.db.models import Q, QuerySet

from gis_app.access import AccessPolicy, Action, Grant, manages_city_settings
from gis_app.models import OrganizationKind
from layers.models import Layer, LayerKind

ORGANIZATION_SCOPED_KINDS = {OrganizationKind.UTILITY, OrganizationKind.PROPERTY_MANAGEMENT}


def public_class_codes() -> QuerySet[Layer, Any]:
    """Codes of the classes whose layer is public in the layer registry (a subquery)."""
    return Layer.objects.filter(kind=LayerKind.COMPONENT, is_public=True, active=True).values(
        "source"
    )


def _ownership_only(grant: Grant) -> bool:
    return grant.organization_bound or (
        not grant.class_codes and grant.organization_kind in ORGANIZATION_SCOPED_KINDS
    )


class ComponentClassPolicy(AccessPolicy):
    """The catalog is public reading; it is a city-wide setting (schemas, default
    publicity), so changing it needs a city-level grant with ``MANAGE``."""

    def public_q(self) -> Q:
        return Q(active=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.active)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        if action == Action.VIEW:
            return Q() if grant.allows(Action.MANAGE) else Q(pk__in=[])
        return Q() if manages_city_settings(grant) else Q(pk__in=[])

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if action == Action.VIEW:
            return grant.allows(Action.MANAGE)
        return manages_city_settings(grant)

    def applies(self, grant: Grant, action: Action) -> bool:
        return action == Action.VIEW or manages_city_settings(grant)


class ComponentPolicy(AccessPolicy):
    def public_q(self) -> Q:
        return Q(component_class_id__in=public_class_codes(), currency="in_use")

    def is_public(self, obj: Any) -> bool:
        return (
            obj.currency == "in_use"
            and public_class_codes().filter(source=obj.component_class_id).exists()
        )

    def scope_q(self, grant: Grant, action: Action) -> Q:
        area = Q(community__code__startswith=grant.area_prefix)
        owned = Q(owner_id=grant.organization_id) | Q(maintainer_id=grant.organization_id)
        if _ownership_only(grant):
            return area & owned
        if grant.class_codes:
            return area & (Q(component_class_id__in=grant.class_codes) | owned)
        return area

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if not grant.covers_area(obj.community_id):
            return False
        owned = grant.organization_id in (obj.owner_id, obj.maintainer_id)
        if _ownership_only(grant):
            return owned
        if grant.class_codes:
            return grant.covers_class(obj.component_class_id) or owned
        return True
