"""Component layers in the OGC API and in vector tiles: one collection per class, features
filtered by the access module. Properties are what a map or a client needs; never personal
data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from component_catalog.models import Component, ComponentClass, ComponentStatus, DataSource
from gis_app import access
from gis_app.types import User
from layers.models import Layer, LayerKind
from layers.ogc import sources
from layers.ogc.sources import FeatureSource, Queryable

# Key attributes of a component class (what a map tile carries of its ``attributes``):
# enumerations, numbers and yes/no facts of its attribute schema, plus these short texts;
# free text (notes, names of people, contacts) never. At most MAX_KEY_ATTRIBUTES, in
# schema order.
KEY_TEXT_ATTRIBUTES = frozenset({"species", "species_latin", "opening_hours"})
MAX_KEY_ATTRIBUTES = 8


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


class ComponentSource(FeatureSource):
    id_field = "identifier"
    key_field = "id"
    geometry_field = "geometry"
    datetime_field = "updated_at"
    tile_properties = ("identifier", "class", "name", "status")
    cluster_properties = ("identifier", "class", "name", "status")
    # A STORED generated column with its own GiST index (migration tiles.0002).
    geometry_3857 = "geom_3857"

    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        rows = Component.objects.in_use().filter(component_class__code=layer.source)
        return access.visible(user, rows)

    def combined_queryset(self, layers: Sequence[Layer], user: User) -> QuerySet[Any]:
        """The components of several class layers the user may see, in one queryset: what
        ``queryset`` gives per layer (in use, of the layer's class, through
        ``access.visible``), for all of them at once. tests/test_tiles.py checks that the
        combined tile holds exactly the features of the per-layer tiles."""
        codes = [layer.source for layer in layers]
        return access.visible(user, Component.objects.in_use().filter(component_class__in=codes))

    def tile_attributes(self, layers: Sequence[Layer]) -> dict[str, tuple[str, ...]]:
        """The key attributes of each layer's class (one query for all)."""
        codes = {layer.source for layer in layers}
        schemas = dict(
            ComponentClass.objects.filter(code__in=codes).values_list("code", "attribute_schema")
        )
        found = {}
        for layer in layers:
            schema = schemas.get(layer.source)
            if isinstance(schema, str):  # Django's psycopg2 set-up may hand jsonb back as text
                schema = json.loads(schema)
            found[layer.code] = key_attributes(schema, self.tile_properties or ())
        return found

    def properties(self, layer: Layer) -> dict[str, str]:
        return {
            "identifier": "identifier",
            "class": "component_class_id",
            "name": "name",
            "status": "status",
            "address": "address",
            "community": "community_id",
            "grid_cell": "grid_cell_id",
            "competent_department": "competent_department__code",
            "owner": "owner__code",
            "maintainer": "maintainer__code",
            "data_source": "data_source",
            "initial_date": "initial_date",
            "change_date": "change_date",
            "attributes": "attributes",
            "version": "version",
            "updated_at": "updated_at",
        }

    def queryables(self, layer: Layer) -> dict[str, Queryable]:
        return {
            "status": Queryable("status", enum=tuple(ComponentStatus.values), title="状态"),
            "name": Queryable("name", title="名称"),
            "community": Queryable("community_id", title="社区"),
            "owner": Queryable("owner__code", title="权属单位"),
            "maintainer": Queryable("maintainer__code", title="养护单位"),
            "data_source": Queryable(
                "data_source", enum=tuple(DataSource.values), title="数据来源"
            ),
            "needs_review": Queryable("needs_review", type="boolean", title="待审核"),
        }


def register() -> None:
    sources.register(LayerKind.COMPONENT, ComponentSource())
