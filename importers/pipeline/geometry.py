"""Geometry checks of a batch: conversion to CGCS2000, the plausible-extent check with its
hints (a longitude of 1120.17, latitude and longitude swapped, km outside the areas),
validation or repair, promotion to the single / multi type the class allows, and the size
limits of a class. Everything works on numpy arrays of shapely geometries, one vectorised
call per step; only the rows that fail are looked at one by one."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.validation import explain_validity

from component_catalog.models import GeometryKind
from gis_app import coords, geometry_input
from importers import sql

SRID: Final = 4490
# Degrees added around each city's areas before a coordinate counts as implausible
# (about 5 km): points just outside a boundary are "outside every community", a clearer
# message for them than "implausible".
EXTENT_MARGIN_DEG: Final = 0.05


def _coords_function(crs: str) -> Callable[[np.ndarray], np.ndarray] | None:
    # gis_app.coords keeps its array function private; transform_geometry() takes one
    # geometry at a time, and a batch is converted in one call here.
    return coords.coordinate_function(coords.parse_crs(crs))


def to_storage_crs(geometries: np.ndarray, crs: str) -> np.ndarray:
    """An array of 2D shapely geometries in ``crs`` -> EPSG:4490, in one vectorised call."""
    func = _coords_function(crs)
    if func is None or not len(geometries):
        return geometries
    return np.asarray(shapely.transform(geometries, func), dtype=object)


@dataclass
class GeometryCheck:
    """What ``check_geometries`` made of a batch's geometries, and why rows failed."""

    geometries: np.ndarray  # converted, promoted; None where the row failed
    errors: dict[int, str] = field(default_factory=dict)  # index -> message (field geometry)
    repaired: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (was, now)


def fmt_point(x: float, y: float) -> str:
    """A position for messages: (x, y) with six decimals."""
    return f"({x:.6f}, {y:.6f})"


def _extent_hint(
    source_xy: tuple[float, float], xy: tuple[float, float], extents: list[sql.Extent]
) -> str:
    x, y = xy
    where = _("coordinates %(src)s") % {"src": fmt_point(*source_xy)}
    if source_xy != xy:
        where += _(" (%(dst)s in CGCS2000)") % {"dst": fmt_point(x, y)}
    if not -180 <= x <= 180:
        return _(
            "%(where)s: a longitude of %(x).6f is impossible; a typing error (an extra or "
            "missing digit, e.g. 1120.17 for 120.17)?"
        ) % {"where": where, "x": x}
    if not -90 <= y <= 90:
        if -180 <= y <= 180 and -90 <= x <= 90 and _inside(y, x, extents):
            return _("%(where)s: latitude and longitude look swapped.") % {"where": where}
        return _(
            "%(where)s: a latitude of %(y).6f is impossible; a typing error, or latitude and "
            "longitude swapped?"
        ) % {"where": where, "y": y}
    if _inside(y, x, extents):
        return _("%(where)s: latitude and longitude look swapped.") % {"where": where}
    nearest = min(extents, key=lambda e: _km_outside(x, y, e))
    return _(
        "%(where)s lie %(km).0f km outside the platform's areas (%(areas)s); check the "
        "coordinates and the coordinate system."
    ) % {"where": where, "km": _km_outside(x, y, nearest), "areas": nearest.names}


def _km_outside(x: float, y: float, e: sql.Extent) -> float:
    dx = max(e.xmin - x, 0.0, x - e.xmax) * 111.32 * math.cos(math.radians(y))
    dy = max(e.ymin - y, 0.0, y - e.ymax) * 110.57
    return math.hypot(dx, dy)


def _inside(x: float, y: float, extents: list[sql.Extent]) -> bool:
    m = EXTENT_MARGIN_DEG
    return any(e.xmin - m <= x <= e.xmax + m and e.ymin - m <= y <= e.ymax + m for e in extents)


def box_degrees(metres: float, geometries: np.ndarray) -> tuple[float, float]:
    """Degrees of longitude and latitude that are at least ``metres`` everywhere among the
    geometries (a candidate search box; the decision is made in metres)."""
    bounds = np.asarray(shapely.bounds(geometries))
    lat = min(float(np.nanmax(np.abs(bounds[:, [1, 3]]))), 85.0)
    return metres / (111_320.0 * math.cos(math.radians(lat))) * 1.01, metres / 110_574.0 * 1.01


def _within_extents(bounds: np.ndarray, extents: list[sql.Extent]) -> np.ndarray:
    m = EXTENT_MARGIN_DEG
    inside = np.zeros(len(bounds), dtype=bool)
    for e in extents:
        inside |= (
            (bounds[:, 0] >= e.xmin - m)
            & (bounds[:, 1] >= e.ymin - m)
            & (bounds[:, 2] <= e.xmax + m)
            & (bounds[:, 3] <= e.ymax + m)
        )
    return inside


# shapely geometry type ids
_POINT, _LINE, _RING, _POLYGON, _MPOINT, _MLINE, _MPOLYGON, _COLLECTION = range(8)
POINT_TYPE: Final = _POINT
_KIND_TYPES: Final = {
    GeometryKind.POINT: {_POINT},
    GeometryKind.LINE: {_LINE, _MLINE},
    GeometryKind.POLYGON: {_POLYGON, _MPOLYGON},
}
_KIND_PARTS: Final = {  # the single-part type ids a kind is made of
    GeometryKind.POINT: {_POINT},
    GeometryKind.LINE: {_LINE, _RING},
    GeometryKind.POLYGON: {_POLYGON},
}


def _parts_of_kind(geom: shapely.Geometry, kind: str) -> list[shapely.Geometry]:
    parts = shapely.get_parts(geom)
    nested = [p for p in parts if shapely.get_type_id(p) in (_MPOINT, _MLINE, _MPOLYGON)]
    if nested:  # a collection holding multi-part geometries (make_valid makes those)
        parts = shapely.get_parts(parts)
    wanted = _KIND_PARTS[GeometryKind(kind)]
    return [
        shapely.LineString(p.coords) if shapely.get_type_id(p) == _RING else p
        for p in parts
        if shapely.get_type_id(p) in wanted and not p.is_empty
    ]


def _promote(geom: shapely.Geometry, kind: str) -> shapely.Geometry | str:
    """The geometry in a type the class allows, or an error message."""
    type_id = int(shapely.get_type_id(geom))
    if type_id in _KIND_TYPES[GeometryKind(kind)]:
        return geom
    parts = _parts_of_kind(geom, kind)
    all_parts = int(shapely.get_num_geometries(geom)) if type_id >= _MPOINT else 1
    label = GeometryKind(kind).label
    if kind == GeometryKind.POINT:
        if type_id == _MPOINT and len(parts) == 1 and all_parts == 1:
            return parts[0]
        if type_id == _MPOINT:
            return _("a MultiPoint of %(n)d points; the class needs a single point.") % {
                "n": all_parts
            }
    elif parts and len(parts) == all_parts:
        if len(parts) == 1:
            return parts[0]
        if kind == GeometryKind.LINE:
            return shapely.MultiLineString(parts)
        return shapely.MultiPolygon(parts)
    return _("the class needs a %(kind)s, not a %(type)s.") % {
        "kind": str(label).lower(),
        "type": geom.geom_type,
    }


def _salvage(fixed: shapely.Geometry, kind: str) -> shapely.Geometry | None:
    """What ``make_valid`` made of an invalid geometry, reduced to the parts of the class's
    kind (a collapsed spike of a polygon becomes a line, which is dropped)."""
    if fixed.is_empty:
        return None
    parts = _parts_of_kind(fixed, kind)
    if not parts:
        return None
    if len(parts) == 1:
        result = parts[0]
    elif kind == GeometryKind.LINE:
        result = shapely.MultiLineString(parts)
    elif kind == GeometryKind.POLYGON:
        result = shapely.MultiPolygon(parts)
    else:
        return None
    return result if result.is_valid else None


def check_geometries(
    raw: np.ndarray,
    kinds: list[str],
    crs: str,
    extents: list[sql.Extent],
    *,
    repair: bool = False,
) -> GeometryCheck:
    """Convert, range-check, validate (or repair) and promote a batch of geometries.

    ``raw``: object array of shapely geometries (or None) in ``crs``; ``kinds``: the
    geometry kind of each row's class (``""`` for rows already failed: left alone).
    """
    n = len(raw)
    result = GeometryCheck(np.full(n, None, dtype=object))
    errors = result.errors
    kind_array = np.asarray(kinds, dtype=object)
    todo = kind_array != ""
    missing = np.asarray(shapely.is_missing(raw), dtype=bool)
    for i in np.flatnonzero(todo & missing):
        errors[int(i)] = _("the row has no geometry.")
    todo &= ~missing
    idx = np.flatnonzero(todo)
    if not len(idx):
        return result
    geoms = np.asarray(raw[idx], dtype=object)
    empty = np.asarray(shapely.is_empty(geoms), dtype=bool)
    for i in idx[empty]:
        errors[int(i)] = _(
            "the geometry is empty (no coordinates, or coordinates that are not numbers, "
            "such as NaN)."
        )
    if len(geoms) and (shapely.has_z(geoms).any() or shapely.has_m(geoms).any()):
        geoms = np.asarray(shapely.force_2d(geoms), dtype=object)  # Z and M are dropped
    coordinates, owner = shapely.get_coordinates(geoms, return_index=True)
    bad = np.unique(owner[~np.isfinite(coordinates).all(axis=1)])
    for j in bad:
        errors[int(idx[j])] = _("the geometry has a non-finite coordinate (NaN or infinity).")
    keep = ~empty
    keep[bad] = False
    idx, geoms = idx[keep], geoms[keep]
    if not len(idx):
        return result
    # a representative source coordinate of each row (lower left), for messages
    source_xy = np.asarray(shapely.bounds(geoms))[:, :2]
    converted = to_storage_crs(geoms, crs)
    coordinates, owner = shapely.get_coordinates(converted, return_index=True)
    bad = np.unique(owner[~np.isfinite(coordinates).all(axis=1)])
    for j in bad:
        errors[int(idx[j])] = _(
            "coordinates %(src)s cannot be converted from %(crs)s (outside its area of use?)."
        ) % {"src": fmt_point(*source_xy[j]), "crs": crs}
    bounds = np.asarray(shapely.bounds(converted))
    plausible = _within_extents(bounds, extents)
    plausible[bad] = True  # reported already
    for j in np.flatnonzero(~plausible):
        errors[int(idx[j])] = _("implausible position: %(hint)s") % {
            "hint": _extent_hint(
                (float(source_xy[j][0]), float(source_xy[j][1])),
                (float(bounds[j][0]), float(bounds[j][1])),
                extents,
            )
        }
    keep = plausible.copy()
    keep[bad] = False
    idx, converted = idx[keep], converted[keep]
    valid = np.asarray(shapely.is_valid(converted), dtype=bool)
    for j in np.flatnonzero(~valid):
        geom = converted[j]
        reason = explain_validity(geom)
        if repair:
            kind = kinds[int(idx[j])]
            promoted = _salvage(shapely.make_valid(geom), kind)
            if promoted is None:
                errors[int(idx[j])] = _(
                    "invalid geometry (%(reason)s) that could not be repaired into a %(kind)s."
                ) % {"reason": reason, "kind": kind}
                valid[j] = False
                continue
            converted[j] = promoted
            result.repaired[int(idx[j])] = (reason, promoted.geom_type)
            valid[j] = True
        else:
            errors[int(idx[j])] = _(
                "invalid geometry: %(reason)s (repair it, or import with repair)."
            ) % {"reason": reason}
    idx, converted = idx[valid], converted[valid]
    type_ids = np.asarray(shapely.get_type_id(converted))
    row_kinds = kind_array[idx]
    fits = np.zeros(len(idx), dtype=bool)
    for kind, types in _KIND_TYPES.items():
        fits |= (row_kinds == kind) & np.isin(type_ids, list(types))
    result.geometries[idx[fits]] = converted[fits]
    for j in np.flatnonzero(~fits):  # promoted to the class's type, or refused
        i, geom, kind = idx[j], converted[j], str(row_kinds[j])
        promoted = _promote(geom, kind)
        if isinstance(promoted, str):
            errors[int(i)] = promoted
        else:
            result.geometries[i] = promoted
    return result


def check_sizes(
    geometries: np.ndarray,
    classes: np.ndarray,
    limits: dict[str, tuple[float | None, int | None]],
) -> dict[int, str]:
    """Rows whose (converted, checked) geometry has more vertices or a larger geodesic area
    than its class allows (``ComponentClass.max_vertices``, ``max_area_m2``): position ->
    message. Vertices are counted for every row at once; the geodesic area is measured only
    for polygons whose planar area in degrees could come near the limit."""
    errors: dict[int, str] = {}
    rows = np.flatnonzero(~np.asarray(shapely.is_missing(geometries), dtype=bool))
    if not len(rows):
        return errors
    geoms = geometries[rows]
    klasses = classes[rows]
    vertices = np.asarray(shapely.get_num_coordinates(geoms))
    # degrees² to m² (an upper bound: the cosine of the lowest latitude of the row)
    lowest = np.abs(np.asarray(shapely.bounds(geoms))[:, [1, 3]]).min(axis=1)
    rough = np.asarray(shapely.area(geoms)) * (111_320.0**2) * np.cos(np.radians(lowest))
    for j, klass in enumerate(klasses.tolist()):
        max_area, max_vertices = limits.get(klass, (None, None))
        if max_vertices is not None and vertices[j] > max_vertices:
            errors[int(rows[j])] = (
                geometry_input.size_problem(geoms[j], max_area_m2=None, max_vertices=max_vertices)
                or ""
            )
        elif max_area is not None and rough[j] > 0.9 * max_area:
            problem = geometry_input.size_problem(geoms[j], max_area_m2=max_area, max_vertices=None)
            if problem is not None:
                errors[int(rows[j])] = problem
    return errors
