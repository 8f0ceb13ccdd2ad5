"""Service requests: submit, route, take a step of the flow, reroute, rate. Typed and
transactional; every change goes through the shared edit module (``gis_app.editing``:
version check with 409 and the current state, history = the request's timeline, audit)."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft202012Validator

from community.matters import duplicates, flows, privacy, representation, routing
from community.matters.inputs import Submission
from community.matters.models import (
    FINAL_STATES,
    EventClass,
    Flow,
    RoutingDecision,
    RoutingRule,
    ServiceRequest,
    Source,
    State,
    TimelineEntry,
)
from component_catalog import nearest
from component_catalog import sql as component_sql
from component_catalog.models import Component
from gis_app import access, audit, editing, schema_messages
from gis_app.editing import Claim, EditContext, Entry
from gis_app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gis_app.models import AuditResult, Organization
from gis_app.roles import Action
from gis_app.types import User

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone


def new_tracking_code() -> str:
    """16 random characters of 32 (80 bits) in groups of four: unguessable."""
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class RequestEditable(editing.Editable[ServiceRequest]):
    object_type = "matters.servicerequest"
    name = "request"
    stale_text = gettext_lazy(
        "Request %(id)s was changed by someone else: it is now at version %(v)d."
    )

    def queryset(self) -> Any:
        return ServiceRequest.objects.select_related(
            "event_class", "event_class__flow", "organization", "component", "merged_into"
        )

    def snapshot(self, obj: ServiceRequest) -> dict[str, Any]:
        return {
            "state": obj.state,
            "organization": obj.organization_id,
            "merged_into": obj.merged_into_id,
            "rating": obj.rating,
        }

    def current(self, obj: ServiceRequest, user: User) -> dict[str, Any]:
        return representation.detail(obj, user)

    def note(self, ctx: EditContext) -> str:
        return (ctx.comment or "").strip()[: editing.COMMENT_LENGTH * 4]

    def history(self, obj: ServiceRequest, entry: Entry) -> TimelineEntry:
        before, after = entry.changes.get("state", [None, obj.state])
        return TimelineEntry(
            request=obj,
            version=entry.version,
            action=getattr(obj, "_action", "submit") if entry.action == "create" else entry.action,
            from_state=before or "",
            to_state=after or obj.state,
            actor=entry.actor,
            actor_username=entry.actor_username,
            by_reporter=getattr(obj, "_by_reporter", False),
            note=str(entry.note or ""),
            changes={k: v for k, v in entry.changes.items() if k != "state"},
        )

    def audit_detail(self, verb: str, obj: ServiceRequest, entry: Entry) -> dict[str, Any]:
        return {"version": entry.version, "state": obj.state, "class": obj.event_class.code}


REQUESTS = RequestEditable()


# --- submit --------------------------------------------------------------------------------


@dataclass
class Submitted:
    request: ServiceRequest
    replayed: bool = False
    # open requests of the class near it that the submitter sees: "already reported"
    duplicates: list[duplicates.Candidate] = field(default_factory=list)


def _event_class(code: str) -> EventClass:
    found = (
        EventClass.objects.select_related("flow")
        .filter(code=code, active=True, selectable=True)
        .first()
    )
    if found is None:
        raise InvalidInput(
            _("class %(code)s is not an event class one can report.") % {"code": code},
            field="class",
        )
    return found


def _check_attributes(klass: EventClass, attributes: dict[str, Any]) -> None:
    validator = Draft202012Validator(klass.attribute_schema or {"type": "object"})
    errors = sorted(validator.iter_errors(attributes), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = ".".join(str(p) for p in first.absolute_path)
        name = "attributes" + (f".{path}" if path else "")
        raise InvalidInput(
            _("%(field)s: %(reason)s (class %(code)s)")
            % {"field": name, "reason": schema_messages.explain(first), "code": klass.code},
            field=name,
        )


def _component(user: User, identifier: str | None) -> Component | None:
    if identifier is None:
        return None
    try:
        return access.get_visible(user, Component.objects.all(), identifier=identifier)
    except NotFound:
        raise InvalidInput(
            _("component %(id)s is not a component you can see.") % {"id": identifier},
            field="component",
        ) from None


def _flow(klass: EventClass) -> dict[str, Any]:
    if klass.flow_id is not None:
        assert klass.flow is not None  # noqa: S101
        return dict(klass.flow.definition)
    from community.matters.catalog import STANDARD_FLOW_OF_KIND

    found = Flow.objects.filter(code=STANDARD_FLOW_OF_KIND.get(klass.kind, "standard")).first()
    return dict(found.definition) if found is not None else flows.STANDARD


def submit(ctx: EditContext, data: Submission, *, source_checked: bool = False) -> Submitted:
    """Store a new request in the ``submitted`` state, routed (decision recorded), with its
    first timeline entry; idempotent by ``ctx.claim``: the same key and body answer the first
    request again, the same key with another body is refused (409 naming the key).
    ``source_checked``: the caller vouched for ``data.source`` (Open311: a known api_key)."""
    klass = _event_class(data.event_class)
    _check_attributes(klass, data.attributes)
    component = _component(ctx.user, data.component)
    staff_source = data.source != "resident_web" and not source_checked
    if staff_source and not access.can_anywhere(ctx.user, Action.CREATE):
        raise InvalidInput(
            _("source %(source)s is for staff entries; residents report as resident_web.")
            % {"source": data.source},
            field="source",
        )

    def run() -> Submitted:
        return Submitted(_create(ctx, klass, component, data))

    done = editing.once(ctx, lambda: _recall(ctx), run)
    done.duplicates = duplicates.nearby(ctx.user, klass.code, done.request.place, done.request.pk)
    return done


def _recall(ctx: EditContext) -> Submitted | None:
    """The request made earlier with ``ctx.claim``'s key (a retry), or None."""
    claim = ctx.claim
    assert claim is not None  # noqa: S101
    found = REQUESTS.queryset().filter(idempotency_key=claim.key).first()
    if found is None:
        return None
    if found.request_sha256 != claim.request_sha256:
        raise Conflict(
            _("Idempotency-Key was already used for another submission."),
            field="Idempotency-Key",
        )
    return Submitted(found, replayed=True)


def follow(ctx: EditContext, pk: int, contact: privacy.Contact, note: str) -> Submitted:
    """Follow the open request ``pk`` (one the caller sees) instead of reporting it again:
    a new request in the ``merged`` state that follows it (``duplicates`` describes
    followers), with its own tracking code and the follower's contact sealed under it.
    A request merged meanwhile is followed at the end of its chain; a closed or rejected
    one answers 409 (report it anew). Idempotent by ``ctx.claim`` like ``submit``."""
    found = find(ctx, "follow", pk, None)
    target = duplicates.followed(found) or found
    if target.state in FINAL_STATES:
        raise Conflict(
            _("The request is %(state)s: it cannot be followed; report it anew.")
            % {"state": target.state},
            field="id",
        )

    def run() -> Submitted:
        code = new_tracking_code()
        claim: Claim | None = ctx.claim
        obj = ServiceRequest(
            tracking_code=code,
            event_class=target.event_class,
            place=target.place,
            component=target.component,
            text=note,
            contact_sealed=privacy.seal(contact, code),
            contact_name_masked=privacy.mask_name(contact.name),
            contact_phone_masked=privacy.mask_phone(contact.phone),
            source=Source.RESIDENT_WEB,
            state=State.MERGED,
            community_id=target.community_id,
            grid_cell_id=target.grid_cell_id,
            organization=target.organization,
            accept_due=target.accept_due,
            resolve_due=target.resolve_due,
            merged_into=target,
            idempotency_key=claim.key if claim else "",
            request_sha256=claim.request_sha256 if claim else "",
        )
        obj._by_reporter = not ctx.user.is_authenticated  # type: ignore[attr-defined]
        obj._action = "follow"  # type: ignore[attr-defined]
        editing.create(ctx, REQUESTS, obj)
        return Submitted(obj)

    return editing.once(ctx, lambda: _recall(ctx), run)


def _create(
    ctx: EditContext, klass: EventClass, component: Component | None, data: Submission
) -> ServiceRequest:
    ((community, grid),) = component_sql.locate_many([bytes(data.place.wkb)])
    if community is None:
        raise InvalidInput(_("place lies outside every community of the platform."), field="place")
    decision = routing.decide(klass, community, component)
    now = timezone.now()
    code = new_tracking_code()
    claim: Claim | None = ctx.claim
    obj = ServiceRequest(
        tracking_code=code,
        event_class=klass,
        place=data.place,
        component=component,
        text=data.text,
        attributes=data.attributes,
        contact_sealed=privacy.seal(data.contact, code),
        contact_name_masked=privacy.mask_name(data.contact.name),
        contact_phone_masked=privacy.mask_phone(data.contact.phone),
        source=data.source,
        state=_flow(klass).get("initial", State.SUBMITTED),
        community_id=community,
        grid_cell_id=grid,
        organization=decision.organization,
        accept_due=now + timedelta(hours=klass.sla_accept_hours),
        resolve_due=now + timedelta(hours=klass.sla_resolve_hours),
        idempotency_key=claim.key if claim else "",
        request_sha256=claim.request_sha256 if claim else "",
    )
    obj._by_reporter = not ctx.user.is_authenticated  # type: ignore[attr-defined]
    with transaction.atomic():
        editing.create(ctx, REQUESTS, obj)
        if decision.organization is not None:
            RoutingDecision.objects.create(
                request=obj,
                organization=decision.organization,
                rule=decision.rule,
                reason=decision.reason,
                by=None,
            )
    return obj


SUGGEST_WITHIN_M = 30.0


def suggest_component(user: User, code: str, place: Any) -> nearest.Nearby | None:
    """The nearest in-use component of the class's component class within 30 m of
    ``place`` that ``user`` sees: what a report form offers to pre-fill (the reporter
    confirms it; nothing is linked without them)."""
    klass = _event_class(code)
    component_class = routing.component_class_of(klass, None)
    if component_class is None:
        return None
    found = nearest.nearest(user, place, [component_class], 1)
    if not found or found[0].distance_m > SUGGEST_WITHIN_M:
        return None
    return found[0]


# --- the flow ------------------------------------------------------------------------------


def _takes(user: User, token: str, obj: ServiceRequest, reporter: bool) -> bool:
    if token == "reporter":  # noqa: S105 (a taker, not a secret)
        return reporter
    if reporter:
        return False  # the tracking code is not a staff grant
    kind, _sep, role = token.partition(":")
    for g in access.grants(user):
        if g.role != role or not g.covers_place(obj.community_id, obj.grid_cell_id):
            continue
        if kind == "area" or (kind == "routed" and g.organization_id == obj.organization_id):
            return True
    return False


def may_take(user: User, step: dict[str, Any], obj: ServiceRequest, reporter: bool) -> bool:
    """May ``user`` (or the holder of the tracking code: ``reporter``) take ``step``?"""
    tokens = step.get("by") or []
    if access.is_superuser(user) and not reporter:
        return any(t != "reporter" for t in tokens)
    return any(_takes(user, t, obj, reporter) for t in tokens)


def actions_for(user: User, obj: ServiceRequest, reporter: bool = False) -> list[str]:
    """The steps ``user`` may take on ``obj`` now (what a page offers)."""
    return [
        t["action"]
        for t in _flow(obj.event_class)["transitions"]
        if obj.state in t["from"] and may_take(user, t, obj, reporter)
    ]


def _step(obj: ServiceRequest, action: str) -> dict[str, Any]:
    for t in _flow(obj.event_class)["transitions"]:
        if t["action"] == action:
            return dict(t)
    raise InvalidInput(
        _("action %(action)s is not a step of this request's flow.") % {"action": action},
        field="action",
    )


def find(ctx: EditContext, verb: str, pk: int | None, tracking_code: str | None) -> ServiceRequest:
    """The request the caller sees (by id) or holds the code of; an audited 404 else."""
    try:
        if tracking_code is not None:
            return REQUESTS.queryset().get(tracking_code=tracking_code)
        return access.get_visible(ctx.user, REQUESTS.queryset(), pk=pk)
    except (NotFound, ServiceRequest.DoesNotExist):
        raise editing.deny(ctx, REQUESTS, verb, NotFound(), str(pk or "")) from None


def transition(
    ctx: EditContext,
    action: str,
    version: int | None,
    *,
    pk: int | None = None,
    tracking_code: str | None = None,
    merge_into: int | None = None,
) -> ServiceRequest:
    """Take the step ``action`` of the request's flow from ``version``: 404 when the caller
    does not see it, 403 when the step is not theirs, 409 (with the current state) when the
    request moved on meanwhile. The reporter acts by ``tracking_code``."""
    reporter = tracking_code is not None
    obj = find(ctx, action, pk, tracking_code)
    step = _step(obj, action)
    if not may_take(ctx.user, step, obj, reporter):
        raise editing.deny(ctx, REQUESTS, action, PermissionDenied(), str(obj.pk))
    editing.require_version(version)
    note = (ctx.comment or "").strip()
    if step.get("note") == "required" and not note:
        raise InvalidInput(_("note is required for %(action)s.") % {"action": action}, field="note")
    days = step.get("within_days")
    closed = obj.closed_at
    if days and closed is not None and timezone.now() - closed > timedelta(days=days):
        raise editing.deny(
            ctx,
            REQUESTS,
            action,
            PermissionDenied(
                _("A request can be reopened within %(days)s days of closing.") % {"days": days}
            ),
            str(obj.pk),
        )
    with transaction.atomic():
        locked = editing.lock(REQUESTS, pk=obj.pk)
        editing.check_version(ctx, REQUESTS, locked, version)
        if locked.state not in step["from"]:
            raise Conflict(
                _("The request is %(state)s: %(action)s is not possible now.")
                % {"state": locked.state, "action": action},
                field="action",
                current=REQUESTS.current(locked, ctx.user),
            )
        now = timezone.now()
        new = copy.copy(locked)
        new.state = step["to"]
        if step.get("merge"):
            new.merged_into = _merge_target(ctx, locked, merge_into)
        if new.state == State.ACCEPTED and new.accepted_at is None:
            new.accepted_at = now
        if new.state == State.RESOLVED:
            new.resolved_at = now
        if new.state == State.CLOSED:
            new.closed_at = now
        if new.state == State.REOPENED:
            new.resolved_at = None
            new.closed_at = None
        new._by_reporter = reporter  # type: ignore[attr-defined]
        entry = editing.write(ctx, REQUESTS, locked, new, version, note, action)
        REQUESTS.history(new, entry).save()
        editing.recorded(ctx, REQUESTS, action, new, entry)
    return new


def _merge_target(ctx: EditContext, obj: ServiceRequest, target: int | None) -> ServiceRequest:
    if target is None:
        raise InvalidInput(_("merge_into is required: the request it repeats."), field="merge_into")
    try:
        found = access.get_visible(ctx.user, ServiceRequest.objects.all(), pk=target)
    except NotFound:
        raise InvalidInput(
            _("merge_into is not a request you can see."), field="merge_into"
        ) from None
    if found.pk == obj.pk or found.state in FINAL_STATES:
        raise InvalidInput(
            _("merge_into must be another request that is still open."), field="merge_into"
        )
    return found


def reroute(
    ctx: EditContext, pk: int, organization_code: str, version: int | None
) -> ServiceRequest:
    """A dispatcher (who may dispatch the request) routes it to another organization; the
    decision is recorded with the dispatcher's reason (the context's comment)."""
    obj = find(ctx, "reroute", pk, None)
    dispatch = next(
        (t for t in _flow(obj.event_class)["transitions"] if t["action"] == "dispatch"),
        {"by": flows.DESK},
    )
    if not may_take(ctx.user, dispatch, obj, False):
        raise editing.deny(ctx, REQUESTS, "reroute", PermissionDenied(), str(obj.pk))
    reason = editing.require_comment(ctx, _("A reason is required to reroute a request."))
    organization = Organization.objects.filter(code=organization_code, active=True).first()
    if organization is None:
        raise InvalidInput(_("organization is not an active organization."), field="organization")
    editing.require_version(version)
    with transaction.atomic():
        locked = editing.lock(REQUESTS, pk=obj.pk)
        if locked.state in FINAL_STATES:
            raise Conflict(
                _("The request is %(state)s: it cannot be rerouted.") % {"state": locked.state},
                field="action",
                current=REQUESTS.current(locked, ctx.user),
            )
        new = copy.copy(locked)
        new.organization = organization
        entry = editing.write(ctx, REQUESTS, locked, new, version, reason, "reroute")
        REQUESTS.history(new, entry).save()
        RoutingDecision.objects.create(
            request=new,
            organization=organization,
            rule=RoutingRule.DISPATCHER,
            reason=reason[:300],
            by=ctx.actor,
        )
        editing.recorded(ctx, REQUESTS, "reroute", new, entry)
    return new


def rate(ctx: EditContext, tracking_code: str, rating: Any, version: int | None) -> ServiceRequest:
    """The reporter rates a closed request once, 1 (very dissatisfied) to 5 (very
    satisfied)."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput(_("rating must be a whole number from 1 to 5."), field="rating")
    obj = find(ctx, "rate", None, tracking_code)
    editing.require_version(version)
    with transaction.atomic():
        locked = editing.lock(REQUESTS, pk=obj.pk)
        editing.check_version(ctx, REQUESTS, locked, version)
        if locked.state != State.CLOSED or locked.rating is not None:
            raise Conflict(
                _("Only a closed request can be rated, once."),
                field="rating",
                current=representation.tracked(locked),
            )
        new = copy.copy(locked)
        new.rating = rating
        new._by_reporter = True  # type: ignore[attr-defined]
        entry = editing.write(ctx, REQUESTS, locked, new, version, ctx.comment.strip(), "rate")
        REQUESTS.history(new, entry).save()
        editing.recorded(ctx, REQUESTS, "rate", new, entry)
    return new


def contact_for(ctx: EditContext, obj: ServiceRequest, reason: str) -> privacy.Contact:
    """The reporter's contact, unmasked for a handling role of the request's area (grant
    with ``VIEW_PERSONAL`` over its place) who gives a reason; audited with it. Others get
    an audited 403."""
    if not representation.cleared(ctx.user, obj):
        raise editing.deny(ctx, REQUESTS, "contact_view", PermissionDenied(), str(obj.pk))
    audit.record(
        "request.contact_view",
        actor=ctx.user,
        object_type=REQUESTS.object_type,
        object_id=str(obj.pk),
        result=AuditResult.SUCCESS,
        address=ctx.address,
        detail={"reason": reason},
    )
    return privacy.unseal(obj.contact_sealed, obj.tracking_code)


__all__ = [
    "REQUESTS",
    "Submitted",
    "actions_for",
    "contact_for",
    "follow",
    "may_take",
    "rate",
    "reroute",
    "submit",
    "transition",
]
