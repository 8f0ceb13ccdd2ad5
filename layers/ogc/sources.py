"""Feature sources: where an OGC API collection's features come from, and what a map tile
needs to know about them.

The OGC API lives in ``layers`` but serves data of apps above it (components, community
apps), so each app registers its sources in its ``AppConfig.ready``, in one of two ways:

* per registry layer kind: ``register(LayerKind.COMPONENT, ComponentSource())``; every
  active ``Layer`` row of that kind is a collection (and has vector tiles when the source
  says what a tile carries, ``tile_properties``);
* as a collection of its own, tied to no ``Layer`` row (a community app's parking spaces,
  devices, service requests): ``register_collection(Collection("parking-spaces", ...))``.

A source turns a layer into a queryset (already filtered by the access module for the
user), names the id, geometry and datetime columns, the properties to publish, and the
queryables clients may filter on. The tiles app reads the rest from the source too (its
indexed EPSG:3857 column, tile and cluster properties, key attributes, the combined
queryset of several layers), so it needs no knowledge of the models behind it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from gis_app import access
from gis_app.types import User
from layers.models import Layer

ALL_ATTRIBUTES = ("*",)  # tile_attributes: every member of the ``attributes`` JSON


@dataclass(frozen=True)
class Queryable:
    """A property clients may filter on with ``?name=value`` (equality)."""

    lookup: str  # ORM lookup, e.g. "status" or "owner__code"
    type: str = "string"  # JSON Schema type: string | integer | number | boolean
    title: str = ""
    enum: tuple[str, ...] = ()


class FeatureSource(ABC):
    """Base class; subclasses set the column names and implement the two abstract methods."""

    id_field: str = "pk"  # ORM field whose value is the feature id in URLs
    key_field: str = "pk"  # unique, indexed, orderable: keyset paging runs on it
    geometry_field: str = "geometry"
    datetime_field: str | None = None  # for the ``datetime`` parameter

    # What a vector tile needs (read by the tiles app).
    # Published properties a map tile carries, in this order; None: no vector tiles.
    tile_properties: tuple[str, ...] | None = None
    # Properties a cluster (point layers below their minimum zoom) keeps when it holds one
    # feature, in this order.
    cluster_properties: tuple[str, ...] = ()
    # An indexed EPSG:3857 column of the same table (a stored copy of ``geometry_field``)
    # that tiles filter and draw from; None: the geometry is transformed per row.
    geometry_3857: str | None = None

    @abstractmethod
    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        """All features of the layer the user may see."""

    @abstractmethod
    def properties(self, layer: Layer) -> dict[str, str]:
        """Published property name -> ORM lookup. Never personal data."""

    def queryables(self, layer: Layer) -> dict[str, Queryable]:
        return {}

    def id_value(self, raw: str) -> Any:
        """Parse a featureId from a URL; raise ValueError when malformed."""
        return raw

    def tile_attributes(self, layers: Sequence[Layer]) -> dict[str, tuple[str, ...]]:
        """Per layer code, the members of the features' ``attributes`` JSON a map tile
        carries (``ALL_ATTRIBUTES``: every one); layers left out carry none. Called with
        every layer of the source a caller may see at once: at most one query."""
        return {}

    def combined_queryset(self, layers: Sequence[Layer], user: User) -> QuerySet[Any] | None:
        """The features of several layers of this source in one queryset (exactly the
        union of what ``queryset`` gives each), each row telling its layer by its ``class``
        property, whose value is the layer's ``source``; None when the source cannot."""
        return None


_sources: dict[str, FeatureSource] = {}


def register(kind: str, source: FeatureSource) -> None:
    """Serve every registry layer of this kind from ``source``."""
    _sources[kind] = source


def source_for(layer: Layer) -> FeatureSource | None:
    """The source of a registry layer (by its kind)."""
    return _sources.get(layer.kind)


def everyone(user: User) -> bool:
    return True


@dataclass(frozen=True)
class Collection:
    """A collection an app serves without a registry layer: its id, names and source.
    ``visible`` says whether a caller may see the collection at all (its items are
    filtered by the source's queryset either way). Pick an id no registry layer uses,
    prefixed by the app (``parking-spaces``)."""

    code: str
    source: FeatureSource
    name_zh: str
    name_en: str = ""
    description: str = ""
    geometry_kind: str = "point"  # point | line | polygon
    visible: Callable[[User], bool] = everyone

    def as_layer(self) -> Layer:
        """The collection as the OGC views and their templates see a layer: in memory,
        never saved; its kind is no registry kind, so it has no tiles."""
        return Layer(
            code=self.code,
            kind="",
            name_zh=self.name_zh,
            name_en=self.name_en,
            description=self.description,
            geometry_kind=self.geometry_kind,
        )


_collections: dict[str, tuple[Collection, Layer]] = {}


def register_collection(collection: Collection) -> None:
    """Serve ``collection`` in the OGC API (call from an ``AppConfig.ready``)."""
    if collection.code in _collections:
        raise ValueError(f"OGC collection {collection.code!r} is already registered")
    _collections[collection.code] = (collection, collection.as_layer())


def unregister_collection(code: str) -> None:
    """Stop serving a registered collection (tests; an app switched off)."""
    _collections.pop(code, None)


def collections_for(user: User) -> list[Layer]:
    """The collections the user may see: active registry layers that have a source, then
    the registered collections (a visible registry layer of the same id hides one)."""
    layers = [
        layer
        for layer in access.visible(user, Layer.objects.active())
        if source_for(layer) is not None
    ]
    codes = {layer.code for layer in layers}
    for code, (found, layer) in _collections.items():
        if code not in codes and found.visible(user):
            layers.append(layer)
    return layers


def collection_for(user: User, code: str) -> tuple[Layer, FeatureSource] | None:
    """The collection ``code`` and its source, when the user may see it."""
    try:
        layer = access.visible(user, Layer.objects.active()).get(code=code)
    except Layer.DoesNotExist:
        layer = None
    if layer is not None:
        source = source_for(layer)
        return (layer, source) if source is not None else None
    registered = _collections.get(code)
    if registered is None or not registered[0].visible(user):
        return None
    return registered[1], registered[0].source
