"""The attribute schemas of an import's classes: a compiled fastjsonschema pass first
(the whole document, or one property at a time with each distinct value checked once);
whatever it refuses goes to ``jsonschema``'s ``Draft202012Validator``, which decides and
explains (a test checks the quick pass never accepts what it refuses)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any, Final, cast

import fastjsonschema
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from component_catalog.models import ComponentClass
from gis_app import schema_messages
from importers.mapping.convert import DistinctCache, attempt, convert


def quick_check(schema: dict[str, Any]) -> Callable[[Any], Any] | None:
    """A compiled validator of a class's attribute schema (fastjsonschema, tens of times
    faster than ``jsonschema`` on a row) used to pass valid rows quickly; whatever it
    refuses goes to the full ``Draft202012Validator``, which has the last word and the
    messages. The catalog's schemas use keywords both read alike (type, enum, bounds,
    lengths, pattern); None when the schema does not compile."""
    plain = {k: v for k, v in schema.items() if k != "$schema"}
    try:
        return cast(Callable[[Any], Any], fastjsonschema.compile(plain))
    except (fastjsonschema.JsonSchemaDefinitionException, ValueError, TypeError):
        return None


_PER_PROPERTY_KEYS: Final = frozenset(
    {
        "type",
        "properties",
        "additionalProperties",
        "required",
        "title",
        "description",
        "$schema",
        "$id",
        "$comment",
    }
)


def _passes(check: Callable[[Any], Any], value: Any) -> bool:
    try:
        check(value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


class PropertyCheck:
    """The check of a schema that only says "an object whose properties each satisfy their
    own schema": one value at a time (``value_ok``, each distinct value checked once) or a
    whole document (calling it). True means valid; False sends the row to the full
    validator, which explains."""

    def __init__(
        self, checks: dict[str, Callable[[Any], Any]], required: frozenset[str], extra: bool
    ) -> None:
        self.checks = checks
        self.required = required
        self.extra = extra
        self._seen: DistinctCache[bool] = DistinctCache()

    def value_ok(self, name: str, value: Any) -> bool:
        """Whether ``value`` satisfies the schema of property ``name``."""
        check = self.checks.get(name)
        if check is None:
            return self.extra
        return self._seen.get((name, type(value), value), partial(_passes, check, value))

    def __call__(self, attributes: dict[str, Any]) -> bool:
        if not self.required.issubset(attributes):
            return False
        return all(self.value_ok(name, value) for name, value in attributes.items())


def property_check(schema: dict[str, Any]) -> PropertyCheck | None:
    """The ``PropertyCheck`` of a schema made only of per-property rules (``properties``,
    ``required``, ``additionalProperties`` true or false); None for any other schema."""
    if set(schema) - _PER_PROPERTY_KEYS or schema.get("type") != "object":
        return None
    extra = schema.get("additionalProperties", True)
    properties = schema.get("properties", {})
    if not isinstance(extra, bool) or not isinstance(properties, dict):
        return None
    if "$ref" in json.dumps(properties) or "$dynamicRef" in json.dumps(properties):
        return None  # a property refers to another part of the schema
    try:
        checks = {name: fastjsonschema.compile(spec) for name, spec in properties.items()}
    except (fastjsonschema.JsonSchemaDefinitionException, ValueError, TypeError):
        return None
    return PropertyCheck(checks, frozenset(schema.get("required", ())), extra)


class AttributeSchemas:
    """The attribute schemas of the classes a mapping binds to, with their checks and the
    results cached per distinct value (imports repeat the same few values many times)."""

    def __init__(self, classes: dict[str, ComponentClass]) -> None:
        schemas = {code: k.attribute_schema or {"type": "object"} for code, k in classes.items()}
        self.validators = {code: Draft202012Validator(s) for code, s in schemas.items()}
        self.property_checks = {code: property_check(s) for code, s in schemas.items()}
        self.quick_checks = {code: quick_check(s) for code, s in schemas.items()}
        self.properties = {
            code: dict((k.attribute_schema or {}).get("properties", {}))
            for code, k in classes.items()
        }
        self._explained: DistinctCache[list[tuple[str, str]]] = DistinctCache()
        self._attributes: DistinctCache[tuple[bool, Any, bool]] = DistinctCache()

    def attribute(
        self, code: str, target: str, spec: dict[str, Any], value: Any
    ) -> tuple[bool, Any, bool] | None:
        """(converted, value or message, the value satisfies its property's schema); None
        for None (not given)."""
        if value is None:
            return None
        return self._attributes.get(
            (code, target, type(value), value), partial(self._attribute, code, target, spec, value)
        )

    def _attribute(
        self, code: str, target: str, spec: dict[str, Any], value: Any
    ) -> tuple[bool, Any, bool]:
        ok, result = attempt(convert, value, spec)
        check = self.property_checks[code]
        return ok, result, ok and check is not None and check.value_ok(target, result)

    def validate(self, code: str, attributes: dict[str, Any]) -> list[tuple[str, str]]:
        """(target, message) for each schema violation; results cached per distinct value
        set (imports repeat the same few attribute combinations many times)."""
        passes = self.property_checks.get(code)
        check = self.quick_checks.get(code)
        if passes is not None:
            if passes(attributes):
                return []
        elif check is not None:
            try:
                check(attributes)
                return []
            except fastjsonschema.JsonSchemaException:
                pass  # invalid (or a stricter reading): the full validator decides and explains
        key = (code, json.dumps(attributes, sort_keys=True, ensure_ascii=False, default=str))
        return self._explained.get(key, partial(self._explain, code, attributes))

    def _explain(self, code: str, attributes: dict[str, Any]) -> list[tuple[str, str]]:
        """The full validator's problems with a document, sorted."""
        problems = []
        for error in self.validators[code].iter_errors(attributes):
            path = ".".join(str(p) for p in error.absolute_path)
            problems.append(
                (
                    "attributes" + (f".{path}" if path else ""),
                    _("%(reason)s (class %(code)s)")
                    % {"reason": schema_messages.explain(error), "code": code},
                )
            )
        problems.sort()
        return problems
