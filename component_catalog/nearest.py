"""Nearest components of given classes to a point: KNN on the Web Mercator index, metric
(spheroidal) distances, bearing from the point."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from django.contrib.gis.geos import Point
from shapely.geometry import Point as ShapelyPoint

from component_catalog import sql
from component_catalog.models import Component
from component_catalog.services import base_queryset
from gis_app import access, coords
from gis_app.errors import InvalidInput
from gis_app.types import User


@dataclass
class Nearby:
    component: Component
    distance_m: float
    bearing_deg: float | None


def to_cgcs2000(point: Point, crs: str) -> Point:
    """The query point given in ``crs`` (GCJ-02 from Amap, BD-09 from Baidu ...)."""
    try:
        moved = coords.transform_geometry(ShapelyPoint(point.x, point.y), crs)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from None
    return Point(shapely.get_x(moved), shapely.get_y(moved), srid=4490)


def nearest(user: User, point: Point, class_codes: list[str], limit: int) -> list[Nearby]:
    """Up to ``limit`` visible, in-use components of the classes, nearest first."""
    ewkb = bytes(point.ewkb)
    qs = access.visible(user, base_queryset().in_use().of_classes(class_codes))
    # KNN in Web Mercator picks candidates through the index (its scale changes slowly
    # with latitude); the exact spheroid distance decides the final order, so fetch a
    # margin and sort again.
    candidates = list(
        qs.annotate(distance_m=sql.distance_to(ewkb), bearing_deg=sql.bearing_to(ewkb)).order_by(
            sql.knn_order(ewkb)
        )[: limit * 2 + 5]
    )
    candidates.sort(key=lambda c: c.distance_m)
    return [Nearby(c, float(c.distance_m), c.bearing_deg) for c in candidates[:limit]]
