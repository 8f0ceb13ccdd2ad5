"""Where a request goes (DESIGN.md section 14): the clicked component's maintainer; else the
steward (maintenance) of the class's component layer for the request's community; else the
community office: the active government organization whose home area is the community,
else the one of its street (the demo geographies have street offices only, 街道办事处,
which host the community workstations). Every decision carries its rule and reason."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from community.matters.models import EventClass, RoutingRule
from component_catalog.models import Component
from gis_app import areacodes
from gis_app.models import Organization, OrganizationKind
from layers.models import Layer, StewardRole, Stewardship


@dataclass(frozen=True)
class Decision:
    organization: Organization | None
    rule: str
    reason: str


def component_class_of(event_class: EventClass, component: Component | None) -> str | None:
    """The component class whose layer's steward handles the class: the class's own, its
    routing rule's, else the clicked component's."""
    rule = event_class.routing or {}
    code = event_class.component_class_id or rule.get("component_class")
    if code is None and component is not None:
        code = component.component_class_id
    return str(code) if code else None


def community_office(community: str) -> Organization | None:
    """The government organization at home in the community, else in its street."""
    chain = [community, *reversed(areacodes.ancestors_of(community))][:2]
    found = {
        o.area_id: o
        for o in Organization.objects.filter(
            kind=OrganizationKind.GOVERNMENT, active=True, area_id__in=chain
        ).order_by("code")
    }
    return next((found[code] for code in chain if code in found), None)


def decide(event_class: EventClass, community: str, component: Component | None) -> Decision:
    """The routing decision for a new request (not stored)."""
    if component is not None and component.maintainer_id is not None:
        maintainer = Organization.objects.filter(pk=component.maintainer_id, active=True).first()
        if maintainer is not None:
            return Decision(
                maintainer,
                RoutingRule.MAINTAINER,
                _("Maintainer of component %(id)s.") % {"id": component.identifier},
            )
    code = component_class_of(event_class, component)
    if code is not None:
        layer = Layer.objects.filter(kind="component", source=code).first()
        if layer is not None:
            steward = Stewardship.objects.effective_for(layer.pk, community, StewardRole.MAINTAIN)
            if steward is not None and steward.organization.active:
                return Decision(
                    steward.organization,
                    RoutingRule.STEWARD,
                    _("Steward of layer %(layer)s for area %(area)s.")
                    % {"layer": layer.code, "area": steward.area_id},
                )
    office = community_office(community)
    if office is not None:
        return Decision(
            office,
            RoutingRule.COMMUNITY_OFFICE,
            _("Community office of %(area)s (no maintainer or steward).") % {"area": community},
        )
    return Decision(None, RoutingRule.COMMUNITY_OFFICE, _("No office found for the community."))
