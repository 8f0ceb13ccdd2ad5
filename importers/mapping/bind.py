"""Binding a mapping to a file and the platform: its fields checked against the file's,
its classes against the catalog (active minor classes), its attributes against their
schemas, its organizations (codes or names) against the active organizations. A bound
mapping maps rows (``rows``, column by column in ``importers.mapping.rows``) and caches
each distinct converted value."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.utils.translation import gettext as _

from component_catalog.models import ComponentClass, GeometryKind
from gis_app.models import Organization
from importers.mapping.convert import DistinctCache, ValueProblem, attempt, to_choice, to_string
from importers.mapping.parse import ORGANIZATION_FIELDS, Mapping, MappingError, Source
from importers.mapping.rows import RowValues, map_rows
from importers.mapping.schema import AttributeSchemas


class BoundMapping:
    """A mapping checked against the file's fields, the catalog and the organizations;
    ``rows`` maps a batch's rows."""

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
        self.schemas = AttributeSchemas(found)
        self.properties = self.schemas.properties
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
        self.fixed_orgs: dict[str, int] = {}
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
                self.fixed_orgs[name] = org
        if mapping.status is not None and mapping.status.fixed:
            to_choice(mapping.status.value, "status")
        if mapping.data_source is not None and mapping.data_source.fixed:
            to_choice(mapping.data_source.value, "data_source")
        # Conversions repeat the same few values many times (dates, sizes, yes/no): each
        # distinct value is converted once.
        self._converted: DistinctCache[tuple[bool, Any]] = DistinctCache()

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

    def organization_of(self, by: str, value: Any) -> int | None:
        return None if value is None else self._organization(value, by)

    # -- rows ------------------------------------------------------------------------------

    def row(self, columns: dict[str, list[Any]], i: int) -> RowValues:
        """Map row ``i`` of a batch's columns."""
        return self.rows(columns, [i])[0]

    def rows(self, columns: dict[str, list[Any]], todo: Sequence[int]) -> list[RowValues]:
        """Map the rows ``todo`` of a batch's columns (one RowValues per row, in order):
        ``importers.mapping.rows.map_rows``."""
        return map_rows(self, columns, todo)

    def checked(self, key: tuple[Any, ...], do: Callable[..., Any], arg: Any, value: Any) -> Any:
        """``do(value, arg)``, or the ``ValueProblem`` it raised; None for None (each
        distinct value computed once, under ``key`` + the value)."""
        if value is None:
            return None
        ok, result = self._converted.get(
            (*key, type(value), value), partial(attempt, do, value, arg)
        )
        return result if ok else ValueProblem(result)
