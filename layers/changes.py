"""The "changed" port: services announce which layers' features changed, inside their
transaction; whoever keeps derived data (the tile cache, later notifications) subscribes at
start-up.

Announcers sit low in the dependency picture (``component_catalog``, ``layers.basemap``,
``importers``, community apps); subscribers sit above them (``tiles``). The announcers never
import a subscriber, so nothing points upward (docs/ARCHITECTURE.md).

Listeners run synchronously, in the announcing transaction: the tile cache raises tile
generations in the same transaction as the edit, so a tile made before the edit is never
served after it commits, and a rolled-back edit leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from layers.models import Layer, LayerKind


@dataclass(frozen=True)
class Change:
    """Features of these registry layers changed. ``geometries`` are the old and new
    geometries of what changed (GEOS with SRID 4490 or shapely lon/lat), or None when the
    whole layer may have changed (bulk loads, repairs)."""

    layer_codes: tuple[str, ...]
    geometries: tuple[Any, ...] | None


Listener = Callable[[Change], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call ``listener`` with every announced change (once per listener, at start-up)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _announce(change: Change) -> None:
    if not change.layer_codes:
        return
    for listener in list(_listeners):
        listener(change)


def geometries_changed(layer_codes: Iterable[str], geometries: Iterable[Any]) -> None:
    """Announce, inside the caller's transaction, that features of these layers changed
    where these geometries lie (pass both the old and the new geometry of an edit)."""
    shapes = tuple(g for g in geometries if g is not None)
    if shapes:
        _announce(Change(tuple(sorted(set(layer_codes))), shapes))


def layers_changed(layer_codes: Iterable[str]) -> None:
    """Announce that anything in these layers may have changed (bulk loads)."""
    _announce(Change(tuple(sorted(set(layer_codes))), None))


def component_layers(class_codes: Iterable[str]) -> list[str]:
    """Registry codes of the layers of these component classes."""
    codes = sorted(set(class_codes))
    return list(
        Layer.objects.filter(kind=LayerKind.COMPONENT, source__in=codes).values_list(
            "code", flat=True
        )
    )


def components_changed(class_codes: Iterable[str], geometries: Iterable[Any] | None) -> None:
    """Announce changed components of these classes (geometries None: the whole layers)."""
    layers = component_layers(class_codes)
    if geometries is None:
        layers_changed(layers)
    else:
        geometries_changed(layers, geometries)
