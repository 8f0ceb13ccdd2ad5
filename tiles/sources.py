"""What goes into a layer's vector tile: the registry layer, its ``FeatureSource`` (from
the OGC API: the access-filtered queryset and the published properties), the subset of
those properties a map needs, the key attributes, and the geometry to draw.

Everything about the data comes from the source's registration (``layers.ogc.sources``:
tile and cluster properties, key attributes, the indexed EPSG:3857 column, the combined
queryset of several layers), so this app knows no model of the apps below it.

Access is decided once, by the source's queryset (``access.visible``); this module only
narrows what is published. Properties come from the source's own list, so nothing a
source does not publish (personal data) can reach a tile.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from gis_app import access
from gis_app.types import User
from layers.models import Layer, LayerKind
from layers.ogc.sources import FeatureSource, source_for

TILE_FORMAT = "mvt-1"  # bump when the SQL or the published properties change


@dataclass(frozen=True)
class TileSpec:
    """How one registry layer is drawn in a vector tile."""

    layer: Layer
    source: FeatureSource
    properties: dict[str, str]  # MVT property -> ORM lookup
    attributes: tuple[str, ...]  # keys of the ``attributes`` JSON to expand (or ALL)
    points: bool

    def state(self) -> list[Any]:
        """What shapes this layer's tiles besides the data: part of the cache fingerprint."""
        layer = self.layer
        return [
            layer.code,
            layer.kind,
            layer.source,
            layer.is_public,
            layer.active,
            layer.min_zoom,
            layer.max_zoom,
            layer.geometry_kind,
            sorted(self.properties.items()),
            list(self.attributes),
        ]

    def queryset(self, user: User) -> QuerySet[Any]:
        """The features the user may see: the source's access-filtered queryset."""
        return self.source.queryset(self.layer, user)


def fingerprint(specs: list[TileSpec]) -> str:
    text = json.dumps([TILE_FORMAT, *[spec.state() for spec in specs]], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def registry(user: User) -> QuerySet[Layer]:
    """Active registry layers the user may see."""
    return access.visible(user, Layer.objects.active())


def tiled_source(layer: Layer) -> FeatureSource | None:
    """The layer's source when it has vector tiles (None: raster layers, layers without
    a source, sources that publish no tile properties)."""
    source = source_for(layer)
    return source if source is not None and source.tile_properties is not None else None


def specs_for(layers: Iterable[Layer]) -> list[TileSpec]:
    """The tile specs of those layers that have vector tiles, in the given order; each
    source is asked once for the key attributes of all its layers."""
    found = [(layer, source) for layer in layers if (source := tiled_source(layer)) is not None]
    groups: dict[int, tuple[FeatureSource, list[Layer]]] = {}
    for layer, source in found:
        groups.setdefault(id(source), (source, []))[1].append(layer)
    attributes: dict[str, tuple[str, ...]] = {}
    for source, members in groups.values():
        attributes.update(source.tile_attributes(members))
    specs = []
    for layer, source in found:
        published = source.properties(layer)
        wanted = source.tile_properties or ()
        properties = {name: published[name] for name in wanted if name in published}
        points = layer.geometry_kind == "point"
        specs.append(TileSpec(layer, source, properties, attributes.get(layer.code, ()), points))
    return specs


def spec_for(layer: Layer) -> TileSpec | None:
    """The tile spec of a vector layer, or None (raster layers, layers without a source)."""
    found = specs_for([layer])
    return found[0] if found else None


def combined_queryset(specs: list[TileSpec], user: User) -> QuerySet[Any]:
    """The features of several layers of one source the user may see, in one queryset
    (the source's ``combined_queryset``): the combined component tile, the POI labels."""
    source = specs[0].source
    found = source.combined_queryset([spec.layer for spec in specs], user)
    if found is None or any(spec.source is not source for spec in specs):
        raise ValueError("these layers cannot be drawn from one queryset")
    return found


def component_specs(user: User) -> list[TileSpec]:
    """Tile specs of the component layers the user may see (the combined tile)."""
    return specs_for(registry(user).filter(kind=LayerKind.COMPONENT).order_by("source"))
