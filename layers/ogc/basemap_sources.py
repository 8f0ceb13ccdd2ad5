"""Feature sources of the base layers: buildings (public footprints; details only where the
caller may see them) and base features (roads, rivers and water, green space)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from gis_app import access
from gis_app.types import User
from layers.basemap.models import BaseFeature, Building, BuildingUse
from layers.basemap.policies import LAYER_OF_KIND, DetailAccess
from layers.models import Layer, LayerKind
from layers.ogc import sources
from layers.ogc.sources import ALL_ATTRIBUTES, FeatureSource, Queryable


class BuildingSource(FeatureSource):
    """``buildings`` publishes footprints with name and address; ``building-details`` adds
    floors, use, housing units and year built, for the buildings the caller may see in
    detail (their area, or everyone's when an admin makes that layer public)."""

    datetime_field = "updated_at"
    tile_properties = ("name", "address", "floors", "use", "units_count", "build_year")
    cluster_properties = ("name",)

    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        rows = access.visible(user, Building.objects.all())
        if layer.source == "details":
            rows = rows.filter(DetailAccess.for_user(user).q())
        return rows

    def properties(self, layer: Layer) -> dict[str, str]:
        public = {"name": "name", "address": "address", "community": "community_id"}
        if layer.source != "details":
            return public
        return {
            **public,
            "floors": "floors",
            "use": "use",
            "units_count": "units_count",
            "build_year": "build_year",
            "version": "version",
            "updated_at": "updated_at",
        }

    def queryables(self, layer: Layer) -> dict[str, Queryable]:
        found = {
            "name": Queryable("name", title="名称"),
            "community": Queryable("community_id", title="社区"),
        }
        if layer.source == "details":
            found["use"] = Queryable("use", enum=tuple(BuildingUse.values), title="用途")
        return found

    def id_value(self, raw: str) -> Any:
        return database_id(raw)


class BaseFeatureSource(FeatureSource):
    datetime_field = "updated_at"
    tile_properties = ("kind", "name")
    cluster_properties = ("name", "kind")

    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        kinds = [kind for kind, code in LAYER_OF_KIND.items() if code == layer.code]
        return access.visible(user, BaseFeature.objects.filter(kind__in=kinds))

    def properties(self, layer: Layer) -> dict[str, str]:
        return {
            "kind": "kind",
            "name": "name",
            "attributes": "attributes",
            "community": "community_id",
            "updated_at": "updated_at",
        }

    def queryables(self, layer: Layer) -> dict[str, Queryable]:
        return {"name": Queryable("name", title="名称"), "kind": Queryable("kind", title="类型")}

    def tile_attributes(self, layers: Sequence[Layer]) -> dict[str, tuple[str, ...]]:
        """Every attribute: the base features' schemas are closed and hold nothing personal."""
        return {layer.code: ALL_ATTRIBUTES for layer in layers}

    def id_value(self, raw: str) -> Any:
        return database_id(raw)


def database_id(raw: str) -> int:
    """A featureId that can be a bigint id (ValueError otherwise: not found)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValueError(raw)
    return int(raw)


def register() -> None:
    sources.register(LayerKind.BUILDING, BuildingSource())
    sources.register(LayerKind.BASE_FEATURE, BaseFeatureSource())
