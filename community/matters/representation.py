"""Requests as JSON. The reporter's contact is masked in every answer except a request's
detail for a user cleared to see personal data there (``VIEW_PERSONAL`` over its place;
the unmasking is audited by the caller). Public and reporter views name no staff."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from community.matters import deadlines, privacy
from community.matters.models import (
    EventClass,
    RoutingDecision,
    ServiceRequest,
    TimelineEntry,
)
from gis_app import access
from gis_app.roles import Action
from gis_app.types import User


def cleared(user: User, obj: ServiceRequest) -> bool:
    """May ``user`` see the reporter's contact of ``obj`` (a handling role of its area)?"""
    if access.is_superuser(user):
        return True
    return any(
        g.allows(Action.VIEW_PERSONAL) and g.covers_place(obj.community_id, obj.grid_cell_id)
        for g in access.grants(user)
    )


def staff(user: User, obj: ServiceRequest, action: Action = Action.VIEW) -> bool:
    """Does ``user`` see ``obj`` through a grant (not only as a public request)? With
    ``action``: through a grant that also allows it (CHANGE: to add photos)."""
    if access.is_superuser(user):
        return True
    policy = access.policy_for(ServiceRequest)
    return any(
        g.allows(action) and policy.in_scope(g, Action.VIEW, obj) for g in access.grants(user)
    )


def overdue(obj: ServiceRequest) -> bool:
    return deadlines.overdue_hours(obj, timezone.now()) is not None


def event_class_json(obj: EventClass) -> dict[str, Any]:
    return {
        "code": obj.code,
        "major": obj.major,
        "name_zh": obj.name_zh,
        "name_en": obj.name_en,
        "kind": obj.kind,
        "sla_accept_hours": obj.sla_accept_hours,
        "sla_resolve_hours": obj.sla_resolve_hours,
        "routing": obj.routing,
        "public": obj.public,
        "attribute_schema": obj.attribute_schema,
        "guide": obj.guide,
        "component_class": obj.component_class_id,
        "flow": obj.flow.code if obj.flow is not None else None,
        "selectable": obj.selectable,
        "active": obj.active,
        "version": obj.version,
    }


def masked_contact(obj: ServiceRequest) -> dict[str, str]:
    return {"name": obj.contact_name_masked, "phone": obj.contact_phone_masked}


def summary(obj: ServiceRequest) -> dict[str, Any]:
    """What anyone may see of a request they see: no text of the reporter's beyond the
    description, the contact masked."""
    return {
        "id": obj.pk,
        "class": obj.event_class_id and obj.event_class.code,
        "class_name": {"zh": obj.event_class.name_zh, "en": obj.event_class.name_en},
        "state": obj.state,
        "place": {"type": "Point", "coordinates": [obj.place.x, obj.place.y]},
        "community": obj.community_id,
        "text": obj.text,
        "source": obj.source,
        "created_at": obj.created_at.isoformat(),
        **_deadline_json(obj),
        "version": obj.version,
        "contact": masked_contact(obj),
    }


def _deadline_json(obj: ServiceRequest) -> dict[str, Any]:
    """Is the request overdue, by how many hours, and how far up it was escalated (督办)."""
    hours = deadlines.overdue_hours(obj, timezone.now())
    return {
        "overdue": hours is not None,
        "overdue_by_hours": hours,
        "escalation_level": obj.escalation_level,
    }


def staff_summary(obj: ServiceRequest) -> dict[str, Any]:
    result = summary(obj)
    result.update(
        {
            "tracking_code": obj.tracking_code,
            "grid_cell": obj.grid_cell_id,
            "organization": _organization(obj),
            "component": obj.component.identifier if obj.component is not None else None,
            "attributes": obj.attributes,
            "accept_due": obj.accept_due.isoformat(),
            "resolve_due": obj.resolve_due.isoformat(),
            "merged_into": obj.merged_into_id,
            "rating": obj.rating,
        }
    )
    return result


def _organization(obj: ServiceRequest) -> dict[str, str] | None:
    org = obj.organization
    return None if org is None else {"code": org.code, "name": org.name, "name_en": org.name_en}


def _anonymous_actor(entry: TimelineEntry) -> str:
    if entry.by_reporter:
        return "reporter"
    return deadlines.SYSTEM if _by_system(entry) else "staff"


def _by_system(entry: TimelineEntry) -> bool:
    return entry.actor_id is None and entry.actor_username == deadlines.SYSTEM


def timeline_json(entry: TimelineEntry, named: bool) -> dict[str, Any]:
    return {
        "action": entry.action,
        "from": entry.from_state,
        "to": entry.to_state,
        "time": entry.time.isoformat(),
        "by": entry.actor_username if named else _anonymous_actor(entry),
        "note": entry.note,
        "photos": entry.photos,
        "version": entry.version,
        **({"level": entry.changes.get("level")} if entry.action in DEADLINE_ACTIONS else {}),
    }


DEADLINE_ACTIONS = ("remind", "escalate")


def routing_json(decision: RoutingDecision) -> dict[str, Any]:
    return {
        "organization": decision.organization.code,
        "organization_name": decision.organization.name,
        "rule": decision.rule,
        "reason": decision.reason,
        "by": decision.by.get_username() if decision.by is not None else None,
        "time": decision.time.isoformat(),
    }


def detail(obj: ServiceRequest, user: User, *, unmasked: privacy.Contact | None = None) -> dict:
    """A request as ``user`` sees it: staff get the full record, the timeline with names and
    the routing decisions; others the public summary and an anonymous timeline.
    ``unmasked``: the contact, for a cleared user (the caller audits it)."""
    is_staff = staff(user, obj)
    result = staff_summary(obj) if is_staff else summary(obj)
    entries = obj.timeline.select_related("actor").order_by("version", "id")
    result["timeline"] = [timeline_json(e, is_staff) for e in entries]
    if is_staff:
        decisions = obj.routing.select_related("organization", "by")
        result["routing"] = [routing_json(d) for d in decisions]
    if unmasked is not None:
        result["contact"] = {
            "name": unmasked.name,
            "phone": unmasked.phone,
            "email": unmasked.email,
        }
    return result


def tracked(obj: ServiceRequest) -> dict[str, Any]:
    """What the reporter sees by tracking code: the summary, the anonymous timeline and,
    for a merged request, the request it follows now."""
    result = summary(obj)
    result["tracking_code"] = obj.tracking_code
    result["rating"] = obj.rating
    result["timeline"] = [timeline_json(e, False) for e in obj.timeline.order_by("version", "id")]
    if obj.merged_into_id:
        target = obj.merged_into
        assert target is not None  # noqa: S101
        result["merged_into"] = {"state": target.state, "overdue": overdue(target)}
        result["merged_into"]["timeline"] = [
            timeline_json(e, False) for e in target.timeline.order_by("version", "id")
        ]
    return result
