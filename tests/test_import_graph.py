"""The dependency picture (docs/ARCHITECTURE.md, "Layout and dependencies") as a test.

Every module of the project is parsed (``ast``: module-level, function-level and
``TYPE_CHECKING`` imports alike, relative imports resolved, ``importlib.import_module``
with a literal name too) and no import may point up the picture:
``gis_app`` <- ``layers`` <- ``component_catalog`` <- ``importers``, with ``tiles``,
``reports``, ``map_ui``, ``survey`` and ``community`` above them. Apps above plug into the
apps below through registries and ports the lower app defines and the higher app fills
in its ``AppConfig.ready`` (``layers.changes``, ``layers.ogc.sources``, ...).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ("gis_app", "layers", "component_catalog", "importers")
ABOVE = ("tiles", "community", "map_ui", "reports", "survey")

# package -> top-level packages it must never import: the core chain in order, then
# everything above the core
FORBIDDEN: dict[str, frozenset[str]] = {
    **{package: frozenset(ABOVE) | frozenset(CORE[i + 1 :]) for i, package in enumerate(CORE)},
    # tiles read what they need about a source from its registration (layers.ogc.sources)
    "tiles": frozenset({"component_catalog"}),
}
SKIPPED_DIRS = frozenset({".venv", "node_modules", ".local", ".git", "__pycache__"})
# The project's composition root: settings (INSTALLED_APPS), the URL tree and the server
# entry points name every app by design (gis_app/wsgi.py wraps the tile fast path around
# Django). They are the project, not the core app that shares the package.
PROJECT_MODULES = ("gis_app.settings", "gis_app.urls", "gis_app.wsgi", "gis_app.asgi")


def modules(root: Path) -> Iterator[tuple[str, Path]]:
    """(dotted module name, path) of every Python file under the packages of ``root``."""
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if SKIPPED_DIRS.intersection(parts):
            continue
        name = ".".join(parts)[: -len(".py")]
        yield name.removesuffix(".__init__"), path


def imported(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything the module imports, wherever it does."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            yield node.lineno, target
            if not node.module:  # ``from . import x``: x is a module of the package
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def violations(root: Path) -> list[str]:
    """Every import under ``root`` that points up the dependency picture."""
    found = []
    for module, path in modules(root):
        banned = FORBIDDEN.get(module.split(".")[0])
        if not banned or module.startswith(PROJECT_MODULES):
            continue
        for line, target in imported(module, path):
            if target.split(".")[0] in banned:
                found.append(f"{path.relative_to(root)}:{line}: {module} imports {target}")
    return found


def test_no_module_imports_up_the_dependency_picture() -> None:
    checked = {module.split(".")[0] for module, _path in modules(ROOT)}
    assert set(FORBIDDEN) <= checked  # the packages are where the test looks
    assert violations(ROOT) == []


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("relative", "text", "target"),
    [
        ("layers/changes.py", "from tiles import cache\n", "tiles"),
        ("gis_app/views.py", "import community.parking.models as m\n", "community.parking.models"),
        (
            "component_catalog/services.py",
            "def save():\n    if True:\n        from map_ui.views import home\n",
            "map_ui.views",
        ),
        (
            "importers/run.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from reports import pdf\n",
            "reports",
        ),
        ("layers/ogc/deep.py", "import json, survey.services\n", "survey.services"),
        (
            "importers/hooks.py",
            "import importlib\nhook = importlib.import_module('community.notify.hooks')\n",
            "community.notify.hooks",
        ),
        ("gis_app/access.py", "from layers.models import AdminArea\n", "layers.models"),
        ("layers/models.py", "from importers import jobs\n", "importers"),
        (
            "tiles/sources.py",
            "from component_catalog.models import Component\n",
            "component_catalog.models",
        ),
    ],
)
def test_an_upward_import_fails_the_test(
    tmp_path: Path, relative: str, text: str, target: str
) -> None:
    write(tmp_path, "layers/__init__.py", "")
    write(tmp_path, "layers/ogc/__init__.py", "")
    write(tmp_path, "layers/ogc/fine.py", "from ..models import Layer\nfrom . import sql\n")
    write(tmp_path, "tiles/fine.py", "from layers.ogc import sources\nfrom gis_app import access\n")
    write(tmp_path, "community/parking/fine.py", "from component_catalog import models\n")
    write(tmp_path, "gis_app/wsgi.py", "from tiles.fastpath import TileFastPath\n")
    assert violations(tmp_path) == []
    write(tmp_path, relative, text)
    found = violations(tmp_path)
    assert len(found) == 1 and found[0].endswith(f"imports {target}"), found
    assert found[0].startswith(f"{relative}:")
