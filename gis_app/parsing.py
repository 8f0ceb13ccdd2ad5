"""The one parser of untrusted text for every entry point: JSON bodies (depth limit and
control characters), dates and times, whole numbers with bounds, and signed paging
cursors. Every failure is an ``InvalidInput`` (HTTP 400) naming the field or parameter,
never an exception that would become a 500."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.core import signing
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from gis_app.errors import InvalidInput

MAX_JSON_DEPTH = 32
# C0 control characters except tab, line feed and carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Whole numbers within a PostgreSQL bigint; anything longer is refused before int().
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# +1 for an opening bracket, -1 for a closing one, 0 for any other byte.
_BRACKETS = np.zeros(256, dtype=np.int8)
_BRACKETS[[ord("["), ord("{")]] = 1
_BRACKETS[[ord("]"), ord("}")]] = -1
MAX_OFFSET = dt.timedelta(hours=14)
_CURSOR_SALT = "gis_app.parsing.cursor"


# --- text ---------------------------------------------------------------------------------


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def refuse_control(text: str, field: str) -> str:
    """``text`` unchanged, or InvalidInput when it holds a control character."""
    if CONTROL.search(text):
        raise InvalidInput(
            _("%(field)s must not contain control characters.") % {"field": field}, field=field
        )
    return text


def check_fields(data: Any) -> None:
    """Refuse a control character in any name or value of a QueryDict (query string or
    form), naming the field."""
    for key, values in data.lists():
        refuse_control(key, key)
        for value in values:
            if isinstance(value, str):
                refuse_control(value, key)


def check_tree(value: Any, field: str = "body", depth: int = 0) -> None:
    """Refuse a parsed JSON (or YAML) value nested deeper than MAX_JSON_DEPTH or holding a
    control character in a string or a member name; ``field`` names where it sits."""
    if isinstance(value, str):
        refuse_control(value, field)
        return
    if not isinstance(value, dict | list):
        return
    if depth >= MAX_JSON_DEPTH:
        raise _too_deep(field)
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key) if field == "body" else f"{field}.{key}"
            if isinstance(key, str):
                refuse_control(key, name)
            check_tree(item, name, depth + 1)
    else:
        for i, item in enumerate(value):
            check_tree(item, f"{field}[{i}]", depth + 1)


def _too_deep(field: str) -> InvalidInput:
    return InvalidInput(
        _("%(field)s is nested more than %(max)d levels deep.")
        % {"field": field, "max": MAX_JSON_DEPTH},
        field=field,
    )


def json_depth(data: bytes) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), in one vectorised pass:
    a deep body is refused before the recursive decoder sees it."""
    bare = _STRING.sub(b"", data)
    if not bare:
        return 0
    steps = _BRACKETS[np.frombuffer(bare, dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def loads(data: bytes | str, field: str = "body") -> Any:
    """Parse JSON text (UTF-8 when bytes): InvalidInput naming ``field`` when it is not
    JSON, is nested more than MAX_JSON_DEPTH deep, or holds a control character."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise _too_deep(field)
    try:
        text = raw.decode("utf-8-sig")
        value = json.loads(text, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput(
            _("%(field)s is not valid JSON in UTF-8: %(reason)s")
            % {"field": field, "reason": str(exc)[:200]},
            field=field,
        ) from None
    check_tree(value, field)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --- numbers ------------------------------------------------------------------------------


def integer(raw: Any, name: str, low: int, high: int) -> int:
    """A whole number from text (or an int) within [low, high], else InvalidInput."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        value = None
    elif isinstance(raw, int):
        value = raw
    else:
        text = raw.strip()
        value = int(text) if _INTEGER.fullmatch(text) else None
    if value is None:
        raise InvalidInput(
            _("Parameter %(name)s must be a whole number, not %(value)r.")
            % {"name": name, "value": raw[:40] if isinstance(raw, str) else type(raw).__name__},
            field=name,
        )
    if not low <= value <= high:
        # str() of an int of more than 4,300 digits raises: never print a huge one
        shown = str(value) if abs(value) < 10**40 else "..."
        raise InvalidInput(
            _("Parameter %(name)s must be between %(low)s and %(high)s, not %(value)s.")
            % {"name": name, "low": low, "high": high, "value": shown},
            field=name,
        )
    return value


def integer_param(
    query: Mapping[str, Any], name: str, low: int, high: int, default: int | None = None
) -> int | None:
    """The query parameter ``name`` as a whole number in [low, high]; ``default`` when
    absent or empty."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    return integer(raw, name, low, high)


# --- dates and times ----------------------------------------------------------------------


def date_value(raw: Any, name: str) -> dt.date:
    """A calendar date ``YYYY-MM-DD`` that exists (no 30 February), else InvalidInput."""
    try:
        value = parse_date(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None or not _DATE.fullmatch(raw):
        raise InvalidInput(
            _("%(name)s must be a date that exists, like 2024-05-31, not %(value)r.")
            % {"name": name, "value": str(raw)[:40]},
            field=name,
        )
    return value


def datetime_value(
    raw: Any, name: str, *, date_only: bool = False, naive_local: bool = False
) -> dt.datetime:
    """An ISO 8601 / RFC 3339 time with a zone offset that exists, else InvalidInput.
    With ``date_only`` a bare date is taken as its midnight UTC (OGC ``datetime``); with
    ``naive_local`` a time without a zone is taken in the server's time zone."""
    value: dt.datetime | None = None
    if isinstance(raw, str):
        try:
            if date_only and _DATE.fullmatch(raw):
                day = parse_date(raw)
                if day is not None:
                    value = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
            else:
                value = parse_datetime(raw)
            if value is not None and value.tzinfo is None and naive_local:
                value = timezone.make_aware(value)
            if value is not None and value.tzinfo is not None:
                offset = value.utcoffset() or dt.timedelta(0)
                # real zones lie within ±14 h (PostgreSQL refuses beyond ±15:59), and the
                # time must still be a datetime in UTC (no year 0 or 10000)
                value.astimezone(dt.UTC)
                if abs(offset) > MAX_OFFSET:
                    value = None
        except (ValueError, OverflowError):
            value = None
    if value is None or value.tzinfo is None:
        raise InvalidInput(
            _(
                "%(name)s must be an ISO 8601 time that exists, with a zone, "
                "e.g. 2024-05-31T08:00:00+08:00, not %(value)r."
            )
            % {"name": name, "value": str(raw)[:40]},
            field=name,
        )
    return value


# --- paging cursors -----------------------------------------------------------------------


def sign_cursor(payload: str) -> str:
    """An opaque cursor carrying ``payload``, signed so that only this server makes them."""
    return signing.Signer(salt=_CURSOR_SALT).sign(payload)


def read_cursor(raw: str, name: str = "cursor") -> str:
    """The payload of a cursor made by ``sign_cursor``; InvalidInput for anything forged,
    tampered with or truncated."""
    try:
        return signing.Signer(salt=_CURSOR_SALT).unsign(raw)
    except signing.BadSignature:
        raise InvalidInput(
            _("Parameter %(name)s is not a cursor this server made.") % {"name": name},
            field=name,
        ) from None


# Members of a GeoJSON feature's ``properties`` (REST bodies of components, base layers and
# the apps' editable features): errors name ``properties.<name>``.


def property_text(props: Mapping[str, Any], name: str, limit: int) -> str:
    """``props[name]`` as stripped text of at most ``limit`` characters ("" for null)."""
    value = props[name]
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(
            _("properties.%(name)s must be text of at most %(limit)d characters.")
            % {"name": name, "limit": limit},
            field=f"properties.{name}",
        )
    return value.strip()


def property_whole(
    props: Mapping[str, Any], name: str, low: int, high: int, *, nullable: bool
) -> int | None:
    """``props[name]`` as a whole number from ``low`` to ``high`` (JSON booleans refused)."""
    value = props[name]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            _("properties.%(name)s must be a whole number from %(low)d to %(high)d.")
            % {"name": name, "low": low, "high": high},
            field=f"properties.{name}",
        )
    return value


def property_choice(props: Mapping[str, Any], name: str, choices: list[str]) -> str:
    """``props[name]``, one of ``choices``."""
    value = props[name]
    if value not in choices:
        raise InvalidInput(
            _("properties.%(name)s must be one of %(options)s.")
            % {"name": name, "options": ", ".join(choices)},
            field=f"properties.{name}",
        )
    return str(value)
