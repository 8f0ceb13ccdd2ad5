"""Parsing a mapping: the YAML or JSON object (format in ``importers.mapping``) checked
key by key into a ``Mapping`` of ``Source``s, refused as a whole with a ``MappingError``
naming the key at fault; and the command-line shortcuts folded in (``with_options``)."""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import yaml
from django.utils.translation import gettext as _

from gis_app import parsing
from gis_app.errors import InvalidInput

ORGANIZATION_FIELDS: Final = ("competent_department", "owner", "maintainer")
# the keys whose value is one source, in the order a mapping is described
SOURCE_NAMES: Final = (
    "name",
    "address",
    "status",
    "data_source",
    "initial_date",
    *ORGANIZATION_FIELDS,
    "source_key",
    "identifier",
)
_KEYS: Final = frozenset(
    {
        "class",
        "class_field",
        "class_map",
        "unmapped",
        "attributes",
        *SOURCE_NAMES,
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
            key = text_key(raw)
            for source, target in self.map:
                if source == key:
                    return target
        return raw

    def describe(self) -> str:
        return self.field if self.field is not None else "(fixed)"


def text_key(raw: Any) -> str:
    """A cell as the text a value map or class map is keyed by (15.0 as "15")."""
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
        map=tuple((text_key(k), v) for k, v in raw_map.items()),
        default=value.get("default"),
        format=fmt,
        by=by,
    )


# --- the mapping -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping: where each component property of a row comes from."""

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
        for name in SOURCE_NAMES:
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
            (text_key(k), _class_code(v, f"class_map.{k}")) for k, v in raw_map.items()
        )
        unmapped = data.get("unmapped", "error")
        if unmapped not in ("skip", "error"):
            raise _mapping_error("unmapped", _("must be skip or error."))
        values["unmapped"] = unmapped
    elif data.get("class_map") is not None:
        raise _mapping_error("class_map", _("class_map needs class_field."))
    for name in SOURCE_NAMES:
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
