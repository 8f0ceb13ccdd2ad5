"""What goes into a layer's vector tile: the registry layer, its ``FeatureSource`` (from
the OGC API: the access-filtered queryset and the published properties), the subset of
those properties a map needs, the key attributes, and the geometry to draw.

Access is decided once, by the source's queryset (``access.visible``); this module only
narrows what is published. Properties come from the source's own list, so nothing a
source does not publish (personal data) can reach a tile.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from component_catalog.models import Component, ComponentClass
from gis_app import access
from layers.models import Layer, LayerKind
from layers.ogc.sources import FeatureSource, source_for

TILE_FORMAT = "mvt-1"  # bump when the SQL or the published properties change

# Per layer kind, the source properties a map tile carries (when the source publishes them).
TILE_PROPERTIES: dict[str, tuple[str, ...]] = {
    LayerKind.COMPONENT: ("identifier", "class", "name", "status"),
    LayerKind.ADMIN_AREA: ("code", "name", "level", "parent"),
    LayerKind.GRID_CELL: ("code", "name", "community"),
    LayerKind.BUILDING: ("name", "address", "floors", "use", "units_count", "build_year"),
    LayerKind.BASE_FEATURE: ("kind", "name"),
}
# Properties a cluster keeps when it holds a single feature.
CLUSTER_PROPERTIES = ("identifier", "class", "name", "status", "code", "kind")
# Key attributes of a component class: enumerations, numbers and yes/no facts of its
# attribute schema, plus these short texts; free text (notes, names of people, contacts)
# never. At most MAX_KEY_ATTRIBUTES, in schema order.
KEY_TEXT_ATTRIBUTES = frozenset({"species", "species_latin", "opening_hours"})
MAX_KEY_ATTRIBUTES = 8
# Models whose table has an indexed EPSG:3857 copy of the geometry (tiles.0002).
GEOMETRY_3857: dict[type[Any], str] = {Component: "geom_3857"}
ALL_ATTRIBUTES = ("*",)  # base features: every attribute (closed, non-personal schemas)


def key_attributes(schema: dict[str, Any] | None, taken: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The attribute names of a class schema a map tile carries (see KEY_TEXT_ATTRIBUTES)."""
    found = []
    for name, spec in ((schema or {}).get("properties") or {}).items():
        if name in taken or not isinstance(spec, dict):
            continue
        scalar = spec.get("type") in ("boolean", "integer", "number") or "enum" in spec
        if scalar or name in KEY_TEXT_ATTRIBUTES:
            found.append(name)
    return tuple(found[:MAX_KEY_ATTRIBUTES])


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

    def queryset(self, user: Any) -> QuerySet[Any]:
        """The features the user may see: the source's access-filtered queryset."""
        return self.source.queryset(self.layer, user)


def fingerprint(specs: list[TileSpec]) -> str:
    text = json.dumps([TILE_FORMAT, *[spec.state() for spec in specs]], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def registry(user: Any) -> QuerySet[Layer]:
    """Active registry layers the user may see, with each component class's attribute
    schema (one query)."""
    schema = ComponentClass.objects.filter(code=OuterRef("source")).values("attribute_schema")
    layers = Layer.objects.active().annotate(class_schema=Subquery(schema[:1]))
    return access.visible(user, layers)


def spec_for(layer: Layer) -> TileSpec | None:
    """The tile spec of a vector layer, or None (raster layers, layers without a source)."""
    source = source_for(layer)
    wanted = TILE_PROPERTIES.get(layer.kind)
    if source is None or wanted is None:
        return None
    published = source.properties(layer)
    properties = {name: published[name] for name in wanted if name in published}
    attributes: tuple[str, ...] = ()
    if layer.kind == LayerKind.COMPONENT:
        schema = getattr(layer, "class_schema", None)
        if schema is None:
            schema = (
                ComponentClass.objects.filter(code=layer.source)
                .values_list("attribute_schema", flat=True)
                .first()
            )
        if isinstance(schema, str):  # Django's psycopg2 set-up may hand jsonb back as text
            schema = json.loads(schema)
        attributes = key_attributes(schema, tuple(properties))
    elif layer.kind == LayerKind.BASE_FEATURE and "attributes" in published:
        attributes = ALL_ATTRIBUTES
    return TileSpec(layer, source, properties, attributes, layer.geometry_kind == "point")


def combined_queryset(specs: list[TileSpec], user: Any) -> QuerySet[Any]:
    """The components of several class layers the user may see, in one queryset: what
    ``ComponentSource.queryset`` gives per layer (in use, of the layer's class, through
    ``access.visible``), for all of them at once. tests/test_tiles.py checks that the
    combined tile holds exactly the features of the per-layer tiles."""
    codes = [spec.layer.source for spec in specs]
    return access.visible(user, Component.objects.in_use().filter(component_class__in=codes))


def component_specs(user: Any) -> list[TileSpec]:
    """Tile specs of the component layers the user may see (the combined tile)."""
    layers = registry(user).filter(kind=LayerKind.COMPONENT).order_by("source")
    return [spec for spec in (spec_for(layer) for layer in layers) if spec is not None]
