"""Feature sources: where an OGC API collection's features come from.

The OGC API lives in ``layers`` but serves layers of apps above it (components), so each
app registers a ``FeatureSource`` per layer kind in its ``AppConfig.ready``:
``register(LayerKind.COMPONENT, ComponentSource())``. A source turns a layer into a
queryset (already filtered by the access module for the user), names the id, geometry and
datetime columns, the properties to publish, and the queryables clients may filter on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from gis_app.types import User
from layers.models import Layer


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


_sources: dict[str, FeatureSource] = {}


def register(kind: str, source: FeatureSource) -> None:
    _sources[kind] = source


def source_for(layer: Layer) -> FeatureSource | None:
    return _sources.get(layer.kind)
