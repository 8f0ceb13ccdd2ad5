"""Base-layer objects as GeoJSON features (CRS84) and as the snapshots their history
keeps."""

from __future__ import annotations

from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry
from shapely.geometry import mapping

from layers.basemap.models import BaseFeature, Building


def geometry_json(geom: GEOSGeometry) -> dict[str, Any]:
    return dict(mapping(shapely.from_wkb(bytes(geom.wkb))))


def building_feature(building: Building, details: bool) -> dict[str, Any]:
    """A building as a GeoJSON feature (CRS84); floors, use, units and year built only when
    ``details`` (see ``policies.DetailAccess``)."""
    props: dict[str, Any] = {
        "name": building.name,
        "address": building.address,
        "community": building.community_id,
        "version": building.version,
        "updated_at": building.updated_at.isoformat() if building.updated_at else None,
    }
    if details:
        props.update(
            floors=building.floors,
            use=building.use,
            units_count=building.units_count,
            build_year=building.build_year,
        )
    return {
        "type": "Feature",
        "id": building.pk,
        "geometry": geometry_json(building.geometry),
        "properties": props,
    }


def base_feature(feature: BaseFeature) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": feature.pk,
        "geometry": geometry_json(feature.geometry),
        "properties": {
            "kind": feature.kind,
            "layer": feature.layer_code,
            "name": feature.name,
            "attributes": feature.attributes,
            "community": feature.community_id,
            "version": feature.version,
            "updated_at": feature.updated_at.isoformat() if feature.updated_at else None,
        },
    }


def _snapshot(data: dict[str, Any]) -> dict[str, Any]:
    props = {
        k: v for k, v in data["properties"].items() if k not in ("version", "updated_at", "layer")
    }
    return {**props, "geometry": data["geometry"]}


def building_snapshot(building: Building) -> dict[str, Any]:
    return _snapshot(building_feature(building, details=True))


def feature_snapshot(feature: BaseFeature) -> dict[str, Any]:
    return _snapshot(base_feature(feature))
