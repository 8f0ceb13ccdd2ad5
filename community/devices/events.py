"""The body of a signed request or message, checked the same way for every kind: one event
object or ``{"events": [...]}`` (at most the kind's ``max_batch``), each event valid against
the kind's JSON Schema, with an ``id`` (1-64 of ``A-Za-z0-9._:-``, unique per device) and a
``time`` (ISO 8601 with a UTC offset, not further ahead than the kind's clock skew, not
older than its maximum age). Any error names the field (``events[3].time``) and rejects
the whole body; an error never repeats a member's value (it may be a plate number).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import fastjsonschema
import jsonschema
from django.utils import timezone
from django.utils.translation import gettext as _

from community.devices.kinds import Kind, Limits, Received
from gis_app import parsing
from gis_app.errors import InvalidInput

EVENT_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# The quick pass (fastjsonschema, compiled) accepts the valid events; jsonschema explains
# the first error of an invalid one.
_quick: dict[str, Any] = {}


def forget_validator(code: str) -> None:
    _quick.pop(code, None)


def _validator(kind: Kind) -> Any:
    found = _quick.get(kind.code)
    if found is None:
        found = _quick[kind.code] = fastjsonschema.compile(kind.schema)
    return found


def parse_body(body: bytes, max_batch: int) -> tuple[list[Any], bool]:
    """The raw event objects of a JSON body, and whether it was a batch."""
    data = parsing.loads(body, "body")
    batched = isinstance(data, dict) and "events" in data
    if isinstance(data, dict) and batched:
        if set(data) != {"events"}:
            raise InvalidInput(_('A batch has only the member "events".'), field="body")
        items = data["events"]
        if not isinstance(items, list) or not items:
            raise InvalidInput(_("events must be a non-empty list."), field="events")
    elif isinstance(data, dict):
        items = [data]
    else:
        raise InvalidInput(_("The body must be an event object or a batch."), field="body")
    if len(items) > max_batch:
        raise InvalidInput(
            _("At most %(max)s events per request.") % {"max": max_batch}, field="events"
        )
    return items, batched


def _path(at: str, path: Any) -> str:
    name = at
    for part in path:
        name = f"{name.rstrip('.')}[{part}]." if isinstance(part, int) else f"{name}{part}."
    return name.rstrip(".")


def _explain(kind: Kind, item: dict[str, Any], at: str) -> InvalidInput:
    """The first schema error of an event, as ``InvalidInput`` naming the member."""
    validator_cls = jsonschema.validators.validator_for(kind.schema)
    errors = sorted(
        validator_cls(kind.schema).iter_errors(item), key=lambda e: list(map(str, e.path))
    )
    if not errors:  # the quick pass and jsonschema disagree: refuse without a member
        return InvalidInput(_("The event does not match its schema."), field=at.rstrip("."))
    error = errors[0]
    where = _path(at, error.absolute_path)
    prefix = f"{where}." if where else ""
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        name = sorted(set(error.instance) - allowed)[0]
        return InvalidInput(_("Unknown member %(name)s.") % {"name": name}, field=prefix + name)
    if error.validator == "required":
        name = next(n for n in error.validator_value if n not in error.instance)
        return InvalidInput(
            _("%(field)s is required.") % {"field": prefix + name}, field=prefix + name
        )
    if error.validator == "enum":
        return InvalidInput(
            _("%(field)s must be one of %(options)s.")
            % {"field": where, "options": ", ".join(map(str, error.validator_value))},
            field=where,
        )
    if error.validator == "type":
        return InvalidInput(
            _("%(field)s must be of type %(type)s.")
            % {"field": where, "type": error.validator_value},
            field=where,
        )
    return InvalidInput(_("%(field)s is not valid.") % {"field": where}, field=where)


def _time(raw: Any, field: str, now: dt.datetime, limits: Limits) -> dt.datetime:
    if not isinstance(raw, str):
        raise InvalidInput(_("%(field)s must be an ISO 8601 time.") % {"field": field}, field=field)
    value = parsing.datetime_value(raw, field)
    if value > now + dt.timedelta(seconds=limits.clock_skew_s):
        raise InvalidInput(_("%(field)s is in the future.") % {"field": field}, field=field)
    if value < now - dt.timedelta(days=limits.max_age_days):
        raise InvalidInput(
            _("%(field)s is more than %(days)s days old.")
            % {"field": field, "days": limits.max_age_days},
            field=field,
        )
    return value


def check(kind: Kind, items: list[Any], batched: bool) -> list[Received]:
    """Check every event of a body (no database); ``InvalidInput`` on the first error."""
    now = timezone.now()
    limits = kind.limits()
    quick = _validator(kind)
    received = []
    for index, item in enumerate(items):
        at = f"events[{index}]." if batched else ""
        if not isinstance(item, dict):
            raise InvalidInput(_("Each event must be a JSON object."), field=f"events[{index}]")
        event_id = item.get("id")
        if not isinstance(event_id, str) or not EVENT_ID_RE.match(event_id):
            raise InvalidInput(
                _("%(field)s must be 1 to 64 letters, digits or . _ : -.") % {"field": f"{at}id"},
                field=f"{at}id",
            )
        try:
            quick(item)
        except fastjsonschema.JsonSchemaException:
            raise _explain(kind, item, at) from None
        occurred_at = _time(item.get("time"), f"{at}time", now, limits)
        received.append(Received(event_id, occurred_at, item, at))
    return received
