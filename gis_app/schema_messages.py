"""JSON Schema errors in the user's language.

``jsonschema`` explains a violation in English ("5 is less than the minimum of 300"); a
community worker reading a form in Chinese should read Chinese. :func:`explain` words the
keywords the platform's schemas use (type, enum, bounds, lengths, pattern, required, extra
fields, format) through Django's translations and falls back to the library's own text for
anything else.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from jsonschema.exceptions import ValidationError


def _type_name(name: Any) -> str:
    names = {
        "string": _("text"),
        "integer": _("a whole number"),
        "number": _("a number"),
        "boolean": _("yes or no"),
        "object": _("an object"),
        "array": _("a list"),
        "null": _("empty"),
    }
    if isinstance(name, list):
        return _(" or ").join(_type_name(n) for n in name)
    return str(names.get(name, name))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    return str(value)


def explain(error: ValidationError) -> str:
    """One violation, worded for a person, in the active language (the offending value
    first, as the field it belongs to is named by the caller)."""
    kind, limit, value = error.validator, error.validator_value, _value(error.instance)
    words = {
        "type": lambda: (
            _("%(value)s is not %(type)s") % {"value": value, "type": _type_name(limit)}
        ),
        "enum": lambda: (
            _("%(value)s is not one of %(values)s")
            % {"value": value, "values": ", ".join(str(v) for v in limit)}
        ),
        "const": lambda: _("%(value)s is not %(limit)s") % {"value": value, "limit": limit},
        "minimum": lambda: (
            _("%(value)s is less than the minimum %(limit)s") % {"value": value, "limit": limit}
        ),
        "maximum": lambda: (
            _("%(value)s is more than the maximum %(limit)s") % {"value": value, "limit": limit}
        ),
        "exclusiveMinimum": lambda: (
            _("%(value)s must be more than %(limit)s") % {"value": value, "limit": limit}
        ),
        "exclusiveMaximum": lambda: (
            _("%(value)s must be less than %(limit)s") % {"value": value, "limit": limit}
        ),
        "minLength": lambda: (
            _("%(value)s is shorter than %(n)s characters") % {"value": value, "n": limit}
        ),
        "maxLength": lambda: (
            _("%(value)s is longer than %(n)s characters") % {"value": value, "n": limit}
        ),
        "pattern": lambda: (
            _("%(value)s is not in the expected form %(pattern)s")
            % {"value": value, "pattern": limit}
        ),
        "format": lambda: (
            _("%(value)s is not a valid %(format)s") % {"value": value, "format": limit}
        ),
    }
    if kind in words:
        return str(words[kind]())
    if kind == "required":
        missing = [name for name in limit if name not in (error.instance or {})]
        return _("missing %(names)s") % {"names": ", ".join(missing or limit)}
    if kind == "additionalProperties":
        known = set((error.schema or {}).get("properties", {}))
        extra = sorted(set(error.instance or {}) - known)
        return _("fields the class does not define: %(names)s") % {"names": ", ".join(extra)}
    return str(error.message)
