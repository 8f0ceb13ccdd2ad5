"""Other OGC API parts served beside Features (OGC API - Tiles, from the tiles app) add
their conformance classes and links here, at start-up (``AppConfig.ready``), so the
landing page, the conformance document and each collection point to them without this
package importing the apps above it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layers.models import Layer

Link = dict[str, Any]

conformance_classes: list[str] = []
_landing_links: list[Callable[[str], list[Link]]] = []
_collection_links: list[Callable[[str, Layer], list[Link]]] = []


def register(
    *,
    conformance: list[str],
    landing_links: Callable[[str], list[Link]],
    collection_links: Callable[[str, Layer], list[Link]],
) -> None:
    """Add a part: its conformance classes, links for the landing page (given the base
    URL) and for a collection (given the base URL and the collection's layer)."""
    conformance_classes.extend(c for c in conformance if c not in conformance_classes)
    _landing_links.append(landing_links)
    _collection_links.append(collection_links)


def landing_links(base: str) -> list[Link]:
    return [link for make in _landing_links for link in make(base)]


def collection_links(base: str, layer: Layer) -> list[Link]:
    return [link for make in _collection_links for link in make(base, layer)]
