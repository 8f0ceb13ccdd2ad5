"""The importer's quick attribute checks (the whole document, or one property at a time,
both with fastjsonschema) never pass a value that the full JSON Schema validator refuses,
for every class schema of the catalog."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from component_catalog.catalog_data import CLASSES
from importers.mapping import property_check, quick_check

CANDIDATES: list[Any] = [
    None, True, False, 0, 1, -1, 2.5, -0.5, 1e9, -1e9, 10**12, "", "x", "是", "1", "2.5",
    "2019-05-01", "2019-5-1", "Mo-Su 05:30-23:00", "24/7", "a" * 500, [], [1], {}, {"a": 1},
]  # fmt: skip


def _values(spec: dict[str, Any]) -> list[Any]:
    found = list(CANDIDATES)
    found += list(spec.get("enum", []))
    for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if bound in spec:
            b = spec[bound]
            found += [b, b - 1, b + 1, b - 0.001, b + 0.001]
    for length in ("maxLength", "minLength"):
        if length in spec:
            found += [
                "字" * spec[length],
                "字" * (spec[length] + 1),
                "字" * max(spec[length] - 1, 0),
            ]
    return found


SCHEMAS = [(c["code"], c["attributes"]) for c in CLASSES if c.get("attributes")]


def _whole(schema: dict[str, Any]) -> Callable[[dict[str, Any]], bool] | None:
    check = quick_check(schema)
    if check is None:
        return None

    def passes(document: dict[str, Any]) -> bool:
        try:
            check(document)
        except Exception:  # noqa: BLE001 (any refusal sends the row to the full validator)
            return False
        return True

    return passes


@pytest.mark.parametrize("checker", [_whole, property_check], ids=["whole", "per-property"])
@pytest.mark.parametrize(("code", "schema"), SCHEMAS, ids=[code for code, _ in SCHEMAS])
def test_quick_check_never_passes_what_the_full_validator_refuses(
    code: str, schema: dict[str, Any], checker: Callable[..., Any]
) -> None:
    check = checker(schema)
    assert check is not None, f"class {code}: its schema does not compile for the quick check"
    full = Draft202012Validator(schema)
    properties = schema.get("properties", {})
    tried = refused = 0
    documents: list[dict[str, Any]] = [{}, {"unknown_field": 1}]
    for name, spec in properties.items():
        documents += [{name: value} for value in _values(spec)]
    names = list(properties)
    for a, b in itertools.combinations(names[:6], 2):  # pairs, for dependencies between fields
        documents += [
            {a: va, b: vb} for va in _values(properties[a])[:8] for vb in _values(properties[b])[:8]
        ]
    for document in documents * 2:  # twice: the per-property check remembers values
        tried += 1
        if not check(document):
            refused += 1
            continue
        assert full.is_valid(document), (code, document)
    assert refused, f"class {code}: the candidates never exercised a refusal"
