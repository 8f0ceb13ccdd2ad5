"""Deadlines of requests: reminders (催办) before a deadline and escalation (督办) up the
area hierarchy once it has passed (issue 19, item 5).

A request has two deadlines from its event class's SLA, both counted from submission in
calendar hours (not working hours): ``accept_due`` while it is not accepted, then
``resolve_due`` while it is not resolved. The deadline being watched is the first of them
still open; a request that is resolved, verified, closed, rejected or merged has none, so
nothing more is sent for it.

* Level 0, the reminder: once ``MATTERS_REMIND_AT`` (default 0.8) of the time from
  submission to the deadline has passed, the staff of the routed organization whose role
  handles requests and the community's workers (community and grid workers) covering the
  place are reminded.
* Level n >= 1, the escalation: once the deadline has passed, the administrators of the
  street (level 1), then, ``MATTERS_ESCALATE_EVERY_HOURS`` (default 24) later, of the
  district (level 2). Never further.

``run(now)`` sends whatever is due at ``now`` (the clock is a parameter, so a test or the
periodic job decides what "now" is). Each (request, deadline, level) is sent once: a row of
``DeadlineNotice`` under a unique constraint, written under the request's row lock in the
same transaction as the notification, the timeline entry (system actor) and the audit
event. A job that runs twice, or two jobs at once, send nothing twice."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from community.matters.models import (
    DeadlineNotice,
    ServiceRequest,
    State,
    TimelineEntry,
)
from community.notify import services as notify
from community.notify.texts import localized
from gis_app import areacodes, audit
from gis_app.models import AuditResult, Membership
from gis_app.roles import Role

log = logging.getLogger(__name__)

REMINDER = "matters.reminder"
ESCALATION = "matters.escalation"
SYSTEM = "system"  # the timeline's actor name for the job's entries

# States that stop the clock: the work is done or the request is no longer open.
STOPPED = (State.RESOLVED, State.VERIFIED, State.CLOSED, State.REJECTED, State.MERGED)
# Who is reminded: these roles in the routed organization, and the community's own
# workers whatever their organization; all of them only where their grant covers the place.
ROUTED_ROLES = (Role.MAINTAINER, Role.SURVEYOR, Role.COMMUNITY_WORKER, Role.GRID_WORKER)
AREA_ROLES = (Role.COMMUNITY_WORKER, Role.GRID_WORKER)
# Who is told at each escalation level (1: street, 2: district).
LEVEL_ROLES = {1: Role.STREET_ADMIN, 2: Role.DISTRICT_ADMIN}
TOP_LEVEL = max(LEVEL_ROLES)


def remind_at_share() -> float:
    """The share of the time to a deadline after which the reminder goes (setting
    ``MATTERS_REMIND_AT``, 0.8 by default)."""
    return float(getattr(settings, "MATTERS_REMIND_AT", 0.8))


def escalation_period() -> timedelta:
    """The time between escalation levels (setting ``MATTERS_ESCALATE_EVERY_HOURS``)."""
    return timedelta(hours=float(getattr(settings, "MATTERS_ESCALATE_EVERY_HOURS", 24)))


@dataclass(frozen=True)
class Deadline:
    stage: str  # "accept" or "resolve"
    due: datetime


def deadline(obj: ServiceRequest) -> Deadline | None:
    """The deadline being watched: accepting, then resolving; none once the request is
    resolved or no longer open."""
    if obj.state in STOPPED or obj.resolved_at is not None:
        return None
    if obj.accepted_at is None:
        return Deadline("accept", obj.accept_due)
    return Deadline("resolve", obj.resolve_due)


def overdue_hours(obj: ServiceRequest, now: datetime) -> float | None:
    """Hours since the missed deadline (one decimal), or None when the request is not
    overdue at ``now``."""
    found = deadline(obj)
    if found is None or found.due >= now:
        return None
    return round((now - found.due).total_seconds() / 3600, 1)


def overdue_q(now: datetime) -> Q:
    """The requests that are overdue at ``now`` (the same rule as ``overdue_hours``)."""
    open_ = ~Q(state__in=STOPPED) & Q(resolved_at__isnull=True)
    return open_ & (
        Q(accepted_at__isnull=True, accept_due__lt=now)
        | Q(accepted_at__isnull=False, resolve_due__lt=now)
    )


def due_level(obj: ServiceRequest, now: datetime) -> int | None:
    """The highest level due at ``now``: None (nothing yet), 0 (remind), 1.. (escalate)."""
    found = deadline(obj)
    if found is None:
        return None
    if now < found.due:
        remind = obj.created_at + (found.due - obj.created_at) * remind_at_share()
        return 0 if now >= remind else None
    late = (now - found.due) / escalation_period()
    return min(TOP_LEVEL, 1 + math.floor(late))


def _candidates(now: datetime) -> QuerySet[ServiceRequest]:
    """Requests that may have something due (the exact test is ``due_level``)."""
    share = remind_at_share()

    def remind(due: str) -> ExpressionWrapper:
        return ExpressionWrapper(
            F("created_at") + (F(due) - F("created_at")) * share, output_field=DateTimeField()
        )

    return (
        ServiceRequest.objects.exclude(state__in=STOPPED)
        .filter(resolved_at__isnull=True)
        .annotate(remind_accept=remind("accept_due"), remind_resolve=remind("resolve_due"))
        .filter(
            Q(accepted_at__isnull=True, remind_accept__lte=now)
            | Q(accepted_at__isnull=False, remind_resolve__lte=now)
        )
        .order_by("id")
    )


def _covering(obj: ServiceRequest) -> Q:
    """Memberships whose scope covers the request's place."""
    chain = [*areacodes.ancestors_of(obj.community_id), obj.community_id]
    return Q(area_id__in=chain) & (Q(grid_cell__isnull=True) | Q(grid_cell_id=obj.grid_cell_id))


def recipients(obj: ServiceRequest, level: int) -> list[AuthUser]:
    """Who is told at ``level`` (module docstring), active accounts only."""
    members = Membership.objects.filter(_covering(obj), active=True)
    if level == 0:
        members = members.filter(
            Q(organization_id=obj.organization_id, role__in=ROUTED_ROLES) | Q(role__in=AREA_ROLES)
        )
    else:
        members = members.filter(role=LEVEL_ROLES[level])
    users = (
        get_user_model()
        .objects.filter(is_active=True, pk__in=members.values("user_id"))
        .order_by("pk")
    )
    return list(users)


def _texts(obj: ServiceRequest, stage: Deadline, level: int, now: datetime) -> tuple:
    due = stage.due.strftime("%Y-%m-%d %H:%M UTC")
    step = _("accepted") if stage.stage == "accept" else _("resolved")
    if level == 0:
        title = localized(_("Reminder: request %(id)s is due soon"), id=obj.pk)
        body = localized(
            _("Request %(id)s (class %(code)s) must be %(step)s by %(due)s."),
            id=obj.pk,
            code=obj.event_class.code,
            step=step,
            due=due,
        )
    else:
        hours = overdue_hours(obj, now) or 0
        title = localized(_("Supervision: request %(id)s is overdue"), id=obj.pk)
        body = localized(
            _(
                "Request %(id)s (class %(code)s) should have been %(step)s by %(due)s; it is "
                "%(hours)s hours overdue. Escalation level %(level)s."
            ),
            id=obj.pk,
            code=obj.event_class.code,
            step=step,
            due=due,
            hours=hours,
            level=level,
        )
    return title, body


def _send(pk: int, now: datetime) -> list[int]:
    """Send what is due for request ``pk`` at ``now``, each level once; the levels sent."""
    sent: list[int] = []
    with transaction.atomic():
        obj = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("event_class")
            .get(pk=pk)
        )
        stage = deadline(obj)
        top = due_level(obj, now)
        if stage is None or top is None:
            return sent
        levels = [0] if top == 0 else list(range(1, top + 1))
        done = set(
            DeadlineNotice.objects.filter(request=obj, stage=stage.stage).values_list(
                "level", flat=True
            )
        )
        for level in levels:
            if level in done:
                continue
            people = recipients(obj, level)
            DeadlineNotice.objects.create(
                request=obj,
                stage=stage.stage,
                level=level,
                due=stage.due,
                sent_at=now,
                recipients=len(people),
            )
            title, body = _texts(obj, stage, level, now)
            notify.send(
                people,
                REMINDER if level == 0 else ESCALATION,
                title,
                body,
                link=f"/api/v1/requests/{obj.pk}/",
            )
            _record(obj, stage, level, people, now)
            sent.append(level)
        if sent and max(sent) > obj.escalation_level:
            ServiceRequest.objects.filter(pk=obj.pk).update(escalation_level=max(sent))
    return sent


def _record(
    obj: ServiceRequest, stage: Deadline, level: int, people: list[AuthUser], now: datetime
) -> None:
    """The timeline entry (system actor; the request's version is not changed, so nobody's
    pending step turns stale) and the audit event."""
    action = "remind" if level == 0 else "escalate"
    told = {0: "community", 1: "street", 2: "district"}[level]
    area = obj.community_id[: areacodes.LEVEL_CODE_LENGTH[told]]
    changes = {
        "level": level,
        "stage": stage.stage,
        "due": stage.due.isoformat(),
        "area": area,
        "recipients": len(people),
    }
    TimelineEntry.objects.create(
        request=obj,
        version=obj.version,
        action=action,
        from_state=obj.state,
        to_state=obj.state,
        actor=None,
        actor_username=SYSTEM,
        changes=changes,
    )
    audit.record(
        f"request.{action}",
        actor=None,
        object_type="matters.servicerequest",
        object_id=str(obj.pk),
        result=AuditResult.SUCCESS,
        detail={**changes, "at": now.isoformat()},
    )


def run(now: datetime) -> dict[str, int]:
    """Send the reminders and escalations due at ``now``; counts of what was sent. One
    transaction per request: a failure leaves the others sent and is retried next run."""
    counts = {"reminders": 0, "escalations": 0}
    failed: list[int] = []
    for pk in list(_candidates(now).values_list("pk", flat=True)):
        try:
            sent = _send(pk, now)
        except Exception:  # one broken request must not hold back the others
            log.exception("deadline notices of request %s failed", pk)
            failed.append(pk)
            continue
        counts["reminders"] += sent.count(0)
        counts["escalations"] += len(sent) - sent.count(0)
    if failed:  # the job fails visibly (procrastinate records it); the rest was sent
        raise RuntimeError(f"deadline notices failed for requests {failed[:20]}")
    return counts
