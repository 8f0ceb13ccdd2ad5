"""Mappings: how a source file's fields become component properties.

A mapping is a YAML or JSON object. Every value that comes from the file is a *source*:

* ``"FIELD"`` -- a string names a field of the file;
* ``{field: FIELD, map: {value: result, ...}, default: X, format: "%m/%d/%Y", by: code}``
  -- a field with an optional value map (values not in the map pass through unchanged), a
  default for empty cells, a date format, or how organizations are matched;
* ``{value: X}`` -- the same fixed value for every row.

Keys (all optional, but a class and the three organizations must come from somewhere)::

    class: "0301"                      # a fixed class code (quote it: 0301 unquoted is octal)
    class_field: 类别                  # ... or the class from a field's value
    class_map: {公共厕所: "0301", 公交站点: "0205"}
    unmapped: skip                     # rows whose value is not in class_map: skip | error
    name: 名称
    address: 地址
    status: {field: 状况, map: {好: good}}   # 完好/破损/丢失/占用 and good/... understood
    data_source: {value: other}        # 实测/地形图/调绘/其它 or measured/...; default other
    owner: {value: HZ-SW}              # organizations by code or by name
    maintainer: {field: 养护单位, by: name}
    competent_department: {value: 杭州市城市管理局}
    initial_date: {field: 建设日期}    # 2019-04-01, 2019/4/1, 2019.4.1, 2019年4月1日, 20190401
    attributes:                        # target attribute <- source, typed by the class schema
      capacity: 车位数
      fee: {field: 费用, map: {不收费: 免费}}
    source_key: station_id             # the source system's own key (re-imports update)
    identifier: 标识码                 # existing component identifiers: those rows update

Attribute values are converted by the target class's JSON Schema type (integer, number,
boolean -- 是/否, true/false, 1/0, Y/N --, string, enum) and then validated by the schema;
every problem is reported with the row and the field. With several classes, an attribute
applies to the classes whose schema has it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any, Final, cast

import fastjsonschema
import yaml
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from component_catalog.inputs import latest_date
from component_catalog.models import ComponentClass, ComponentStatus, DataSource, GeometryKind
from gis_app import parsing, schema_messages
from gis_app.errors import InvalidInput
from gis_app.models import Organization

ORGANIZATION_FIELDS: Final = ("competent_department", "owner", "maintainer")
TEXT_LIMITS: Final = {"name": 200, "address": 300, "source_key": 100, "identifier": 16}

STATUS_WORDS: Final = {
    "完好": ComponentStatus.GOOD,
    "良好": ComponentStatus.GOOD,
    "正常": ComponentStatus.GOOD,
    "破损": ComponentStatus.DAMAGED,
    "损坏": ComponentStatus.DAMAGED,
    "丢失": ComponentStatus.MISSING,
    "缺失": ComponentStatus.MISSING,
    "占用": ComponentStatus.OCCUPIED,
}
DATA_SOURCE_WORDS: Final = {
    "实测": DataSource.MEASURED,
    "地形图": DataSource.TOPOGRAPHIC,
    "调绘": DataSource.DIGITIZED,
    "其它": DataSource.OTHER,
    "其他": DataSource.OTHER,
}
TRUE_WORDS: Final = frozenset({"是", "有", "true", "t", "yes", "y", "1", "对", "√"})
FALSE_WORDS: Final = frozenset({"否", "无", "没有", "false", "f", "no", "n", "0", "不", "×"})
DATE_FORMATS: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_DATETIME_PREFIX: Final = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})[T ]")
_KEYS: Final = frozenset(
    {
        "class",
        "class_field",
        "class_map",
        "unmapped",
        "name",
        "address",
        "status",
        "data_source",
        "initial_date",
        "attributes",
        "source_key",
        "identifier",
        *ORGANIZATION_FIELDS,
    }
)
_SOURCE_KEYS: Final = frozenset({"field", "value", "map", "default", "format", "by"})


class MappingError(InvalidInput):
    """The mapping as a whole is wrong (refused before any row is read)."""

    code = "mapping"


def _mapping_error(path: str, message: str) -> MappingError:
    return MappingError(f"mapping {path}: {message}", field=f"mapping.{path}")


# --- sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where one value comes from: a field (with an optional value map and default) or a
    fixed value."""

    field: str | None = None
    value: Any = None
    map: tuple[tuple[str, Any], ...] = ()
    default: Any = None
    format: str | None = None
    by: str = "code_or_name"

    @property
    def fixed(self) -> bool:
        return self.field is None

    def mapped(self, raw: Any) -> Any:
        if raw is None:
            return self.default
        if self.map:
            key = _text_key(raw)
            for source, target in self.map:
                if source == key:
                    return target
        return raw

    def describe(self) -> str:
        return self.field if self.field is not None else "(fixed)"


def _text_key(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _parse_source(value: Any, path: str) -> Source:
    if isinstance(value, str):
        if not value.strip():
            raise _mapping_error(path, _("a field name must not be empty."))
        return Source(field=value)
    if isinstance(value, bool):
        raise _mapping_error(
            path,
            _(
                "must be a field name, not %(v)r (in YAML, unquoted yes/no/on/off are read as "
                "true/false: put the field name in quotes)."
            )
            % {"v": value},
        )
    if not isinstance(value, MappingABC):
        raise _mapping_error(
            path, _("must be a field name, {field: ...} or {value: ...}, not %(v)r.") % {"v": value}
        )
    unknown = set(value) - _SOURCE_KEYS
    if unknown:
        raise _mapping_error(
            path,
            _("unknown key %(key)r (known: field, value, map, default, format, by).")
            % {"key": sorted(unknown)[0]},
        )
    has_field, has_value = "field" in value, "value" in value
    if has_field == has_value:
        raise _mapping_error(path, _("give exactly one of field and value."))
    if has_field and (not isinstance(value["field"], str) or not value["field"].strip()):
        raise _mapping_error(path, _("field must be a field name."))
    raw_map = value.get("map") or {}
    if not isinstance(raw_map, MappingABC):
        raise _mapping_error(path, _("map must be an object of source value -> value."))
    by = value.get("by", "code_or_name")
    if by not in ("code", "name", "code_or_name"):
        raise _mapping_error(path, _("by must be code, name or code_or_name."))
    fmt = value.get("format")
    if fmt is not None and not isinstance(fmt, str):
        raise _mapping_error(path, _("format must be a strptime format such as %m/%d/%Y."))
    return Source(
        field=value.get("field"),
        value=value.get("value"),
        map=tuple((_text_key(k), v) for k, v in raw_map.items()),
        default=value.get("default"),
        format=fmt,
        by=by,
    )


# --- the mapping -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mapping:
    class_code: str | None = None
    class_field: str | None = None
    class_map: tuple[tuple[str, str], ...] = ()
    unmapped: str = "error"
    name: Source | None = None
    address: Source | None = None
    status: Source | None = None
    data_source: Source | None = None
    initial_date: Source | None = None
    competent_department: Source | None = None
    owner: Source | None = None
    maintainer: Source | None = None
    attributes: tuple[tuple[str, Source], ...] = ()
    source_key: Source | None = None
    identifier: Source | None = None

    def fields(self) -> list[str]:
        """The source fields the mapping reads."""
        names: list[str] = [self.class_field] if self.class_field else []
        sources = [
            self.name,
            self.address,
            self.status,
            self.data_source,
            self.initial_date,
            self.competent_department,
            self.owner,
            self.maintainer,
            self.source_key,
            self.identifier,
        ] + [s for _t, s in self.attributes]
        names += [s.field for s in sources if s is not None and s.field is not None]
        return list(dict.fromkeys(names))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able description (kept in the ImportJob's options)."""

        def src(s: Source | None) -> Any:
            if s is None:
                return None
            out: dict[str, Any] = {"field": s.field} if s.field is not None else {"value": s.value}
            if s.map:
                out["map"] = dict(s.map)
            if s.default is not None:
                out["default"] = s.default
            if s.format:
                out["format"] = s.format
            return out

        data: dict[str, Any] = {
            "class": self.class_code,
            "class_field": self.class_field,
            "class_map": dict(self.class_map) or None,
            "unmapped": self.unmapped if self.class_field else None,
            "attributes": {t: src(s) for t, s in self.attributes} or None,
        }
        for name in (
            "name",
            "address",
            "status",
            "data_source",
            "initial_date",
            *ORGANIZATION_FIELDS,
            "source_key",
            "identifier",
        ):
            data[name] = src(getattr(self, name))
        return {k: v for k, v in data.items() if v is not None}


def _class_code(value: Any, path: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}", value):
        raise _mapping_error(
            path,
            _(
                'a class code is 4 digits in quotes, e.g. "0301" (in YAML an unquoted 0301 '
                "is read as a number), not %(v)r."
            )
            % {"v": value},
        )
    return value


def parse_mapping(data: Any) -> Mapping:
    """A mapping object (already parsed from YAML/JSON) -> Mapping; MappingError if wrong."""
    if not isinstance(data, MappingABC):
        raise MappingError(_("A mapping must be an object (YAML mapping or JSON object)."))
    unknown = set(data) - _KEYS
    if unknown:
        raise _mapping_error(
            str(sorted(unknown)[0]),
            _("unknown key; the keys are: %(keys)s.") % {"keys": ", ".join(sorted(_KEYS))},
        )
    values: dict[str, Any] = {}
    if data.get("class") is not None:
        values["class_code"] = _class_code(data["class"], "class")
    if data.get("class_field") is not None:
        if "class_code" in values:
            raise _mapping_error("class_field", _("give either class or class_field, not both."))
        if not isinstance(data["class_field"], str) or not data["class_field"].strip():
            raise _mapping_error("class_field", _("must be a field name."))
        values["class_field"] = data["class_field"]
        raw_map = data.get("class_map") or {}
        if not isinstance(raw_map, MappingABC) or not raw_map:
            raise _mapping_error(
                "class_map", _("class_field needs a class_map of value -> class code.")
            )
        values["class_map"] = tuple(
            (_text_key(k), _class_code(v, f"class_map.{k}")) for k, v in raw_map.items()
        )
        unmapped = data.get("unmapped", "error")
        if unmapped not in ("skip", "error"):
            raise _mapping_error("unmapped", _("must be skip or error."))
        values["unmapped"] = unmapped
    elif data.get("class_map") is not None:
        raise _mapping_error("class_map", _("class_map needs class_field."))
    for name in (
        "name",
        "address",
        "status",
        "data_source",
        "initial_date",
        *ORGANIZATION_FIELDS,
        "source_key",
        "identifier",
    ):
        if data.get(name) is not None:
            values[name] = _parse_source(data[name], name)
    raw_attributes = data.get("attributes") or {}
    if not isinstance(raw_attributes, MappingABC):
        raise _mapping_error("attributes", _("must be an object of attribute -> source."))
    values["attributes"] = tuple(
        (str(target), _parse_source(src, f"attributes.{target}"))
        for target, src in raw_attributes.items()
    )
    return Mapping(**values)


def load_mapping(path: Path) -> Mapping:
    """Read a mapping file: ``.json`` as JSON, anything else as YAML (a superset of JSON)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(
            _("The mapping file %(name)s cannot be read: %(reason)s")
            % {"name": path.name, "reason": exc}
        ) from None
    try:
        if path.suffix.lower() == ".json":
            data = parsing.loads(text, "mapping")
        else:
            data = yaml.safe_load(text)
            parsing.check_tree(data, "mapping")
    except (ValueError, yaml.YAMLError, RecursionError, InvalidInput) as exc:
        raise MappingError(
            _("The mapping file %(name)s is not valid %(kind)s: %(reason)s")
            % {
                "name": path.name,
                "kind": "JSON" if path.suffix.lower() == ".json" else "YAML",
                "reason": exc,
            }
        ) from None
    return parse_mapping(data)


def with_options(
    mapping: Mapping,
    *,
    class_code: str | None = None,
    name_field: str | None = None,
    organizations: dict[str, str | None] | None = None,
) -> Mapping:
    """Fold the command-line shortcuts into a mapping: ``--class`` and ``--name-field`` fill
    what the mapping leaves open (a conflict is an error); ``--owner`` and friends are the
    fixed value when the mapping has none, or the default for empty cells when it maps a
    field."""
    changes: dict[str, Any] = {}
    if class_code:
        code = _class_code(class_code, "class")
        if mapping.class_field or (mapping.class_code and mapping.class_code != code):
            raise MappingError(
                _("--class %(code)s conflicts with the class given by the mapping.")
                % {"code": code},
                field="class",
            )
        changes["class_code"] = code
    if name_field:
        if mapping.name is not None and mapping.name.field != name_field:
            raise MappingError(
                _("--name-field conflicts with the name given by the mapping."), field="name_field"
            )
        changes["name"] = Source(field=name_field)
    for name, value in (organizations or {}).items():
        if not value:
            continue
        current: Source | None = getattr(mapping, name)
        if current is None:
            changes[name] = Source(value=value)
        elif current.field is not None and current.default is None:
            changes[name] = replace(current, default=value)
    return replace(mapping, **changes)


# --- converting values -------------------------------------------------------------------


class ValueProblem(ValueError):
    """A value that cannot be converted; the message is shown to the user."""


# Distinct cells remembered per column and batch (beyond, computed each time).
_DISTINCT_LIMIT: Final = 100_000


def _same(value: Any) -> Any:
    return value


_MISSING: Final = object()


def blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueProblem(_("%(v)s is not a whole number") % {"v": _show(value)})
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueProblem(_("%(v)s is not a whole number") % {"v": _show(value)}) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueProblem(_("%(v)s is not a whole number") % {"v": _show(value)})
    return int(number)


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueProblem(_("%(v)s is not a number") % {"v": _show(value)})
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", ""))
        except ValueError:
            raise ValueProblem(_("%(v)s is not a number") % {"v": _show(value)}) from None
    if not math.isfinite(number):
        raise ValueProblem(_("%(v)s is not a finite number") % {"v": _show(value)})
    return int(number) if number.is_integer() and not isinstance(value, float) else number


def to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueProblem(
        _("%(v)s is not a yes/no value (是/否, true/false, 1/0, Y/N)") % {"v": _show(value)}
    )


def to_string(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def to_date(value: Any, fmt: str | None = None) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = to_string(value)
    formats = (fmt,) if fmt else DATE_FORMATS
    for candidate in formats:
        try:
            return dt.datetime.strptime(text, candidate).date()
        except ValueError:
            continue
    match = _DATETIME_PREFIX.match(text) if not fmt else None
    if match:
        return to_date(match.group(1))
    expected = fmt or "2019-04-01, 2019/4/1, 2019.4.1, 2019年4月1日 or 20190401"
    raise ValueProblem(_("%(v)s is not a date (%(fmt)s)") % {"v": _show(value), "fmt": expected})


def to_past_date(value: Any, fmt: str | None = None) -> dt.date:
    """``to_date``, refusing a date after today (Asia/Shanghai, with the API's grace for a
    clock running ahead): the date a component was built or surveyed is in the past."""
    parsed = to_date(value, fmt)
    if parsed > latest_date():
        raise ValueProblem(
            _("%(v)s is in the future; today is %(today)s (China Standard Time)")
            % {"v": parsed.isoformat(), "today": timezone.localdate().isoformat()}
        )
    return parsed


def _schema_type(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "enum"
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else "string"
    return str(kind)


def convert(value: Any, spec: dict[str, Any]) -> Any:
    """A source value -> the JSON type the attribute's schema asks for."""
    kind = _schema_type(spec)
    if kind == "integer":
        return to_integer(value)
    if kind == "number":
        return to_number(value)
    if kind == "boolean":
        return to_boolean(value)
    if kind == "enum":
        options = list(spec["enum"])
        if value in options:
            return value
        text = to_string(value)
        if text in options:
            return text
        raise ValueProblem(
            _("%(v)s is not one of %(options)s")
            % {"v": _show(value), "options": ", ".join(str(o) for o in options)}
        )
    return to_string(value)


# --- binding a mapping to the catalog and the organizations ------------------------------


@dataclass(slots=True)
class RowValues:
    """What one row maps to (before geometry and database checks)."""

    class_code: str | None = None
    name: str = ""
    address: str = ""
    status: str | None = None  # None: not given (new components get "good")
    data_source: str | None = None  # None: not given (new components get "other")
    initial_date: dt.date | None = None
    organizations: dict[str, int] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    source_key: str = ""
    identifier: str = ""
    skip: str | None = None  # reason to skip the row (not an error)
    errors: tuple[tuple[str, str, str], ...] = ()  # (field, target, message)


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
        self._seen: dict[tuple[str, type, Any], bool] = {}

    def value_ok(self, name: str, value: Any) -> bool:
        """Whether ``value`` satisfies the schema of property ``name``."""
        check = self.checks.get(name)
        if check is None:
            return self.extra
        key: tuple[str, type, Any] | None = (name, type(value), value)
        try:
            ok = self._seen.get(key)  # type: ignore[arg-type]
        except TypeError:  # an unhashable value (a list, an object)
            key, ok = None, None
        if ok is None:
            try:
                check(value)
                ok = True
            except fastjsonschema.JsonSchemaException:
                ok = False
            if key is not None and len(self._seen) < 100_000:
                self._seen[key] = ok
        return ok

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


class BoundMapping:
    """A mapping checked against the file's fields, the catalog and the organizations;
    ``row(values)`` maps one row."""

    def __init__(self, mapping: Mapping, fields: list[str]) -> None:
        self.mapping = mapping
        missing = [name for name in mapping.fields() if name not in fields]
        if missing:
            raise MappingError(
                _(
                    "The mapping names the field %(name)r, which the file does not have; its "
                    "fields are: %(fields)s."
                )
                % {"name": missing[0], "fields": ", ".join(repr(f) for f in fields) or "-"},
                field="mapping",
            )
        codes = (
            [mapping.class_code]
            if mapping.class_code
            else sorted({c for _v, c in mapping.class_map})
        )
        if not codes:
            raise MappingError(
                _("No component class: give --class CODE, or class / class_field in the mapping."),
                field="class",
            )
        found = {c.code: c for c in ComponentClass.objects.filter(code__in=codes, active=True)}
        for code in codes:
            klass = found.get(code)
            if klass is None or not klass.is_minor:
                raise MappingError(
                    _("Unknown component class %(code)r.") % {"code": code}, field="class"
                )
        self.classes: dict[str, ComponentClass] = found
        self.kinds = {code: GeometryKind(k.geometry_kind) for code, k in found.items()}
        # size limits of each class's geometries: (maximum area in m², maximum vertices)
        self.limits: dict[str, tuple[float | None, int | None]] = {
            code: (k.max_area_m2, k.max_vertices) for code, k in found.items()
        }
        self.validators = {
            code: Draft202012Validator(k.attribute_schema or {"type": "object"})
            for code, k in found.items()
        }
        self.property_checks = {
            code: property_check(k.attribute_schema or {"type": "object"})
            for code, k in found.items()
        }
        self.quick_checks = {
            code: quick_check(k.attribute_schema or {"type": "object"}) for code, k in found.items()
        }
        self.properties = {
            code: dict((k.attribute_schema or {}).get("properties", {}))
            for code, k in found.items()
        }
        for target, _src in mapping.attributes:
            if not any(target in props for props in self.properties.values()):
                raise MappingError(
                    _(
                        "attributes.%(name)s: no class of this import has the attribute "
                        "%(name)r (%(classes)s)."
                    )
                    % {
                        "name": target,
                        "classes": "; ".join(
                            f"{code}: {', '.join(sorted(p)) or '-'}"
                            for code, p in sorted(self.properties.items())
                        ),
                    },
                    field=f"mapping.attributes.{target}",
                )
        for name in ORGANIZATION_FIELDS:
            if getattr(mapping, name) is None:
                raise MappingError(
                    _("No %(name)s: give --%(flag)s ORG, or %(name)s in the mapping.")
                    % {"name": name, "flag": name.replace("_", "-")},
                    field=name,
                )
        self._by_code: dict[str, int] = {}
        self._by_name: dict[str, int] = {}
        for pk, code, org_name in Organization.objects.filter(active=True).values_list(
            "id", "code", "name"
        ):
            self._by_code[code] = pk
            self._by_name[org_name] = pk
        self.class_of_value = dict(mapping.class_map)
        self._fixed_orgs: dict[str, int] = {}
        for name in ORGANIZATION_FIELDS:
            src: Source = getattr(mapping, name)
            for candidate in (src.value if src.fixed else None, src.default):
                if candidate is not None and self._organization(candidate, src.by) is None:
                    raise MappingError(
                        _("%(name)s: unknown organization %(org)r (give its code or its name).")
                        % {"name": name, "org": candidate},
                        field=name,
                    )
            if src.fixed:
                org = self._organization(src.value, src.by)
                assert org is not None
                self._fixed_orgs[name] = org
        if mapping.status is not None and mapping.status.fixed:
            self._choice(mapping.status.value, "status")
        if mapping.data_source is not None and mapping.data_source.fixed:
            self._choice(mapping.data_source.value, "data_source")
        self._valid_cache: dict[tuple[str, str], list[tuple[str, str]]] = {}
        # Conversions repeat the same few values many times (dates, sizes, yes/no): each
        # distinct value is converted once.
        self._converted: dict[tuple[Any, ...], tuple[bool, Any]] = {}
        self._attributes: dict[tuple[Any, ...], tuple[bool, Any, bool]] = {}

    def organization_codes(self) -> dict[int, str]:
        """Organization id -> code."""
        return {pk: code for code, pk in self._by_code.items()}

    # -- lookups ---------------------------------------------------------------------------

    def _organization(self, value: Any, by: str) -> int | None:
        key = to_string(value)
        if by in ("code", "code_or_name") and key in self._by_code:
            return self._by_code[key]
        if by in ("name", "code_or_name") and key in self._by_name:
            return self._by_name[key]
        return None

    def _organization_of(self, by: str, value: Any) -> int | None:
        return None if value is None else self._organization(value, by)

    def _choice(self, value: Any, name: str) -> str:
        words = STATUS_WORDS if name == "status" else DATA_SOURCE_WORDS
        choices = ComponentStatus.values if name == "status" else DataSource.values
        key = to_string(value)
        if key in choices:
            return key
        if key.lower() in choices:
            return key.lower()
        if key in words:
            return str(words[key])
        raise ValueProblem(
            _("%(v)s is not a %(name)s (%(options)s)")
            % {
                "v": _show(value),
                "name": name,
                "options": ", ".join([*choices, *words]),
            }
        )

    # -- rows ------------------------------------------------------------------------------

    def row(self, columns: dict[str, list[Any]], i: int) -> RowValues:
        """Map row ``i`` of a batch's columns."""
        return self.rows(columns, [i])[0]

    def _per_value(
        self,
        src: Source,
        columns: dict[str, list[Any]],
        rows: list[int],
        compute: Callable[[Any], Any],
    ) -> list[Any]:
        """``compute`` of the value of ``src`` in each of ``rows`` (indexes into the
        columns): a fixed value as it is; a cell made None when blank, then through the
        source's value map and default. Each distinct cell is computed once."""
        if src.fixed:
            return [compute(src.value)] * len(rows)
        column = columns[src.field]  # type: ignore[index]
        texts: dict[str, Any] = {}  # most cells are text: keyed by the text itself
        others: dict[tuple[type, Any], Any] = {}  # 1, 1.0 and True apart
        out: list[Any] = []
        append = out.append
        mapped = src.mapped if src.map or src.default is not None else _same
        remember = True
        for i in rows:
            raw = column[i]
            if type(raw) is str:
                result = texts.get(raw, _MISSING)
                if result is _MISSING:
                    result = compute(mapped(raw if raw.strip() else None))
                    if remember:
                        texts[raw] = result
                        remember = len(texts) < _DISTINCT_LIMIT
                append(result)
                continue
            try:
                key = (type(raw), raw)
                result = others.get(key, _MISSING)
            except TypeError:  # an unhashable cell (a list from a JSON property)
                key, result = None, _MISSING
            if result is _MISSING:
                result = compute(mapped(None if blank(raw) else raw))
                if key is not None and len(others) < _DISTINCT_LIMIT:
                    others[key] = result
            append(result)
        return out

    def rows(self, columns: dict[str, list[Any]], todo: Sequence[int]) -> list[RowValues]:
        """Map the rows ``todo`` of a batch's columns (one RowValues per row, in order).

        Works column by column -- each source column read once, each distinct value
        converted once -- with the problems of a row in the order of its fields."""
        m = self.mapping
        index = list(todo)
        k = len(index)
        problems: dict[int, list[tuple[str, str, str]]] = defaultdict(list)  # position ->
        skips: dict[int, str] = {}

        def problem(j: int, src: Source | None, target: str, message: str) -> None:
            problems[j].append((src.field if src and src.field else target, target, message))

        # class
        classes: list[str | None]
        if m.class_code:
            classes = [m.class_code] * k
            live = list(range(k))  # positions still being mapped
        else:
            assert m.class_field is not None
            keys = self._per_value(
                Source(field=m.class_field),
                columns,
                index,
                lambda v: "" if v is None else _text_key(v),
            )
            classes = [self.class_of_value.get(key) for key in keys]
            live = [j for j in range(k) if classes[j] is not None]
            if len(live) < k:
                known = ", ".join(self.class_of_value)
                for j in range(k):
                    if classes[j] is not None:
                        continue
                    if m.unmapped == "skip":
                        skips[j] = _("class value %(v)s is not mapped") % {"v": _show(keys[j])}
                    else:
                        problems[j].append(
                            (
                                m.class_field,
                                "class",
                                _("%(v)s is not in class_map (%(known)s)")
                                % {"v": _show(keys[j]), "known": known},
                            )
                        )
        rows = [index[j] for j in live]
        every = len(live) == k
        # texts
        texts: dict[str, list[str]] = {}
        for name in ("name", "address", "source_key", "identifier"):
            src = getattr(m, name)
            texts[name] = values = [""] * k
            if src is None or not live:
                continue
            results = self._per_value(src, columns, rows, self._text_check(name))
            if every and not any(type(r) is ValueProblem for r in results):
                texts[name] = results
                continue
            for j, result in zip(live, results, strict=True):
                if type(result) is ValueProblem:
                    problem(j, src, name, str(result))
                else:
                    values[j] = result
        # choices and the date: None when not given
        given: dict[str, list[Any]] = {}
        for name in ("status", "data_source", "initial_date"):
            src = getattr(m, name)
            given[name] = chosen = [None] * k
            if src is None or not live:
                continue
            if name == "initial_date":
                fmt = src.format
                compute = partial(self._checked, ("date", fmt), to_past_date, fmt)
            else:
                compute = partial(self._checked, (name,), self._choice, name)
            for j, result in zip(live, self._per_value(src, columns, rows, compute), strict=True):
                if type(result) is ValueProblem:
                    problem(j, src, name, str(result))
                else:
                    chosen[j] = result
        # organizations
        fixed = {
            name: self._fixed_orgs[name] for name in ORGANIZATION_FIELDS if name in self._fixed_orgs
        }
        organizations: list[dict[str, int]]
        if len(fixed) == len(ORGANIZATION_FIELDS):  # one dict for all rows, only read
            organizations = [fixed] * k
        else:
            organizations = [dict(fixed) for _ in range(k)]
            for name in ORGANIZATION_FIELDS:
                if name in fixed or not live:
                    continue
                src = getattr(m, name)
                found = self._per_value(src, columns, rows, partial(self._organization_of, src.by))
                cells = self._per_value(src, columns, rows, _same) if None in found else found
                for j, org, cell in zip(live, found, cells, strict=True):
                    if org is not None:
                        organizations[j][name] = org
                    elif cell is None:
                        problem(j, src, name, _("empty, and no default organization given"))
                    else:
                        problem(j, src, name, _("unknown organization %(v)s") % {"v": _show(cell)})
        # attributes: each distinct value converted and checked against its property's
        # schema once; only the rows with a doubtful value (or a class whose schema is not
        # per-property) go through the whole-document validation
        attributes: list[dict[str, Any]] = [{} for _ in range(k)]
        doubtful: set[int] = set()
        by_class: dict[str, list[int]] = defaultdict(list)
        if m.attributes:
            for j in live:
                by_class[classes[j]].append(j)  # type: ignore[index]
        for target, src in m.attributes:
            for code, members in by_class.items():
                spec = self.properties[code].get(target)
                if spec is None:
                    continue  # not an attribute of this class
                results = self._per_value(
                    src,
                    columns,
                    [index[j] for j in members],
                    partial(self._attribute, code, target, spec),
                )
                for j, result in zip(members, results, strict=True):
                    if result is None:
                        continue
                    ok, value, fine = result
                    if ok:
                        attributes[j][target] = value
                        if not fine:
                            doubtful.add(j)
                    else:
                        problem(j, src, f"attributes.{target}", value)
        if m.attributes:
            sources = dict(m.attributes)
            for j in live:
                document = attributes[j]
                if not document:
                    continue
                klass = classes[j]
                assert klass is not None
                check = self.property_checks[klass]
                if j not in doubtful and check is not None and check.required <= document.keys():
                    continue
                for target, message in self.validate(klass, document):
                    problem(j, sources.get(target.removeprefix("attributes.")), target, message)
        skip: list[str | None] = [None] * k
        for j, reason in skips.items():
            skip[j] = reason
        errors: list[tuple[tuple[str, str, str], ...]] = [()] * k
        for j, listed in problems.items():
            errors[j] = tuple(listed)
        return list(
            map(
                RowValues,
                classes,
                texts["name"],
                texts["address"],
                given["status"],
                given["data_source"],
                given["initial_date"],
                organizations,
                attributes,
                texts["source_key"],
                texts["identifier"],
                skip,
                errors,
            )
        )

    def _text_check(self, name: str) -> Callable[[Any], Any]:
        """A value -> its text for the field ``name`` ("" when not given), or a
        ``ValueProblem`` when longer than the field allows."""
        limit = TEXT_LIMITS[name]

        def check(value: Any) -> Any:
            if value is None:
                return ""
            text = value.strip() if type(value) is str else to_string(value)
            if len(text) > limit:
                return ValueProblem(
                    _("longer than %(n)d characters (%(len)d)") % {"n": limit, "len": len(text)}
                )
            return text

        return check

    def _checked(self, key: tuple[Any, ...], do: Callable[..., Any], arg: Any, value: Any) -> Any:
        """``do(value, arg)``, or the ``ValueProblem`` it raised; None for None (cached by
        ``_convert`` under ``key`` + the value)."""
        if value is None:
            return None
        ok, result = self._convert((*key, type(value), value), do, value, arg)
        return result if ok else ValueProblem(result)

    def _attribute(
        self, code: str, target: str, spec: dict[str, Any], value: Any
    ) -> tuple[bool, Any, bool] | None:
        """(converted, value or message, the value satisfies its property's schema); None
        for None (not given)."""
        if value is None:
            return None
        key: tuple[Any, ...] = (code, target, type(value), value)
        try:
            cached = self._attributes.get(key)
        except TypeError:  # an unhashable value
            cached, key = None, ()
        if cached is not None:
            return cached
        try:
            ok, result = True, convert(value, spec)
        except ValueProblem as exc:
            ok, result = False, str(exc)
        check = self.property_checks[code]
        entry = (ok, result, ok and check is not None and check.value_ok(target, result))
        if key and len(self._attributes) < 100_000:
            self._attributes[key] = entry
        return entry

    def _convert(
        self, key: tuple[Any, ...], do: Callable[..., Any], *args: Any
    ) -> tuple[bool, Any]:
        """(True, value) or (False, message), cached by ``key`` when it is hashable."""
        try:
            cached = self._converted.get(key)
        except TypeError:  # an unhashable value (a list from a JSON property)
            cached, key = None, ()
        if cached is not None:
            return cached
        try:
            result: tuple[bool, Any] = (True, do(*args))
        except ValueProblem as exc:
            result = (False, str(exc))
        if key and len(self._converted) < 100_000:
            self._converted[key] = result
        return result

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
        cached = self._valid_cache.get(key)
        if cached is not None:
            return cached
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
        if len(self._valid_cache) < 100_000:
            self._valid_cache[key] = problems
        return problems
