"""Form fields generated from a component class's attribute schema (JSON Schema 2020-12 as
the catalog writes it), for the admin: enumerations as selects, integers and numbers with
their bounds, yes/no, dates, texts with their length and pattern, lists of choices as
check boxes, lists of texts as one comma-separated line. What the schema does not describe
(nested objects, other lists) is edited as JSON. The values go to the component services,
which validate them against the schema again: the form only makes the common mistakes
impossible to type.

Labels and choice labels in the page's language come from ``catalog_labels`` (the schema's
``title`` and ``x-i18n`` annotation, then the catalog's tables, then the attribute's name
in words), with the schema's English ``description`` as help text. Choices keep their
stored (standard Chinese) values; only their labels change with the language.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from component_catalog import catalog_labels

PREFIX = "attr__"


def english() -> bool:
    return catalog_labels.language_key(get_language()) is not None


def label_of(name: str, spec: dict[str, Any]) -> str:
    """The attribute's label in the page's language."""
    return catalog_labels.title(spec, name, get_language())


def _choice_labels(spec: dict[str, Any]) -> list[tuple[Any, str]]:
    language = get_language()
    return [(v, catalog_labels.choice(spec, v, language)) for v in spec.get("enum") or []]


def _help(spec: dict[str, Any]) -> str:
    parts = []
    if english() and spec.get("description"):
        parts.append(str(spec["description"]))
    bounds = []
    if "minimum" in spec:
        bounds.append(f"≥ {spec['minimum']}")
    if "exclusiveMinimum" in spec:
        bounds.append(f"> {spec['exclusiveMinimum']}")
    if "maximum" in spec:
        bounds.append(f"≤ {spec['maximum']}")
    if "exclusiveMaximum" in spec:
        bounds.append(f"< {spec['exclusiveMaximum']}")
    if bounds:
        parts.append(", ".join(bounds))
    return " ".join(parts)


class _ChoiceField(forms.TypedChoiceField):
    """A select of the schema's values (strings or numbers), empty meaning "not set"."""

    def __init__(self, spec: dict[str, Any], **kwargs: Any) -> None:
        options = _choice_labels(spec)
        by_text = {str(v): v for v, _label in options}
        super().__init__(
            choices=[("", "---------"), *[(str(v), label) for v, label in options]],
            coerce=lambda text: by_text[text],
            empty_value=None,
            **kwargs,
        )


class _TextListField(forms.CharField):
    """A list of texts typed as one line, separated by commas (either width)."""

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        return [part.strip() for part in re.split(r"[,，、]", text or "") if part.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(str(v) for v in value) if isinstance(value, list) else value

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def field_for(name: str, spec: dict[str, Any], required: bool) -> forms.Field:
    """One form field for the attribute ``name`` described by ``spec``."""
    common: dict[str, Any] = {
        "label": label_of(name, spec),
        "required": required,
        "help_text": _help(spec),
    }
    kind = spec.get("type")
    if spec.get("enum"):
        return _ChoiceField(spec, **common)
    if kind == "integer":
        return forms.IntegerField(
            min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common
        )
    if kind == "number":
        return forms.FloatField(
            min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common
        )
    if kind == "boolean":
        common["required"] = False  # "unknown" stays possible; required is checked below
        return forms.NullBooleanField(
            widget=forms.Select(
                choices=[("unknown", "---------"), ("true", _("Yes")), ("false", _("No"))]
            ),
            **common,
        )
    if kind == "string" and spec.get("format") == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "string":
        options = {
            "max_length": spec.get("maxLength"),
            "min_length": spec.get("minLength"),
            **common,
        }
        if spec.get("pattern"):
            return forms.RegexField(regex=spec["pattern"], **options)
        return forms.CharField(**options)
    items = spec.get("items") or {}
    if kind == "array" and items.get("enum"):
        return forms.TypedMultipleChoiceField(
            choices=[(str(v), label) for v, label in _choice_labels(items)],
            coerce=lambda text: {str(v): v for v in items["enum"]}[text],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind == "array" and items.get("type") == "string":
        common["help_text"] = " ".join(
            p for p in (common["help_text"], _("Separate the entries with commas.")) if p
        )
        return _TextListField(**common)
    common["help_text"] = " ".join(p for p in (common["help_text"], _("As JSON.")) if p)
    return forms.JSONField(**common)


def schema_fields(schema: dict[str, Any] | None) -> dict[str, forms.Field]:
    """The form fields of every attribute in ``schema``, in its order, named ``attr__<name>``."""
    schema = schema or {}
    required = set(schema.get("required") or [])
    return {
        PREFIX + name: field_for(name, spec if isinstance(spec, dict) else {}, name in required)
        for name, spec in (schema.get("properties") or {}).items()
    }


def initial_value(value: Any, field: forms.Field) -> Any:
    """A stored attribute as its form field shows it."""
    if isinstance(field, forms.NullBooleanField):
        return {True: "true", False: "false"}.get(value, "unknown")
    if isinstance(field, forms.DateField) and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(field, forms.TypedChoiceField) and value is not None:
        return str(value)
    if isinstance(field, forms.TypedMultipleChoiceField) and isinstance(value, list):
        return [str(v) for v in value]
    return value


def submitted(cleaned: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    """The attributes of a cleaned form as the services take them: a value for each filled
    field, ``None`` (remove) for each emptied one."""
    result: dict[str, Any] = {}
    for name in (schema or {}).get("properties") or {}:
        value = cleaned.get(PREFIX + name)
        if value in ("", [], None):
            result[name] = None
        elif isinstance(value, dt.date):
            result[name] = value.isoformat()
        else:
            result[name] = value
    return result


def missing_required(cleaned: dict[str, Any], schema: dict[str, Any] | None) -> list[str]:
    """Required yes/no attributes left at "unknown" (other fields check it themselves)."""
    schema = schema or {}
    props = schema.get("properties") or {}
    return [
        PREFIX + name
        for name in schema.get("required") or []
        if (props.get(name) or {}).get("type") == "boolean" and cleaned.get(PREFIX + name) is None
    ]
