"""Components as GeoJSON features (CRS84 lon/lat), the one representation used by the
API, the history snapshots and the 409 Conflict body."""

from __future__ import annotations

from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry
from shapely.geometry import mapping

from component_catalog.models import Component


def geometry_json(geom: GEOSGeometry) -> dict[str, Any]:
    return dict(mapping(shapely.from_wkb(bytes(geom.wkb))))


def properties(component: Component) -> dict[str, Any]:
    gnss = None
    if component.gnss_fix or component.gnss_accuracy_m is not None:
        gnss = {
            "fix": component.gnss_fix or None,
            "accuracy_m": component.gnss_accuracy_m,
            "satellites": component.gnss_satellites,
            "time": component.gnss_time.isoformat() if component.gnss_time else None,
            "device": component.gnss_device or None,
        }
    klass = component.component_class
    return {
        "identifier": component.identifier,
        "class": component.component_class_id,
        "class_name": klass.name_zh,
        "name": component.name,
        "address": component.address,
        "status": component.status,
        "currency": component.currency,
        "competent_department": component.competent_department.code,
        "competent_department_name": component.competent_department.name,
        "owner": component.owner.code,
        "owner_name": component.owner.name,
        "maintainer": component.maintainer.code,
        "maintainer_name": component.maintainer.name,
        "community": component.community_id,
        "grid_cell": component.grid_cell_id,
        "data_source": component.data_source,
        "initial_date": component.initial_date.isoformat(),
        "change_date": component.change_date.isoformat(),
        "attributes": component.attributes,
        "gnss": gnss,
        "needs_review": component.needs_review,
        "review_reason": component.review_reason,
        "notes": component.notes,
        "version": component.version,
        "updated_at": component.updated_at.isoformat() if component.updated_at else None,
    }


def feature(component: Component) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": component.identifier,
        "geometry": geometry_json(component.geometry),
        "properties": properties(component),
    }


def feature_collection(components: list[Component], **members: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [feature(c) for c in components], **members}


def snapshot(component: Component) -> dict[str, Any]:
    """The state kept in history: the feature minus what changes on every save."""
    data = feature(component)
    data["properties"] = {
        k: v for k, v in data["properties"].items() if k not in ("updated_at", "version")
    }
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    """field -> [old, new] between two snapshots (``geometry`` compared as a whole)."""
    old_props = (before or {}).get("properties", {})
    changes: dict[str, list[Any]] = {}
    for key, new in after["properties"].items():
        if key.endswith("_name") or key == "class_name":
            continue
        old = old_props.get(key)
        if old != new:
            changes[key] = [old, new]
    if (before or {}).get("geometry") != after["geometry"]:
        changes["geometry"] = [(before or {}).get("geometry"), after["geometry"]]
    return changes
