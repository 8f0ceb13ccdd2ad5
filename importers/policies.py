"""Who sees which import jobs.

* The importing user always sees their own jobs (``own_q``; that is a property of the user,
  not of a grant, so ``visible_jobs`` adds it to what ``gis_app.access`` answers).
* A grant that allows ``MANAGE`` (street, district and city admins, system admins) sees
  the jobs of every user who has a membership (active or not) whose area lies inside the
  grant's area subtree (a membership scoped to a grid cell lies in the cell's community).
  A job of a user without any membership is seen by its user and by superusers only.
* Nothing else: jobs are never public, and surveyors do not see each other's jobs.

Deliberately simple: the rows a job loaded are access-checked row by row by the pipeline;
this policy only decides who may read a job's report and rejected rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gis_app import access
from gis_app.access import AccessPolicy, Action, Grant
from gis_app.errors import NotFound
from gis_app.models import Membership
from gis_app.types import User
from importers.models import ImportJob


def _memberships_in(grant: Grant) -> QuerySet[Membership]:
    return Membership.objects.filter(area__code__startswith=grant.area_prefix)


class ImportJobPolicy(AccessPolicy):
    def scope_q(self, grant: Grant, action: Action) -> Q:
        if action != Action.VIEW or not grant.allows(Action.MANAGE):
            return Q(pk__in=[])
        return Q(user_id__in=_memberships_in(grant).values("user_id"))

    def in_scope(self, grant: Grant, action: Action, obj: Any) -> bool:
        if action != Action.VIEW or not grant.allows(Action.MANAGE) or obj.user_id is None:
            return False
        return _memberships_in(grant).filter(user_id=obj.user_id).exists()


def own_q(user: User) -> Q:
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    return Q(user_id=user.pk)


def visible_jobs(user: User, queryset: QuerySet[ImportJob] | None = None) -> QuerySet[ImportJob]:
    """The jobs ``user`` may see: their own, plus what their grants allow."""
    queryset = ImportJob.objects.all() if queryset is None else queryset
    if user is None or not user.is_authenticated:
        return queryset.none()
    scoped = access.visible(user, ImportJob.objects.all()).values("pk")
    return queryset.filter(own_q(user) | Q(pk__in=scoped))


def get_visible_job(user: User, pk: Any) -> ImportJob:
    """One visible job, or ``NotFound`` (missing and hidden look the same)."""
    try:
        return visible_jobs(user).select_related("user").get(pk=int(pk))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
