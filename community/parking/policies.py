"""Who sees which parking lots, and who sees their operations.

* A lot is seen by whoever sees its component (public classes 0201/0215: everyone), so
  the map, the availability feed and guidance show exactly the lots the map shows.
* A grant's scope: lots in its area subtree (a grid cell's grant: the lots of its cell),
  narrowed by its class codes, or, for organization-bound grants and utility/property
  staff, to lots their organization operates, owns or maintains.
* Operations (passage events, occupancy history, exports) need ``REPORT`` or ``CHANGE``
  on the lot (:func:`operational`): planners and admins of the area, the operator's staff.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from community.parking.models import ParkingLot
from component_catalog.policies import ORGANIZATION_SCOPED_KINDS, public_class_codes
from gis_app import access
from gis_app.access import AccessPolicy, Grant
from gis_app.roles import Action
from gis_app.types import User


def _organization_only(grant: Grant) -> bool:
    return grant.organization_bound or (
        not grant.class_codes and grant.organization_kind in ORGANIZATION_SCOPED_KINDS
    )


class ParkingLotPolicy(AccessPolicy):
    def public_q(self) -> Q:
        return Q(
            active=True,
            component__currency="in_use",
            component__component_class_id__in=public_class_codes(),
        )

    def is_public(self, obj: Any) -> bool:
        component = obj.component
        return bool(
            obj.active
            and component.currency == "in_use"
            and public_class_codes().filter(source=component.component_class_id).exists()
        )

    def scope_q(self, grant: Grant, action: Action) -> Q:
        org = grant.organization_id
        area = grant.place_q("component__community__code", grid="component__grid_cell")
        theirs = Q(operator_id=org) | Q(component__owner_id=org) | Q(component__maintainer_id=org)
        if _organization_only(grant):
            return area & theirs
        if grant.class_codes:
            return area & (Q(component__component_class_id__in=grant.class_codes) | theirs)
        return area

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        component = obj.component
        if not grant.covers_place(component.community_id, component.grid_cell_id):
            return False
        org = grant.organization_id
        theirs = org in (obj.operator_id, component.owner_id, component.maintainer_id)
        if _organization_only(grant):
            return theirs
        if grant.class_codes:
            return grant.covers_class(component.component_class_id) or theirs
        return True


def register() -> None:
    access.register(ParkingLot, ParkingLotPolicy())


def operational(user: User, lots: QuerySet[ParkingLot]) -> QuerySet[ParkingLot]:
    """The lots whose operations (events, history, exports) the user may see."""
    reporting = access.visible(user, lots, Action.REPORT).values("pk")
    changing = access.visible(user, lots, Action.CHANGE).values("pk")
    return lots.filter(Q(pk__in=reporting) | Q(pk__in=changing))
