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
    m = bound.mapping
    schemas = bound.schemas
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
        keys = per_value(
            Source(field=m.class_field),
            columns,
            index,
            lambda v: "" if v is None else text_key(v),
        )
        classes = [bound.class_of_value.get(key) for key in keys]
        live = [j for j in range(k) if classes[j] is not None]
        if len(live) < k:
            known = ", ".join(bound.class_of_value)
            for j in range(k):
                if classes[j] is not None:
                    continue
                if m.unmapped == "skip":
                    skips[j] = _("class value %(v)s is not mapped") % {"v": show(keys[j])}
                else:
                    problems[j].append(
                        (
                            m.class_field,
                            "class",
                            _("%(v)s is not in class_map (%(known)s)")
                            % {"v": show(keys[j]), "known": known},
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
        results = per_value(src, columns, rows, text_check(name))
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
            compute = partial(bound.checked, ("date", fmt), to_past_date, fmt)
        else:
            compute = partial(bound.checked, (name,), to_choice, name)
        for j, result in zip(live, per_value(src, columns, rows, compute), strict=True):
            if type(result) is ValueProblem:
                problem(j, src, name, str(result))
            else:
                chosen[j] = result
    # organizations
    fixed = {
        name: bound.fixed_orgs[name] for name in ORGANIZATION_FIELDS if name in bound.fixed_orgs
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
            found = per_value(src, columns, rows, partial(bound.organization_of, src.by))
            cells = per_value(src, columns, rows, _same) if None in found else found
            for j, org, cell in zip(live, found, cells, strict=True):
                if org is not None:
                    organizations[j][name] = org
                elif cell is None:
                    problem(j, src, name, _("empty, and no default organization given"))
                else:
                    problem(j, src, name, _("unknown organization %(v)s") % {"v": show(cell)})
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
            spec = schemas.properties[code].get(target)
            if spec is None:
                continue  # not an attribute of this class
            results = per_value(
                src,
                columns,
                [index[j] for j in members],
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
                    problem(j, src, f"attributes.{target}", value)
    if m.attributes:
        sources = dict(m.attributes)
        for j in live:
            document = attributes[j]
            if not document:
                continue
            klass = classes[j]
            assert klass is not None
            check = schemas.property_checks[klass]
            if j not in doubtful and check is not None and check.required <= document.keys():
                continue
            for target, message in schemas.validate(klass, document):
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
