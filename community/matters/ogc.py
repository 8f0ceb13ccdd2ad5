"""Service requests as an OGC API - Features collection (``matters-requests``): the
requests the caller sees, with their class, state, community, whether they are overdue
now and how far they were escalated (督办); never the reporter's text or contact."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.matters import deadlines
from community.matters.models import ServiceRequest, State
from gis_app import access
from gis_app.types import User
from layers.models import Layer
from layers.ogc.sources import Collection, FeatureSource, Queryable

CODE = "matters-requests"


class RequestSource(FeatureSource):
    geometry_field = "place"
    datetime_field = "created_at"

    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        late = ExpressionWrapper(deadlines.overdue_q(timezone.now()), output_field=BooleanField())
        rows = ServiceRequest.objects.select_related("event_class").annotate(overdue=late)
        return access.visible(user, rows)

    def properties(self, layer: Layer) -> dict[str, str]:
        return {
            "class": "event_class__code",
            "class_name": "event_class__name_zh",
            "state": "state",
            "community": "community_id",
            "source": "source",
            "created_at": "created_at",
            "overdue": "overdue",
            "escalation_level": "escalation_level",
        }

    def queryables(self, layer: Layer) -> dict[str, Queryable]:
        return {
            "state": Queryable("state", enum=tuple(State.values), title="state"),
            "class": Queryable("event_class__code", title="event class"),
            "community": Queryable("community_id", title="community code"),
            "overdue": Queryable("overdue", type="boolean", title="overdue"),
        }

    def id_value(self, raw: str) -> Any:
        return int(raw)


def collection() -> Collection:
    return Collection(
        CODE,
        RequestSource(),
        "事件工单",
        "Service requests",
        str(_("Reported problems and requests, as the caller may see them.")),
    )
