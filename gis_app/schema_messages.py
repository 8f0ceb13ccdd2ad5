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


def _templates() -> dict[str, str]:
    """Per keyword, the wording (in the active language) with its parameters."""
    return {
        "type": _("%(value)s is not %(type)s"),
        "enum": _("%(value)s is not one of %(values)s"),
        "const": _("%(value)s is not %(limit)s"),
        "minimum": _("%(value)s is less than the minimum %(limit)s"),
        "maximum": _("%(value)s is more than the maximum %(limit)s"),
        "exclusiveMinimum": _("%(value)s must be more than %(limit)s"),
        "exclusiveMaximum": _("%(value)s must be less than %(limit)s"),
        "minLength": _("%(value)s is shorter than %(n)s characters"),
        "maxLength": _("%(value)s is longer than %(n)s characters"),
        "pattern": _("%(value)s is not in the expected form %(pattern)s"),
        "format": _("%(value)s is not a valid %(format)s"),
        "required": _("missing %(names)s"),
        "additionalProperties": _("fields the class does not define: %(names)s"),
    }


def explain(error: ValidationError) -> str:
    """One violation, worded for a person, in the active language (the offending value
    first, as the field it belongs to is named by the caller)."""
    kind, limit, instance = error.validator, error.validator_value, error.instance
    template = _templates().get(str(kind))
    if template is None:
        return str(error.message)
    names: list[str] = []
    if kind == "required":
        names = [name for name in limit if name not in (instance or {})] or list(limit)
    elif kind == "additionalProperties":
        known = set((error.schema or {}).get("properties", {}))
        names = sorted(set(instance or {}) - known)
    return template % {
        "value": _value(instance),
        "limit": limit,
        "n": limit,
        "pattern": limit,
        "format": limit,
        "type": _type_name(limit) if kind == "type" else "",
        "values": ", ".join(str(v) for v in limit) if kind == "enum" else "",
        "names": ", ".join(names),
    }
