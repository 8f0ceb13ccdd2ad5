"""Mapping a batch's rows, column by column: each source column read once per field, each
distinct cell converted once (a dictionary look-up per cell), attributes converted per
class group, and one ``RowValues`` made per row at the end, with the row's problems in the
order of its fields."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from django.utils.translation import gettext as _

from importers.mapping.convert import (
    ValueProblem,
    blank,
    show,
    text_check,
    to_choice,
    to_past_date,
)
from importers.mapping.parse import ORGANIZATION_FIELDS, Source, text_key

if TYPE_CHECKING:
    from importers.mapping.bind import BoundMapping

# Distinct cells remembered per column and batch (beyond, computed each time).
_DISTINCT_LIMIT: Final = 100_000


def _same(value: Any) -> Any:
    return value


_MISSING: Final = object()


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


def per_value(
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


def map_rows(
    bound: BoundMapping, columns: dict[str, list[Any]], todo: Sequence[int]
) -> list[RowValues]:
    """Map the rows ``todo`` of a batch's columns (one RowValues per row, in order).

    Works column by column -- each source column read once, each distinct value
    converted once -- with the problems of a row in the order of its fields."""
    return _BatchRows(bound, columns, todo).values()


class _BatchRows:
    """One ``map_rows`` call: the batch's rows to map, by position ``j`` (0 .. k-1), and
    the problems and skips found so far. Each part of a row (class, texts, choices and
    date, organizations, attributes) is mapped for all rows at once, in that order."""

    def __init__(
        self, bound: BoundMapping, columns: dict[str, list[Any]], todo: Sequence[int]
    ) -> None:
        self.bound = bound
        self.mapping = bound.mapping
        self.columns = columns
        self.index = list(todo)  # position -> row of the columns
        self.k = len(self.index)
        self.problems: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        self.skips: dict[int, str] = {}
        self.classes, self.live = self._classes()  # live: positions still being mapped
        self.rows = [self.index[j] for j in self.live]

    def problem(self, j: int, src: Source | None, target: str, message: str) -> None:
        self.problems[j].append((src.field if src and src.field else target, target, message))

    def values(self) -> list[RowValues]:
        k = self.k
        texts = self._texts()
        given = self._given()
        organizations = self._organizations()
        attributes = self._attributes()
        skip: list[str | None] = [None] * k
        for j, reason in self.skips.items():
            skip[j] = reason
        errors: list[tuple[tuple[str, str, str], ...]] = [()] * k
        for j, listed in self.problems.items():
            errors[j] = tuple(listed)
        return list(
            map(
                RowValues,
                self.classes,
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

    def _classes(self) -> tuple[list[str | None], list[int]]:
        """Each row's class (None where its value is not mapped: skipped or a problem)
        and the positions that have one."""
        m, k = self.mapping, self.k
        if m.class_code:
            return [m.class_code] * k, list(range(k))
        assert m.class_field is not None
        class_of_value = self.bound.class_of_value
        keys = per_value(
            Source(field=m.class_field),
            self.columns,
            self.index,
            lambda v: "" if v is None else text_key(v),
        )
        classes = [class_of_value.get(key) for key in keys]
        live = [j for j in range(k) if classes[j] is not None]
        if len(live) < k:
            known = ", ".join(class_of_value)
            for j in range(k):
                if classes[j] is not None:
                    continue
                if m.unmapped == "skip":
                    self.skips[j] = _("class value %(v)s is not mapped") % {"v": show(keys[j])}
                else:
                    self.problems[j].append(
                        (
                            m.class_field,
                            "class",
                            _("%(v)s is not in class_map (%(known)s)")
                            % {"v": show(keys[j]), "known": known},
                        )
                    )
        return classes, live

    def _texts(self) -> dict[str, list[str]]:
        """Name, address, source key and identifier ("" when not given)."""
        k, live, rows = self.k, self.live, self.rows
        every = len(live) == k
        texts: dict[str, list[str]] = {}
        for name in ("name", "address", "source_key", "identifier"):
            src = getattr(self.mapping, name)
            texts[name] = values = [""] * k
            if src is None or not live:
                continue
            results = per_value(src, self.columns, rows, text_check(name))
            if every and not any(type(r) is ValueProblem for r in results):
                texts[name] = results
                continue
            self._keep(results, values, src, name)
        return texts

    def _given(self) -> dict[str, list[Any]]:
        """Status, data source and initial date: None when not given."""
        bound, live = self.bound, self.live
        given: dict[str, list[Any]] = {}
        for name in ("status", "data_source", "initial_date"):
            src = getattr(self.mapping, name)
            given[name] = chosen = [None] * self.k
            if src is None or not live:
                continue
            if name == "initial_date":
                fmt = src.format
                compute = partial(bound.checked, ("date", fmt), to_past_date, fmt)
            else:
                compute = partial(bound.checked, (name,), to_choice, name)
            self._keep(per_value(src, self.columns, self.rows, compute), chosen, src, name)
        return given

    def _keep(self, results: list[Any], into: list[Any], src: Source, name: str) -> None:
        """The live rows' ``results`` into ``into`` (by position); a ``ValueProblem`` is
        the row's problem with field ``name`` instead."""
        for j, result in zip(self.live, results, strict=True):
            if type(result) is ValueProblem:
                self.problem(j, src, name, str(result))
            else:
                into[j] = result

    def _organizations(self) -> list[dict[str, int]]:
        """Each row's organization ids by role (one shared dict when all are fixed)."""
        bound, k, live, rows = self.bound, self.k, self.live, self.rows
        fixed = {
            name: bound.fixed_orgs[name] for name in ORGANIZATION_FIELDS if name in bound.fixed_orgs
        }
        if len(fixed) == len(ORGANIZATION_FIELDS):  # one dict for all rows, only read
            return [fixed] * k
        organizations = [dict(fixed) for _ in range(k)]
        for name in ORGANIZATION_FIELDS:
            if name in fixed or not live:
                continue
            src = getattr(self.mapping, name)
            found = per_value(src, self.columns, rows, partial(bound.organization_of, src.by))
            cells = per_value(src, self.columns, rows, _same) if None in found else found
            for j, org, cell in zip(live, found, cells, strict=True):
                if org is not None:
                    organizations[j][name] = org
                elif cell is None:
                    self.problem(j, src, name, _("empty, and no default organization given"))
                else:
                    self.problem(j, src, name, _("unknown organization %(v)s") % {"v": show(cell)})
        return organizations

    def _attributes(self) -> list[dict[str, Any]]:
        """Each row's attributes: each distinct value converted and checked against its
        property's schema once; only the rows with a doubtful value (or a class whose
        schema is not per-property) go through the whole-document validation."""
        m, schemas, classes = self.mapping, self.bound.schemas, self.classes
        attributes: list[dict[str, Any]] = [{} for _ in range(self.k)]
        if not m.attributes:
            return attributes
        doubtful: set[int] = set()
        by_class: dict[str, list[int]] = defaultdict(list)
        for j in self.live:
            by_class[classes[j]].append(j)  # type: ignore[index]
        for target, src in m.attributes:
            for code, members in by_class.items():
                spec = schemas.properties[code].get(target)
                if spec is None:
                    continue  # not an attribute of this class
                results = per_value(
                    src,
                    self.columns,
                    [self.index[j] for j in members],
                    partial(schemas.attribute, code, target, spec),
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
                        self.problem(j, src, f"attributes.{target}", value)
        sources = dict(m.attributes)
        for j in self.live:
            document = attributes[j]
            if not document:
                continue
            klass = classes[j]
            assert klass is not None
            check = schemas.property_checks[klass]
            if j not in doubtful and check is not None and check.required <= document.keys():
                continue
            for target, message in schemas.validate(klass, document):
                self.problem(j, sources.get(target.removeprefix("attributes.")), target, message)
        return attributes
