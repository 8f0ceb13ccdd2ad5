"""Feature sources of the layers app: administrative areas and grid cells."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gis_app import access
from gis_app.types import User
from layers.models import AdminArea, AreaLevel, GridCell, Layer, LayerKind
from layers.ogc import sources
from layers.ogc.sources import FeatureSource, Queryable


class AdminAreaSource(FeatureSource):
    id_field = "code"
    key_field = "code"
    geometry_field = "boundary"
    tile_properties = ("code", "name", "level", "parent")
    cluster_properties = ("name", "code")

    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        return access.visible(user, AdminArea.objects.all())

    def properties(self, layer: Layer) -> dict[str, str]:
        return {
            "code": "code",
            "name": "name",
            "name_en": "name_en",
            "level": "level",
            "parent": "parent_id",
        }

    def queryables(self, layer: Layer) -> dict[str, Queryable]:
        return {
            "level": Queryable("level", enum=tuple(AreaLevel.values), title="级别 level"),
            "parent": Queryable("parent_id", title="上级 parent"),
            "name": Queryable("name", title="名称 name"),
        }


class GridCellSource(FeatureSource):
    id_field = "code"
    key_field = "code"
    geometry_field = "boundary"
    tile_properties = ("code", "name", "community")
    cluster_properties = ("name", "code")

    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        return access.visible(user, GridCell.objects.all())

    def properties(self, layer: Layer) -> dict[str, str]:
        return {"code": "code", "name": "name", "community": "community_id"}

    def queryables(self, layer: Layer) -> dict[str, Queryable]:
        return {"community": Queryable("community_id", title="社区 community")}


def register() -> None:
    sources.register(LayerKind.ADMIN_AREA, AdminAreaSource())
    sources.register(LayerKind.GRID_CELL, GridCellSource())
