"""The layer registry as tile requests see it, kept in each process's memory.

Deciding which layers a caller may see and how each is drawn (``tiles.sources``) costs a
registry query and some Python per request: more than serving a cached tile. So each web
process keeps, per visibility scope (``tiles.cache.scope_of``), a :class:`Snapshot` of the
tile specs, labelled with the registry version (``tiles.models.RegistryState``) it was
built at. Every tile statement reads the current version along with the tile
(``tiles.sql``); when it has moved, the caller rebuilds the snapshot and serves again, so a
registry change (a layer made private, a zoom limit, a class's attributes) applies to the
very next tile in every process. Versions come from a sequence and are never reused.

A scope is everything the access policies look at (the caller's grants), so one snapshot
serves every caller with the same grants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar, cast

from django.db import connection

from gis_app.types import User
from layers.models import LayerKind
from tiles import sources
from tiles.sources import TileSpec

MAX_SCOPES: Final = 256  # snapshots kept per process (one per distinct set of grants)
VERSION_SQL: Final = "SELECT version FROM tiles_registrystate WHERE id = 1"
T = TypeVar("T")


@dataclass
class Snapshot:
    """The vector layers one scope may see, at one registry version."""

    version: int
    specs: dict[str, TileSpec]  # registry code -> spec (visible vector layers)
    components: list[TileSpec]  # visible component layers, by class code
    _fingerprints: dict[Any, str] = field(default_factory=dict)
    _parts: dict[Any, Any] = field(default_factory=dict)

    def parts(self, key: Any, make: Callable[[], T]) -> T:
        """``make()``, once per snapshot and ``key``: the tile parts (access-filtered
        querysets) of a layer and zoom mode are the same for every caller of the scope."""
        if key not in self._parts:
            self._parts[key] = make()
        return cast(T, self._parts[key])

    def fingerprint(self, code: str) -> str:
        found = self._fingerprints.get(code)
        if found is None:
            found = self._fingerprints[code] = sources.fingerprint([self.specs[code]])
        return found

    def combined(self, z: int) -> tuple[list[TileSpec], str]:
        """The component layers drawn at zoom ``z`` (up to their maximum zoom) and the
        fingerprint of that set, for the combined component tile."""
        specs = [s for s in self.components if z <= s.layer.max_zoom]
        key = ("combined", tuple(s.layer.code for s in specs))
        found = self._fingerprints.get(key)
        if found is None:
            found = self._fingerprints[key] = sources.fingerprint(specs)
        return specs, found


_SNAPSHOTS: dict[str, Snapshot] = {}


def current_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _build(user: User, version: int) -> Snapshot:
    layers = sources.registry(user).order_by("code")
    specs = {spec.layer.code: spec for spec in sources.specs_for(layers)}
    components = sorted(
        (s for s in specs.values() if s.layer.kind == LayerKind.COMPONENT),
        key=lambda s: s.layer.source,
    )
    return Snapshot(version, specs, components)


def snapshot(user: User, scope: str, *, check: bool = False) -> Snapshot:
    """The scope's snapshot: the one in memory, or built now. ``check``: compare its
    version with the database first (one query) and rebuild it if the registry moved."""
    found = _SNAPSHOTS.get(scope)
    if found is not None and not check:
        return found
    version = current_version()  # read before the registry: a later change only re-labels
    if found is not None and found.version == version:
        return found
    if len(_SNAPSHOTS) >= MAX_SCOPES:
        _SNAPSHOTS.clear()
    found = _SNAPSHOTS[scope] = _build(user, version)
    return found


def forget() -> None:
    """Drop every snapshot of this process (tests, after changing code-level settings)."""
    _SNAPSHOTS.clear()
