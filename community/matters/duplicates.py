"""Duplicate reports (issue 19, item 6): open requests of the same event class within
50 m reported in the last 14 days are offered before and after a submission ("already
reported: follow it instead"); a resident follows one (``services.follow``) and staff merge
a new one into an existing one (the flow's ``merge`` step).

A follower and a merged request are the same thing: a request in the ``merged`` state
whose ``merged_into`` points at the request it follows, with its own tracking code and
its reporter's contact sealed under it. Whoever holds that code sees the state of the
request at the end of the ``merged_into`` chain (a target merged later into another is
followed through), and that request's tracking page counts the ones that follow it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.translation import gettext as _

from community.matters import privacy, representation, sql
from community.matters.models import FINAL_STATES, EventClass, ServiceRequest
from gis_app import access
from gis_app.errors import InvalidInput
from gis_app.types import User

WITHIN_M = 50.0
WITHIN_DAYS = 14
LIMIT = 10
MAX_CHAIN = 20  # merged_into hops followed at most (a chain is built one merge at a time)

# Digit runs that look like telephone numbers in a reporter's free text
PHONE_IN_TEXT = re.compile(r"(?<![0-9])\+?[0-9][0-9 -]{5,18}[0-9](?![0-9])")


@dataclass
class Candidate:
    request: ServiceRequest
    distance_m: float


def _event_class(user: User, code: str) -> EventClass:
    found = access.visible(user, EventClass.objects.all()).filter(code=code).first()
    if found is None:
        raise InvalidInput(
            _("class %(code)s is not an event class one can report.") % {"code": code},
            field="class",
        )
    return found


def nearby(user: User, code: str, place: Point, exclude: int | None = None) -> list[Candidate]:
    """The open requests of class ``code`` (not closed, rejected or merged) created in the
    last 14 days within 50 geodesic metres of ``place`` (CGCS2000) that ``user`` sees
    (the access module decides: an anonymous caller never learns of a hidden request),
    nearest first; ``exclude``: the caller's own new request."""
    klass = _event_class(user, code)
    found = sql.open_near(
        klass.pk,
        bytes(place.ewkb),
        place.y,
        WITHIN_M,
        timezone.now() - timedelta(days=WITHIN_DAYS),
        [str(s) for s in FINAL_STATES],
        exclude=exclude,
        limit=LIMIT * 3,
    )
    distances = dict(found)
    rows = access.visible(
        user,
        ServiceRequest.objects.select_related("event_class", "organization", "component"),
    ).filter(pk__in=list(distances))
    candidates = [Candidate(r, distances[r.pk]) for r in rows]
    candidates.sort(key=lambda c: (c.distance_m, c.request.pk))
    return candidates[:LIMIT]


def mask_text(text: str) -> str:
    """The reporter's text with telephone-like numbers masked (138****5678)."""
    return PHONE_IN_TEXT.sub(lambda m: privacy.mask_phone(re.sub(r"[ -]", "", m.group())), text)


def candidate_json(user: User, candidate: Candidate) -> dict[str, Any]:
    """A candidate as offered: no contact at all, the text masked; the tracking code (a
    capability: it reopens and rates) only for staff who see the request through a grant;
    others follow it by its id."""
    obj = candidate.request
    age = timezone.now() - obj.created_at
    result: dict[str, Any] = {
        "id": obj.pk,
        "class": obj.event_class.code,
        "class_name": {"zh": obj.event_class.name_zh, "en": obj.event_class.name_en},
        "state": obj.state,
        "distance_m": round(candidate.distance_m, 1),
        "created_at": obj.created_at.isoformat(),
        "age_days": round(age.total_seconds() / 86400, 1),
        "text": mask_text(obj.text)[:200],
        "followers": len(followers_of(obj)),
        "overdue": representation.overdue(obj),
        "follow_url": f"/api/v1/requests/{obj.pk}/follow/",
    }
    if representation.staff(user, obj):
        result["tracking_code"] = obj.tracking_code
    return result


def followed(obj: ServiceRequest) -> ServiceRequest | None:
    """The request ``obj`` follows now: the end of its ``merged_into`` chain (None when
    it follows none)."""
    target = obj.merged_into
    for _hop in range(MAX_CHAIN):
        if target is None or target.merged_into_id is None:
            break
        target = target.merged_into
    return target


def followers_of(obj: ServiceRequest) -> list[ServiceRequest]:
    """The requests that follow ``obj``: merged into it or, through later merges, into
    one of them; oldest first."""
    found: list[ServiceRequest] = []
    level = [obj.pk]
    for _hop in range(MAX_CHAIN):
        rows = list(ServiceRequest.objects.filter(merged_into_id__in=level).order_by("id"))
        if not rows:
            break
        found.extend(rows)
        level = [r.pk for r in rows]
    found.sort(key=lambda r: (r.created_at, r.pk))
    return found


def tracking_extra(obj: ServiceRequest) -> dict[str, Any]:
    """What the tracking page adds: for a merged request (or a follower), the state and
    anonymous timeline of the request it follows at the end of the chain; for any request,
    the ones that follow it (when, and whether by following or by a staff merge; no
    contact, no text, no code)."""
    result: dict[str, Any] = {}
    target = followed(obj)
    if target is not None:
        result["merged_into"] = {
            "state": target.state,
            "overdue": representation.overdue(target),
            "class": target.event_class.code,
            "created_at": target.created_at.isoformat(),
            "timeline": [
                representation.timeline_json(e, False)
                for e in target.timeline.order_by("version", "id")
            ],
        }
    merged = followers_of(obj)
    result["followers"] = len(merged)
    result["merged"] = [_follower_json(r) for r in merged]
    return result


def _follower_json(obj: ServiceRequest) -> dict[str, Any]:
    first = obj.timeline.order_by("version", "id").first()
    return {
        "created_at": obj.created_at.isoformat(),
        "how": "follow" if first is not None and first.action == "follow" else "merge",
    }
