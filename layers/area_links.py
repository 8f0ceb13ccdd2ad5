"""What depends on where the areas lie: apps whose rows carry a community or grid cell
derived from their geometry register a function that re-derives them inside a region
(after an import changed boundaries there) and answers how many moved. Registered in
``AppConfig.ready`` (components from ``component_catalog``, buildings and base features
from ``layers``); the area import calls them all inside its transaction. Each function
announces the geometries it moved through ``layers.changes``."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.gis.geos import GEOSGeometry

# region (EPSG:4490, a MultiPolygon) -> rows moved to another community or grid cell
Rederive = Callable[[GEOSGeometry], int]
_registry: dict[str, Rederive] = {}


def register(kind: str, rederive: Rederive) -> None:
    """Register (once, at start-up) how rows of ``kind`` are re-derived inside a region."""
    _registry[kind] = rederive


def rederive_all(region: GEOSGeometry) -> dict[str, int]:
    """Re-derive every registered kind inside ``region``: kind -> rows moved."""
    return {kind: rederive(region) for kind, rederive in sorted(_registry.items())}


def registered() -> list[str]:
    return sorted(_registry)
