"""Administrators edit the event-class catalog (a city-wide setting) through the shared
edit module: version check (409 with the current class), history, audit. The JSON fields
are checked before anything is written: the attribute schema is a valid JSON Schema, the
guide has the known sections, the routing rule a known rule."""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft202012Validator, SchemaError

from community.matters import representation
from community.matters.models import EventClass, EventClassHistory, Flow, Kind
from gis_app import editing
from gis_app.editing import EditContext, Entry
from gis_app.errors import InvalidInput
from gis_app.roles import Action
from gis_app.types import User

# Sections of a government service matter's guide (办事指南)
GUIDE_SECTIONS = {"conditions", "materials", "time_limit_days", "fees", "forms", "basis"}
ROUTING_RULES = {"component", "community_office"}
TEXT_FIELDS = {"name_zh": 100, "name_en": 150}
HOUR_FIELDS = ("sla_accept_hours", "sla_resolve_hours")
MAX_HOURS = 24 * 365


class EventClassEditable(editing.Editable[EventClass]):
    object_type = "matters.eventclass"
    name = "eventclass"
    stale_text = gettext_lazy(
        "Event class %(id)s was changed by someone else: it is now at version %(v)d."
    )

    def queryset(self) -> Any:
        return EventClass.objects.select_related("flow")

    def object_id(self, obj: EventClass) -> str:
        return obj.code

    def snapshot(self, obj: EventClass) -> dict[str, Any]:
        data = representation.event_class_json(obj)
        data.pop("version")
        return data

    def current(self, obj: EventClass, user: User) -> dict[str, Any]:
        return representation.event_class_json(obj)

    def history(self, obj: EventClass, entry: Entry) -> EventClassHistory:
        return EventClassHistory(
            event_class=obj,
            version=entry.version,
            action=entry.action,
            actor=entry.actor,
            actor_username=entry.actor_username,
            changes=entry.changes,
            comment=str(entry.note),
        )


EVENT_CLASSES = EventClassEditable()


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HOURS:
        raise InvalidInput(
            _("%(field)s must be a whole number of hours from 1 to %(max)d.")
            % {"field": name, "max": MAX_HOURS},
            field=name,
        )
    return value


def _apply(obj: EventClass, changes: dict[str, Any]) -> None:
    """``changes`` (a partial edit) onto ``obj``, each value checked, errors naming it."""
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            if not isinstance(value, str) or not value.strip() or len(value) > TEXT_FIELDS[name]:
                raise InvalidInput(_("%(field)s must be a name.") % {"field": name}, field=name)
            setattr(obj, name, value.strip())
        elif name in HOUR_FIELDS:
            setattr(obj, name, _whole(value, name))
        elif name in ("public", "active", "selectable"):
            if not isinstance(value, bool):
                raise InvalidInput(
                    _("%(field)s must be true or false.") % {"field": name}, field=name
                )
            setattr(obj, name, value)
        elif name == "kind":
            if value not in Kind.values:
                raise InvalidInput(_("kind is not a kind of matter."), field="kind")
            obj.kind = value
        elif name == "attribute_schema":
            try:
                if not isinstance(value, dict):
                    raise SchemaError("not an object")
                Draft202012Validator.check_schema(value)
            except SchemaError as exc:
                raise InvalidInput(
                    _("attribute_schema is not a valid JSON Schema: %(reason)s")
                    % {"reason": str(exc.message)[:200]},
                    field="attribute_schema",
                ) from None
            obj.attribute_schema = value
        elif name == "guide":
            if not isinstance(value, dict) or set(value) - GUIDE_SECTIONS:
                raise InvalidInput(
                    _("guide must be an object with the sections %(names)s.")
                    % {"names": ", ".join(sorted(GUIDE_SECTIONS))},
                    field="guide",
                )
            obj.guide = value
        elif name == "routing":
            if not isinstance(value, dict) or value.get("rule") not in ROUTING_RULES:
                raise InvalidInput(_("routing.rule is not a known rule."), field="routing.rule")
            obj.routing = value
        elif name == "flow":
            flow = Flow.objects.filter(code=value).first() if isinstance(value, str) else None
            if value is not None and flow is None:
                raise InvalidInput(_("flow is not a defined flow."), field="flow")
            obj.flow = flow
        else:
            raise InvalidInput(_("%(field)s cannot be changed here.") % {"field": name}, field=name)
    if obj.sla_accept_hours > obj.sla_resolve_hours:
        raise InvalidInput(
            _("sla_accept_hours must not exceed sla_resolve_hours."), field="sla_accept_hours"
        )


def update(ctx: EditContext, code: str, changes: dict[str, Any], version: int | None) -> EventClass:
    """Change an event class (city-level administrators only; 403 for others, who see the
    public catalog), from ``version`` (409 when stale), with a comment for its history."""
    stored = editing.get_for_edit(ctx, EVENT_CLASSES, Action.CHANGE, "update", code=code)
    editing.require_version(version)
    new = copy.copy(stored)
    _apply(new, changes)
    return editing.update(ctx, EVENT_CLASSES, new, version)
