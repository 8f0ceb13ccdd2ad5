"""Who sees which requests (404 for the others), and who sees the event-class catalog.

* Everyone, anonymous included, sees the requests of public classes; what they see of the
  reporter is masked (``representation``), as for every role without clearance.
* A grant sees the requests whose place it covers (``Grant.place_q``: an area subtree, or
  its grid cell), narrowed to its component classes when it has a class scope.
* The staff of the organization a request is routed to see it (an organization-bound
  grant, a maintainer, sees only those, within its area).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from community.matters.models import EventClass, ServiceRequest
from gis_app import access
from gis_app.access import AccessPolicy, Grant
from gis_app.roles import Action


class ServiceRequestPolicy(AccessPolicy):
    def public_q(self) -> Q:
        return Q(event_class__public=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.event_class.public)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        place = grant.place_q("community__code", grid="grid_cell_id")
        routed = Q(organization_id=grant.organization_id)
        if grant.organization_bound:
            return place & routed
        if grant.class_codes:
            return (place & Q(event_class__component_class_id__in=grant.class_codes)) | routed
        return place | routed

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        place = grant.covers_place(obj.community_id, obj.grid_cell_id)
        routed = obj.organization_id == grant.organization_id
        if grant.organization_bound:
            return place and routed
        if grant.class_codes:
            return (place and grant.covers_class(obj.event_class.component_class_id)) or routed
        return place or routed


class EventClassPolicy(AccessPolicy):
    """The catalog is public; it is a city-wide setting, changed through a city-level
    grant that may manage."""

    def public_q(self) -> Q:
        return Q(active=True)

    def is_public(self, obj: Any) -> bool:
        return bool(obj.active)

    def scope_q(self, grant: Grant, action: Action) -> Q:
        return Q() if access.manages_city_settings(grant) else access.NOTHING

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        return access.manages_city_settings(grant)

    def applies(self, grant: Grant, action: Action) -> bool:
        return action == Action.VIEW or access.manages_city_settings(grant)


def register() -> None:
    access.register(ServiceRequest, ServiceRequestPolicy())
    access.register(EventClass, EventClassPolicy())
