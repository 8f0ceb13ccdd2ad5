"""Component layers in the OGC API: one collection per class, features filtered by the
access module. Properties are what a map or a client needs; never personal data."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from component_catalog.models import Component, ComponentStatus, DataSource
from gis_app import access
from gis_app.types import User
from layers.models import Layer, LayerKind
from layers.ogc import sources
from layers.ogc.sources import FeatureSource, Queryable


class ComponentSource(FeatureSource):
    id_field = "identifier"
    key_field = "id"
    geometry_field = "geometry"
    datetime_field = "updated_at"

    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        rows = Component.objects.in_use().filter(component_class__code=layer.source)
        return access.visible(user, rows)

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
