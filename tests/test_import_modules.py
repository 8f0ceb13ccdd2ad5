"""The importer's pipeline and mapping stay packages of small modules of one concern each,
each saying what it holds, and the mapping's distinct-value cache computes each value once."""

from __future__ import annotations

import ast
from functools import partial
from pathlib import Path

import pytest

from importers.mapping.convert import DistinctCache

IMPORTERS = Path(__file__).resolve().parents[1] / "importers"
MAX_LINES = 450  # the modules were 1,753 and 1,128 lines before they were split


@pytest.mark.parametrize("package", ["pipeline", "mapping"])
def test_package_modules_are_small_and_say_what_they_hold(package: str) -> None:
    modules = sorted((IMPORTERS / package).glob("*.py"))
    assert len(modules) >= 5, f"importers/{package} should be a package of several modules"
    for path in modules:
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        assert lines <= MAX_LINES, f"{path.name}: {lines} lines"
        docstring = ast.get_docstring(ast.parse(text))
        assert docstring and len(docstring) > 40, f"{path.name}: no module docstring"


def test_batch_stages_are_named_functions_called_in_order() -> None:
    stages = ast.parse((IMPORTERS / "pipeline" / "stages.py").read_text(encoding="utf-8"))
    defined = [n.name for n in stages.body if isinstance(n, ast.FunctionDef)]
    order = ["map_rows", "check_geometry", "locate", "match_access_dedupe", "settle"]
    assert [name for name in defined if name in order] == order
    run = ast.parse((IMPORTERS / "pipeline" / "run.py").read_text(encoding="utf-8"))
    batch = next(n for n in ast.walk(run) if isinstance(n, ast.FunctionDef) and n.name == "_batch")
    called = [
        n.func.attr
        for n in ast.walk(batch)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "stages"
    ]
    assert called == order


def test_distinct_cache_computes_each_value_once() -> None:
    calls: list[object] = []

    def compute(value: object) -> object:
        calls.append(value)
        return repr(value)

    cache: DistinctCache[object] = DistinctCache(limit=2)
    values: list[object] = ["a", "a", 1, 1.0, True, "a"]
    for value in values:
        assert cache.get(("f", type(value), value), partial(compute, value)) == repr(value)
    # 1, 1.0 and True are told apart by type; "a" is remembered, 1.0 and True are beyond
    # the limit of two and computed each time they come
    assert calls == ["a", 1, 1.0, True]
    assert cache.get(("f", float, 1.0), lambda: compute(1.0)) == "1.0"
    assert calls[-1] == 1.0 and len(calls) == 5
    # an unhashable value (a list from a JSON property) is computed every time
    for _ in range(2):
        assert cache.get(("f", list, [1]), lambda: compute([1])) == "[1]"
    assert calls[-2:] == [[1], [1]]
