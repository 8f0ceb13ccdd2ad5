"""Geometry rules of an area import, on shapely geometries: polygons only, valid (or
repaired on request), parts of one code merged, a child inside its parent, siblings not
overlapping, gaps between siblings. Distances and areas in metres (``metric``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

_POLYGONAL = ("Polygon", "MultiPolygon")
_REASON_AT = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>[-\d.eE+]+) (?P<y>[-\d.eE+]+)\]$")


def is_polygonal(geom: BaseGeometry | None) -> bool:
    if geom is None or geom.is_empty:
        return False
    if geom.geom_type in _POLYGONAL:
        return True
    if geom.geom_type == "GeometryCollection":
        return all(part.geom_type in _POLYGONAL for part in shapely.get_parts(geom))
    return False


def invalid_reason(geom: BaseGeometry) -> str | None:
    """GEOS's reason a geometry is invalid, with its location as 'lon, lat'; None if valid."""
    if shapely.is_valid(geom):
        return None
    reason = str(shapely.is_valid_reason(geom))
    found = _REASON_AT.match(reason)
    if found:
        return f"{found['what'].strip()} at {float(found['x']):.6f}, {float(found['y']):.6f}"
    return reason


def polygonal_part(geom: BaseGeometry) -> MultiPolygon:
    """The polygons of a geometry (collections flattened), as one MultiPolygon."""
    polygons: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon) and not part.is_empty:
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(p for p in part.geoms if not p.is_empty)
        elif part.geom_type == "GeometryCollection":
            polygons.extend(polygonal_part(part).geoms)
    return MultiPolygon(polygons)


def repair(geom: BaseGeometry) -> MultiPolygon:
    """A valid version keeping the polygonal parts (a bow-tie becomes two triangles)."""
    return as_multi(polygonal_part(shapely.make_valid(geom)))


def as_multi(geom: BaseGeometry) -> MultiPolygon:
    """A polygonal geometry as a MultiPolygon (overlapping parts dissolved)."""
    if isinstance(geom, MultiPolygon) and shapely.is_valid(geom):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    merged = shapely.union_all(list(polygonal_part(geom).geoms))
    return polygonal_part(merged)


def merge(parts: list[BaseGeometry]) -> MultiPolygon:
    """Parts of one code, dissolved into one MultiPolygon."""
    if len(parts) == 1:
        return as_multi(parts[0])
    return polygonal_part(shapely.union_all(parts))


@dataclass(frozen=True)
class Outside:
    area_m2: float  # of the child outside its parent
    share: float  # of the child's area (0..1)
    beyond_m2: float  # outside even the parent grown by the tolerance


def outside(child_m: BaseGeometry, parent_m: BaseGeometry, grown: BaseGeometry) -> Outside:
    """How much of ``child_m`` lies outside ``parent_m`` (both metric); ``grown`` is the
    parent buffered by the tolerance."""
    out = child_m.difference(parent_m).area
    beyond = child_m.difference(grown).area if out > 0 else 0.0
    return Outside(out, out / child_m.area if child_m.area else 0.0, beyond)


def beyond_tolerance(region_m: BaseGeometry, tolerance_m: float) -> bool:
    """True when a metric region (an overlap or a gap) is thicker than edges off by the
    tolerance would make it: some point lies deeper than half the tolerance inside it."""
    if region_m.is_empty or region_m.area <= 0:
        return False
    if tolerance_m <= 0:
        return region_m.area > 0.01
    return not region_m.buffer(-tolerance_m / 2).is_empty


def significant_parts(region_m: BaseGeometry, tolerance_m: float) -> list[BaseGeometry]:
    """The parts of a metric region that are beyond the tolerance."""
    return [p for p in shapely.get_parts(region_m) if beyond_tolerance(p, tolerance_m)]
