"""The import pipeline: file -> mapped, reprojected, validated, deduplicated, loaded.

One ``run_import`` call is one recorded run (``ImportJob``), a dry run or a commit:

1. **Open** the file with the reader for its format (``importers.readers``) and decide the
   CRS: the explicit option, else what the file declares (``SourceInfo.crs``), else the run
   is refused with a message saying how to give one. Nothing is guessed.
2. **Per batch**, vectorised (numpy arrays of shapely geometries, one SQL round trip per
   step): map the attributes (``importers.mapping``), convert the coordinates to CGCS2000
   (``gis_app.coords``), check them against the platform's areas (a longitude of 1120.17
   is reported with a hint, not loaded), validate and repair geometries, promote single /
   multi types to what the class allows, derive community and grid cell in SQL, find
   existing components (identifier, source key, or the same class within the tolerance,
   via an STRtree in metres), check the user's right to create or change each row
   (``gis_app.access``), and drop duplicates inside the file (kept: the first).
   Valid rows are COPYed into session staging tables as they come (commits only).
3. **Report** (``importers.report``): counts by class and outcome, per-row errors with row
   and field, duplicates, repairs, a sample of 10 resulting features, the CRS and encoding
   decisions. Rejected rows are written to a CSV kept with the job.
4. **Commit** in one transaction: identifiers reserved per county and class, the staged
   rows inserted (``INSERT ... SELECT``, every constraint and trigger applies) and updated
   (version-checked), history and one audit event. Any database error rolls everything
   back and marks the job failed. Without ``skip_invalid`` a single invalid row refuses
   the whole file; with it, only the valid rows are loaded and the rest are downloadable.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import math
import queue
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pyproj import Transformer
from shapely.geometry import mapping as geojson_mapping
from shapely.validation import explain_validity

from component_catalog import sql as catalog_sql
from component_catalog.models import (
    Changeset,
    ChangesetSource,
    Component,
    ComponentStatus,
    Currency,
    DataSource,
    GeometryKind,
)
from component_catalog.policies import Row, WriteRefusal, WriteRules
from gis_app import access, audit, coords, geometry_input
from gis_app.errors import DomainError, InvalidInput
from gis_app.models import AuditResult
from gis_app.roles import Action
from importers import sql
from importers.files import unpack
from importers.locate import Locator
from importers.mapping import BoundMapping, Mapping, RowValues
from importers.models import ImportJob, ImportStatus
from importers.readers import (
    BATCH_ROWS,
    Batch,
    Reader,
    ReadOptions,
    SourceInfo,
    crs_hint,
    open_reader,
)
from importers.report import SAMPLE_SIZE, RejectedWriter, Report
from layers import changes

# Degrees added around each city's areas before a coordinate counts as implausible
# (about 5 km): points just outside a boundary are "outside every community", a clearer
# message for them than "implausible".
EXTENT_MARGIN_DEG: Final = 0.05
# EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E) is the metric CRS of the design; it
# is only accurate near its central meridian, so data elsewhere (tests use Artesia, CA)
# gets a transverse Mercator of the same ellipsoid centred on the data instead.
METRIC_EPSG: Final = 4549
METRIC_ZONE: Final = (118.5, 121.5)
SRID: Final = 4490

ERROR: Final = "error"
SKIP: Final = "skip"
INSERT: Final = "insert"
UPDATE: Final = "update"

Progress = Callable[[int, int | None, str], None]


@dataclass
class ImportOptions:
    """How to read and load a file (the command-line flags, the web form's fields)."""

    crs: str | None = None
    encoding: str | None = None
    layer: str | None = None
    lon_field: str | None = None
    lat_field: str | None = None
    wkt_field: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    repair: bool = False
    dedupe_metres: float = 1.0
    on_duplicate: str = UPDATE  # update | skip
    batch_rows: int = BATCH_ROWS
    member: str | None = None  # the data file inside a zip holding several
    file_name: str | None = None  # the name to record (an upload's original name)
    address: str | None = None  # the client's address, for the audit log

    def read_options(self) -> ReadOptions:
        return ReadOptions(
            encoding=self.encoding,
            crs=self.crs,
            layer=self.layer,
            lon_field=self.lon_field,
            lat_field=self.lat_field,
            wkt_field=self.wkt_field,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("address")
        return data


class ImportRefused(InvalidInput):
    """The run is refused as a whole (no CRS, unreadable file, bad mapping ...)."""

    code = "import_refused"


# --- readers -------------------------------------------------------------------------------


def refusal_for_crs(info: SourceInfo, file_name: str) -> str:
    return _(
        "%(name)s: no coordinate system, so nothing was imported (coordinates are never "
        "guessed). %(hint)s"
    ) % {
        "name": file_name,
        "hint": crs_hint(info),
    }


# --- geometry --------------------------------------------------------------------------------


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
    geometries: np.ndarray  # converted, promoted; None where the row failed
    errors: dict[int, str] = field(default_factory=dict)  # index -> message (field geometry)
    repaired: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (was, now)


def _fmt(x: float, y: float) -> str:
    return f"({x:.6f}, {y:.6f})"


def _extent_hint(
    source_xy: tuple[float, float], xy: tuple[float, float], extents: list[sql.Extent]
) -> str:
    x, y = xy
    where = _("coordinates %(src)s") % {"src": _fmt(*source_xy)}
    if source_xy != xy:
        where += _(" (%(dst)s in CGCS2000)") % {"dst": _fmt(x, y)}
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


def _degrees(metres: float, geometries: np.ndarray) -> tuple[float, float]:
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


# Up to this many existing components around a batch are read at once for deduplication
# (the pipeline compares in metres anyway); beyond, only those near each row are read.
NEAR_ALL_LIMIT: Final = 50_000
_SRID_HEX: Final = SRID.to_bytes(4, "little").hex().upper()


# One 2D point as little-endian EWKB: byte order, type (Point | SRID flag), SRID, x, y.
_POINT_EWKB: Final = np.dtype(
    [("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")]
)
_POINT_HEX_CHARS: Final = 2 * _POINT_EWKB.itemsize


def _point_ewkb_hex(xy: np.ndarray) -> list[str]:
    records = np.empty(len(xy), dtype=_POINT_EWKB)
    records["order"] = 1
    records["type"] = 0x20000001
    records["srid"] = SRID
    records["x"] = xy[:, 0]
    records["y"] = xy[:, 1]
    text = records.tobytes().hex().upper()
    size = _POINT_HEX_CHARS
    return [text[k : k + size] for k in range(0, len(text), size)]


def ewkb_hex(geoms: np.ndarray) -> list[str]:
    """Geometries as hex EWKB with SRID 4490 (what PostGIS reads into a typed column).
    The SRID flag and value are spliced into little-endian WKB: ``shapely.set_srid`` would
    copy every geometry first, which costs more than the encoding itself. 2D points (most
    big imports) are encoded straight from their coordinate array."""
    points = len(geoms) and bool(np.all(shapely.get_type_id(geoms) == _POINT))
    if points and not shapely.has_z(geoms).any():
        return _point_ewkb_hex(shapely.get_coordinates(geoms))
    out = []
    for h in shapely.to_wkb(geoms, hex=True, byte_order=1):
        flags = h[8:10]  # the type's high byte: Z/M/SRID flags of extended WKB
        if flags != "00":
            flags = f"{int(flags, 16) | 0x20:02X}"
        out.append(h[:8] + ("20" if flags == "00" else flags) + _SRID_HEX + h[10:])
    return out


_POINT, _LINE, _RING, _POLYGON, _MPOINT, _MLINE, _MPOLYGON, _COLLECTION = range(8)
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
        ) % {"src": _fmt(*source_xy[j]), "crs": crs}
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


# --- metric index (deduplication) ----------------------------------------------------------


class Metric:
    """Projection of CGCS2000 lon/lat to metres, chosen once per run from the data."""

    def __init__(self, lon: float) -> None:
        if METRIC_ZONE[0] <= lon <= METRIC_ZONE[1]:
            target = f"EPSG:{METRIC_EPSG}"
        else:
            target = f"+proj=tmerc +lon_0={round(lon, 1)} +lat_0=0 +k=1 +ellps=GRS80 +units=m"
        self.name = target
        self._transformer = Transformer.from_crs(f"EPSG:{SRID}", target, always_xy=True)

    def _apply(self, xy: np.ndarray) -> np.ndarray:
        x, y = self._transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    def project_xy(self, points: np.ndarray) -> np.ndarray:
        """Points -> their (x, y) in metres, an (n, 2) array."""
        return self._apply(shapely.get_coordinates(points))

    def project(self, geometries: np.ndarray) -> np.ndarray:
        if not len(geometries):
            return geometries
        return np.asarray(shapely.transform(geometries, self._apply), dtype=object)


def _close_pairs(
    tree: shapely.STRtree,
    tree_geoms: np.ndarray,
    geoms: np.ndarray,
    metres: float,
    points: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input index, tree index, distance) of the pairs within ``metres``. Lines and
    polygons must match as shapes (Hausdorff distance), not merely touch."""
    pairs = tree.query(geoms, predicate="dwithin", distance=metres)
    left, right = pairs[0], pairs[1]
    if not len(left):
        return left, right, np.zeros(0)
    if points:
        distance = shapely.distance(geoms[left], tree_geoms[right])
    else:
        distance = shapely.hausdorff_distance(geoms[left], tree_geoms[right])
    close = distance <= metres
    return left[close], right[close], np.asarray(distance[close])


@dataclass
class _Kept:
    tree: shapely.STRtree
    geoms: np.ndarray
    rows: np.ndarray


_CELL_SHIFT: Final = 1 << 32


def _cell_keys(cells: np.ndarray, ox: int = 0, oy: int = 0) -> np.ndarray:
    return (cells[:, 0] + ox) * _CELL_SHIFT + (cells[:, 1] + oy)


class _PointCells:
    """Points (metric x, y) indexed by a square grid whose cells are as wide as the
    tolerance, so every pair closer than it lies in the same or a neighbouring cell: a
    batch is compared with everything kept so far in 9 sorted look-ups, linear in the
    rows instead of one tree per earlier batch."""

    def __init__(self, metres: float) -> None:
        self.metres = metres
        self.keys = np.zeros(0, dtype=np.int64)  # sorted
        self.xy = np.zeros((0, 2))
        self.rows = np.zeros(0, dtype=np.int64)

    def cells(self, xy: np.ndarray) -> np.ndarray:
        return np.floor(xy / self.metres).astype(np.int64)

    def pairs(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, index here, distance) of the pairs within the tolerance."""
        return _grid_pairs(self.keys, self.xy, xy, self.cells(xy), self.metres)

    def add(self, xy: np.ndarray, rows: np.ndarray) -> None:
        """Remember more points: merged into the sorted arrays (after the points already
        there with the same key), not sorted again with them."""
        keys = _cell_keys(self.cells(xy))
        order = np.argsort(keys)
        keys = keys[order]
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, at, keys)
        self.xy = np.insert(self.xy, at, xy[order], axis=0)
        self.rows = np.insert(self.rows, at, rows[order])


def _grid_pairs(
    keys: np.ndarray, xy: np.ndarray, query: np.ndarray, cells: np.ndarray, metres: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (query index, index into the sorted ``keys``/``xy``, distance) within
    ``metres``; ``cells``: the query points' grid cells."""
    lefts, rights = [], []
    # the queries in key order: the look-ups then walk ``keys`` forwards
    order = np.argsort(_cell_keys(cells))
    cells = cells[order]
    for ox in (-1, 0, 1):
        # cells (x + ox, y - 1 .. y + 1) have consecutive keys: one range per column
        lo = np.searchsorted(keys, _cell_keys(cells, ox, -1), side="left")
        n = np.searchsorted(keys, _cell_keys(cells, ox, 1), side="right") - lo
        total = int(n.sum())
        if not total:
            continue
        lefts.append(np.repeat(order, n))
        # position of each pair in the flat list, shifted to its range of ``keys``
        rights.append(np.arange(total) + np.repeat(lo - (np.cumsum(n) - n), n))
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    left, right = np.concatenate(lefts), np.concatenate(rights)
    distance = np.hypot(*(query[left] - xy[right]).T)
    close = distance <= metres
    return left[close], right[close], distance[close]


class FileDuplicates:
    """Duplicates inside the file: the same class and the same source key, or the same
    class within the tolerance, whatever their keys say (the first row is kept, later ones
    are skipped and reported with the row they repeat)."""

    def __init__(self, metres: float) -> None:
        self.metres = metres
        self.kept: dict[str, list[_Kept]] = defaultdict(list)
        self.points: dict[str, _PointCells] = {}
        self.keys: dict[tuple[str, str], int] = {}

    def check(
        self, klass: str, rows: np.ndarray, geoms_m: np.ndarray, keys: list[str], points: bool
    ) -> list[tuple[int, int, str, float]]:
        """(index, row it duplicates, reason, distance) for each duplicate among the given
        rows (all of class ``klass``, ascending row numbers); remembers the others.
        ``geoms_m``: the geometries in metres, or for a point class their (x, y) array."""
        earlier: dict[int, list[tuple[int, float]]] = defaultdict(list)  # earlier batches
        within: dict[int, list[tuple[int, float]]] = defaultdict(list)  # this batch
        if self.metres > 0 and points:
            cells = self.points.setdefault(klass, _PointCells(self.metres))
            left, right, dist = cells.pairs(geoms_m)
            for a, b, d in zip(left, right, dist, strict=True):
                earlier[int(a)].append((int(cells.rows[b]), float(d)))
            here = _PointCells(self.metres)  # this batch, its rows numbered by index
            here.add(geoms_m, np.arange(len(geoms_m)))
            left, right, dist = here.pairs(geoms_m)
            right = here.rows[right]
            before = left > right
            for a, b, d in zip(left[before], right[before], dist[before], strict=True):
                within[int(a)].append((int(b), float(d)))
        elif self.metres > 0:
            for kept in self.kept[klass]:
                left, right, dist = _close_pairs(
                    kept.tree, kept.geoms, geoms_m, self.metres, points
                )
                for a, b, d in zip(left, right, dist, strict=True):
                    earlier[int(a)].append((int(kept.rows[b]), float(d)))
            left, right, dist = _close_pairs(
                shapely.STRtree(geoms_m), geoms_m, geoms_m, self.metres, points
            )
            before = left > right
            for a, b, d in zip(left[before], right[before], dist[before], strict=True):
                within[int(a)].append((int(b), float(d)))
        # rows with no key and nothing within the tolerance are kept: only the others are
        # looked at one by one, in order (a row repeats only a kept row)
        kept_mask = np.ones(len(rows), dtype=bool)
        found: list[tuple[int, int, str, float]] = []
        doubtful = {j for j, key in enumerate(keys) if key} if any(keys) else set()
        doubtful.update(earlier, within)
        for j in sorted(doubtful):
            key = keys[j]
            kept_mask[j] = False
            if key and (klass, key) in self.keys:
                found.append((j, self.keys[(klass, key)], _("same source key"), 0.0))
                continue
            candidates = earlier.get(j, []) + [
                (int(rows[b]), d) for b, d in within.get(j, []) if kept_mask[b]
            ]
            if candidates:
                row, d = min(candidates)
                found.append((j, row, _("same class within %(m)g m") % {"m": self.metres}, d))
                continue
            kept_mask[j] = True
            if key:
                self.keys[(klass, key)] = int(rows[j])
        if self.metres > 0 and kept_mask.any():
            if points:
                self.points[klass].add(geoms_m[kept_mask], rows[kept_mask])
            else:
                geoms = geoms_m[kept_mask]
                self.kept[klass].append(_Kept(shapely.STRtree(geoms), geoms, rows[kept_mask]))
        return found


# --- the run ---------------------------------------------------------------------------------


# Outcome of a row while its batch is worked on (then counted as insert or update).
_LIVE: Final = 0
_ERRORED: Final = 1
_SKIPPED: Final = 2


class _State:
    """Working state of one batch, column by column: position ``i`` is row ``i`` of the
    batch. Problems and matched components are kept only for the rows that have them."""

    def __init__(self, n: int) -> None:
        unmapped = RowValues()  # until the mapping's values come; never changed
        self.values: list[RowValues] = [unmapped] * n
        self.outcome = np.zeros(n, dtype=np.int8)
        self.problems: dict[int, list[tuple[str, str, str]]] = {}  # field, target, message
        self.geometry = np.full(n, None, dtype=object)  # converted and promoted
        self.ewkb = np.full(n, None, dtype=object)  # hex EWKB (SRID 4490), as staged
        self.community = np.full(n, None, dtype=object)
        self.grid = np.full(n, None, dtype=object)
        self.target: dict[int, sql.Existing] = {}  # the existing component a row updates
        self.points_m: np.ndarray | None = None  # metric (x, y) of the point rows

    def metric_xy(self, positions: np.ndarray, metric: Metric) -> np.ndarray:
        """The metric (x, y) of point rows (matching and deduplication both need them):
        projected once per batch, for every row that is then live and a point."""
        if self.points_m is None:
            self.points_m = np.full((len(self.outcome), 2), np.nan)
            ok = self.live()
            at = ok[shapely.get_type_id(self.geometry[ok]) == _POINT]
            self.points_m[at] = metric.project_xy(self.geometry[at])
        return self.points_m[positions]

    def fail(self, i: int, field_name: str, message: str, target: str = "") -> None:
        self.outcome[i] = _ERRORED
        self.problems.setdefault(i, []).append((field_name, target or field_name, message))

    def live(self, among: np.ndarray | None = None) -> np.ndarray:
        """The positions still live, ascending (of ``among`` when given)."""
        if among is None:
            return np.flatnonzero(self.outcome == _LIVE)
        return among[self.outcome[among] == _LIVE]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is worked on: a batch makes a few
    million small containers without cycles, and the collector's passes over them cost
    more than the work (reference counting frees them as usual)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# one encoder for all rows (``json.dumps`` with options builds a new one per call)
_JSON = json.JSONEncoder(ensure_ascii=False)


class AttributesJSON:
    """Attribute objects as JSON text, each distinct ``"name": value`` member encoded once
    (imports repeat the same species, sizes and dates). The text goes into a jsonb column,
    which keeps members, not spacing or order."""

    def __init__(self, limit: int = 100_000) -> None:
        self.members: dict[tuple[str, type, Any], str] = {}
        self.limit = limit

    def __call__(self, attributes: dict[str, Any]) -> str:
        members = self.members
        parts = []
        for name, value in attributes.items():
            key = (name, type(value), value)
            try:
                part = members[key]
            except KeyError:
                part = f"{_JSON.encode(name)}: {_JSON.encode(value)}"
                if len(members) < self.limit:
                    members[key] = part
            except TypeError:  # an unhashable value (a list, an object)
                part = f"{_JSON.encode(name)}: {_JSON.encode(value)}"
            parts.append(part)
        return "{" + ", ".join(parts) + "}"


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def read_ahead(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """The batches of a reader, read up to ``depth`` ahead in a thread while the current
    one is checked: GDAL and Arrow parse without holding the GIL, so reading the file runs
    on a second core. The reader's errors are raised here, in order; its messages are in
    the caller's language."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        with translation.override(language):
            try:
                for batch in batches:
                    if not put(batch):
                        return
                put(_END)
            except BaseException as error:  # handed to the consumer, raised there
                put(_Failed(error))

    thread = threading.Thread(target=read, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # the reader's files, from this thread once the reading one has ended


def sha256_of(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _component(klass: str, community: str, owner: int, maintainer: int, currency: str) -> Component:
    """An unsaved component carrying what access decisions look at."""
    return Component(
        component_class_id=klass,
        community_id=community,
        county_code=community[:6],
        owner_id=owner,
        maintainer_id=maintainer,
        currency=currency,
    )


class ImportRun:
    bound: BoundMapping

    def __init__(
        self,
        path: Path,
        mapping: Mapping,
        user: Any,
        options: ImportOptions,
        progress: Progress | None = None,
    ) -> None:
        self.path = path
        self.mapping = mapping
        self.user = user
        self.options = options
        self.progress = progress
        self.file_name = (options.file_name or path.name)[:200]
        self.report = Report()
        self.crs = ""
        self.metric: Metric | None = None
        self.locator: Locator | None = None  # built at the first batch
        self.duplicates = FileDuplicates(options.dedupe_metres)
        self.claimed: dict[int, int] = {}  # existing component id -> row that updates it
        self.access_cache: dict[tuple[Any, ...], bool] = {}
        self.write_rules = WriteRules(user)
        # rows the write rule refused, by action and the field at fault
        self.denied: Counter[tuple[str, str]] = Counter()
        self.org_codes: dict[int, str] = {}
        self.staged = {INSERT: 0, UPDATE: 0}
        self.ranks: Counter[tuple[str, str | None]] = Counter()  # insertions per county, class
        # the staging COPY of a batch runs in this thread while the next batch is checked
        self.copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-copy")
        self.copying: Future[None] | None = None
        self.rejected: RejectedWriter | None = None
        self.sample_rows: list[int] = []
        self.attributes_json = AttributesJSON()
        self.extents: list[sql.Extent] = []
        if options.on_duplicate not in (UPDATE, SKIP):
            raise ImportRefused(_("on_duplicate must be update or skip."), field="on_duplicate")
        if not math.isfinite(options.dedupe_metres) or options.dedupe_metres < 0:
            raise ImportRefused(
                _("The deduplication tolerance must be 0 (off) or more metres."),
                field="dedupe_metres",
            )

    # -- entry -----------------------------------------------------------------------------------

    def execute(self, job: ImportJob) -> ImportJob:
        self.started = started = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="import-") as tmp:
                return self._execute(job, Path(tmp), started)
        finally:
            self.report.timing.setdefault("total", time.perf_counter() - started)

    def _execute(self, job: ImportJob, tmp: Path, started: float) -> ImportJob:
        data_file = unpack(self.path, tmp / "unpacked", member=self.options.member)
        reader = open_reader(data_file, self.options.read_options())
        info = reader.info()
        self._decide_crs(info)
        job.format = info.format
        bound = BoundMapping(self.mapping, info.fields)
        self.bound = bound
        self.org_codes = bound.organization_codes()
        sql.ensure_statistics()
        self.extents = sql.area_extents()
        if not self.extents:
            raise ImportRefused(_("The platform has no administrative areas yet."))
        self.report.options = {**self.options.as_dict(), "mapping": self.mapping.as_dict()}
        commit = not self.options.dry_run
        self.rejected = RejectedWriter(tmp / "rejected.csv", info.fields)
        try:
            if commit:
                sql.create_staging()
            done = 0
            for batch in self._batches(reader):
                with _gc_paused():
                    self._batch(batch, commit)
                done += len(batch)
                if self.progress:
                    self.progress(done, info.count, "validate")
            self._staged()
            self.rejected.close()
            self._audit_denied(job)
            self.report.timing["validate"] = time.perf_counter() - started
            totals = self.report.totals
            if self.rejected.count:
                with self.rejected.path.open("rb") as handle:
                    job.rejected_file.save("rejected.csv", File(handle), save=False)
            if not commit:
                job.status = ImportStatus.DRY_RUN
            elif totals[ERROR] and not self.options.skip_invalid:
                job.status = ImportStatus.REFUSED
                job.error = _(
                    "%(n)d of %(rows)d rows are invalid, so nothing was imported. Correct "
                    "them (the rejected rows are listed in the report and downloadable), "
                    "or import with skip_invalid (--skip-invalid) to load only the valid "
                    "rows."
                ) % {"n": totals[ERROR], "rows": totals["rows"]}
            elif not (totals[INSERT] or totals[UPDATE]):
                job.status = ImportStatus.NOTHING
                job.error = _("No row to insert or update: every row was skipped.")
            else:
                self._commit(job)
        finally:
            self.rejected.close()
            if commit:
                with contextlib.suppress(Exception):  # never hide the original error
                    self._staged()
                with contextlib.suppress(DatabaseError):
                    sql.drop_staging()
            self.copier.shutdown()
        return job

    def _staged(self) -> None:
        """Wait for the COPY of the previous batch (sent from ``copier``'s thread)."""
        if self.copying is not None:
            copying, self.copying = self.copying, None
            with connection.wrap_database_errors:  # the driver's errors as Django's
                copying.result()

    def _decide_crs(self, info: SourceInfo) -> None:
        given = (self.options.crs or "").strip()
        if given:
            try:
                self.crs = coords.parse_crs(given)
            except ValueError as exc:
                raise ImportRefused(str(exc), field="crs") from None
            source = "option"
        elif info.crs:
            self.crs = info.crs
            source = info.crs_source
        else:
            raise ImportRefused(refusal_for_crs(info, self.file_name), field="crs")
        self.report.source = {
            "format": info.format,
            "layer": info.layer,
            "crs": self.crs,
            "crs_source": source,
            "crs_suggestion": info.crs_suggestion,
            "encoding": info.encoding,
            "encoding_source": info.encoding_source,
            "fields": info.fields,
            "count": info.count,
            "notes": list(info.notes),
        }

    def _batches(self, reader: Reader) -> Iterator[Batch]:
        yield from read_ahead(reader.batches(self.options.batch_rows))

    # -- one batch ---------------------------------------------------------------------------

    def _batch(self, batch: Batch, commit: bool) -> None:
        t0 = time.perf_counter()
        n = len(batch)
        rows = batch.row_numbers
        st = _State(n)
        fail = st.fail
        if batch.errors:  # rows the reader could not read
            position = {int(r): i for i, r in enumerate(rows)}
            for row, (field_name, message) in batch.errors.items():
                if row in position:
                    fail(position[row], field_name or "row", message)
        # 1. mapping
        bound = self.bound
        todo = st.live().tolist()
        mapped = bound.rows(batch.columns, todo)
        if len(todo) == n:
            st.values = mapped
        else:
            for i, values in zip(todo, mapped, strict=True):
                st.values[i] = values
        for i, values in zip(todo, mapped, strict=True):
            if values.skip:
                st.outcome[i] = _SKIPPED
                self.report.skipped[values.skip] += 1
            elif values.errors:
                for field_name, target, message in values.errors:
                    fail(i, field_name, message, target)
        # 2. geometry
        classes = np.array([v.class_code for v in st.values], dtype=object)
        kind_of = bound.kinds
        kinds = [kind_of[c] if c else "" for c in classes.tolist()]
        for i in np.flatnonzero(st.outcome != _LIVE).tolist():
            kinds[i] = ""  # failed or skipped already: left alone
        checked = check_geometries(
            batch.geometries, kinds, self.crs, self.extents, repair=self.options.repair
        )
        for i, message in checked.errors.items():
            fail(i, "geometry", message)
        for i, message in check_sizes(checked.geometries, classes, bound.limits).items():
            fail(i, "geometry", _("the geometry is too large: %(reason)s") % {"reason": message})
        for i, (was, now) in checked.repaired.items():
            if st.outcome[i] == _LIVE:
                self.report.repair(int(rows[i]), was, now)
        st.geometry = checked.geometries
        t1 = time.perf_counter()
        # 3. community and grid cell, and the nearby components
        self._staged()  # the connection is free again
        candidates: list[sql.Existing] = []
        ok = st.live()
        if len(ok):
            geoms = st.geometry[ok]
            ewkb: list[str] | None = None  # staged, or sent to find nearby components
            if commit:
                ewkb = ewkb_hex(geoms)
                st.ewkb[ok] = ewkb
            if bool(np.all(shapely.get_type_id(geoms) == _POINT)):
                points = geoms
            else:
                points = shapely.point_on_surface(geoms)
            if self.locator is None:
                self.locator = Locator()
            communities, cells = self.locator.locate(points)
            for j, community in enumerate(communities.tolist()):
                if community is None:
                    x, y = shapely.get_coordinates(points[j])[0]
                    fail(
                        int(ok[j]),
                        "geometry",
                        _("%(point)s lies outside every community of the platform.")
                        % {"point": _fmt(x, y)},
                    )
            st.community[ok] = communities
            st.grid[ok] = cells
            if self.options.dedupe_metres > 0:
                klasses = classes[ok].tolist()
                dx, dy = _degrees(self.options.dedupe_metres, geoms)
                xmin, ymin, _x, _y = np.nanmin(shapely.bounds(geoms), axis=0)
                _x, _y, xmax, ymax = np.nanmax(shapely.bounds(geoms), axis=0)
                box = (xmin - dx, ymin - dy, xmax + dx, ymax + dy)
                # Few components around the batch (a new area, a sparse class): all of them
                # in one query; else the batch table joined with the spatial index.
                found = sql.in_box(sorted(set(klasses)), box, NEAR_ALL_LIMIT)
                if found is not None:
                    candidates = found
                else:
                    with transaction.atomic():
                        sql.batch_settings()
                        # (created inside this transaction: an error rolls it back with it)
                        if ewkb is None:
                            ewkb = ewkb_hex(geoms)
                        sql.begin_batch(list(zip(ok.tolist(), klasses, ewkb, strict=True)))
                        candidates = sql.near_batch(st.live(ok).tolist(), dx, dy)
                        sql.end_batch()
        ok = st.live(ok)
        t2 = time.perf_counter()
        # 4. existing components, access, duplicates
        if len(ok):
            if self.metric is None:
                first = st.geometry[ok[:1000]]
                self.metric = Metric(float(np.median(shapely.get_x(shapely.centroid(first)))))
                self.report.source["metric_crs"] = self.metric.name
            self._match(st, ok, classes, candidates)
            ok = st.live(ok)
            self._check_access(st, ok, classes)
            ok = st.live(ok)
            self._dedupe(st, ok, classes, rows)
        t3 = time.perf_counter()
        # 5. outcomes, report, staging
        outcomes: Counter[tuple[str | None, str]] = Counter()
        for i in np.flatnonzero(st.outcome != _LIVE).tolist():
            klass = st.values[i].class_code
            if st.outcome[i] == _SKIPPED:
                outcomes[klass, SKIP] += 1
                continue
            outcomes[klass, ERROR] += 1
            problems = st.problems[i]
            for field_name, target, message in problems:
                self.report.error(int(rows[i]), field_name, message, target)
            assert self.rejected is not None
            raw = batch.geometries[i]
            self.rejected.write(
                int(rows[i]),
                [(f, m) for f, _t, m in problems],
                "" if raw is None else shapely.to_wkt(raw, rounding_precision=-1),
                [batch.columns[name][i] for name in self.rejected.fields],
            )
        live = st.live()
        changed = [i for i in sorted(st.target) if st.outcome[i] == _LIVE]
        if changed:
            inserted = np.setdiff1d(live, np.array(changed, dtype=live.dtype), assume_unique=True)
        else:
            inserted = live
        for klass, count in Counter(classes[inserted].tolist()).items():
            outcomes[klass, INSERT] += count
        for i in changed:
            outcomes[st.values[i].class_code, UPDATE] += 1
        for i in live[: max(SAMPLE_SIZE - len(self.report.sample), 0)].tolist():
            self._sample(st, i, int(rows[i]))
        for (klass, outcome), count in outcomes.items():
            self.report.count(klass, outcome, count)
        if commit:
            if changed:
                sql.stage_updates(
                    [
                        (*self._record(st, i, int(rows[i])), st.target[i].id, st.target[i].version)
                        for i in changed
                    ]
                )
            inserts = self._insert_records(st, inserted, rows)
            if inserts:
                self.copying = sql.stage_inserts_behind(inserts, self.copier)
            self.staged[INSERT] += len(inserts)
            self.staged[UPDATE] += len(changed)
        t4 = time.perf_counter()
        timing = self.report.timing
        timing["map_and_geometry"] += t1 - t0
        timing["locate"] += t2 - t1
        timing["match_access_dedupe"] += t3 - t2
        timing["stage"] += t4 - t3

    def _review(self, data_source: str | None) -> tuple[str | None, str]:
        """(needs_review, review_reason) staged for a data source."""
        if data_source is None:
            return None, ""
        if data_source == DataSource.MEASURED:
            # imports carry no GNSS accuracy: a "measured" position is kept but flagged, as
            # the editing service does
            return "t", _("measured position without GNSS accuracy")
        return "f", ""

    def _record(self, st: _State, i: int, row: int) -> tuple[Any, ...]:
        """A staging row (``sql.ROW_COLUMNS`` order)."""
        v = st.values[i]
        review, reason = self._review(v.data_source)
        orgs = v.organizations
        return (
            row,
            st.ewkb[i],
            v.class_code,
            v.name,
            v.address,
            v.status,
            v.data_source,
            v.initial_date.isoformat() if v.initial_date else None,
            self.attributes_json(v.attributes) if v.attributes else None,
            orgs["competent_department"],
            orgs["owner"],
            orgs["maintainer"],
            st.community[i],
            st.grid[i],
            review,
            reason,
            v.source_key,
        )

    def _insert_records(
        self, st: _State, positions: np.ndarray, rows: np.ndarray
    ) -> list[tuple[Any, ...]]:
        """Staging rows of new components (``sql.INSERT_COLUMNS`` order): the row's
        record (as ``_record`` makes it, spelt out here: this runs once per new row), its
        county, its ordinal among all insertions and its rank within its county and class
        (serials follow the rank)."""
        values, ranks, encode = st.values, self.ranks, self.attributes_json
        ordinal = self.staged[INSERT]
        out: list[tuple[Any, ...]] = []
        append = out.append
        at = positions.tolist()
        for i, row, hexed, community, grid in zip(
            at,
            rows[positions].tolist(),
            st.ewkb[positions].tolist(),
            st.community[positions].tolist(),
            st.grid[positions].tolist(),
            strict=True,
        ):
            v = values[i]
            klass = v.class_code
            county = community[:6]
            rank = ranks[county, klass] = ranks[county, klass] + 1
            review, reason = self._review(v.data_source)
            orgs = v.organizations
            append(
                (
                    row,
                    hexed,
                    klass,
                    v.name,
                    v.address,
                    v.status,
                    v.data_source,
                    v.initial_date.isoformat() if v.initial_date else None,
                    encode(v.attributes) if v.attributes else None,
                    orgs["competent_department"],
                    orgs["owner"],
                    orgs["maintainer"],
                    community,
                    grid,
                    review,
                    reason,
                    v.source_key,
                    county,
                    ordinal,
                    rank,
                )
            )
            ordinal += 1
        return out

    def _sample(self, st: _State, i: int, row: int) -> None:
        v = st.values[i]
        target = st.target.get(i)
        self.sample_rows.append(row)
        self.report.add_sample(
            {
                "type": "Feature",
                "id": target.identifier if target is not None else None,
                "geometry": geojson_mapping(st.geometry[i]),
                "properties": {
                    "row": row,
                    "outcome": UPDATE if target is not None else INSERT,
                    "class": v.class_code,
                    "name": v.name,
                    "address": v.address,
                    "status": v.status or ComponentStatus.GOOD,
                    "data_source": v.data_source or DataSource.OTHER,
                    "initial_date": v.initial_date.isoformat() if v.initial_date else None,
                    "community": st.community[i],
                    "grid_cell": st.grid[i],
                    "competent_department": self.org_codes.get(
                        v.organizations["competent_department"]
                    ),
                    "owner": self.org_codes.get(v.organizations["owner"]),
                    "maintainer": self.org_codes.get(v.organizations["maintainer"]),
                    "attributes": v.attributes,
                    "source_key": v.source_key or None,
                },
            }
        )

    # -- existing components ------------------------------------------------------------------

    def _match(
        self, st: _State, ok: np.ndarray, classes: np.ndarray, candidates: list[sql.Existing]
    ) -> None:
        """Find the existing component each row stands for: by identifier, by class and
        source key, or by class within the tolerance."""
        values = st.values
        rest = ok
        if self.mapping.identifier is not None:
            with_id = [i for i in ok.tolist() if values[i].identifier]
            if with_id:
                self._match_identifiers(st, with_id)
                rest = ok[[i not in st.target and st.outcome[i] == _LIVE for i in ok.tolist()]]
        if self.mapping.source_key is not None and len(rest):
            with_key = [i for i in rest.tolist() if values[i].source_key]
            if with_key:
                pairs = sorted(
                    {(values[i].class_code or "", values[i].source_key) for i in with_key}
                )
                by_key: dict[tuple[str, str], sql.Existing] = {}
                for e in sql.by_source_key([c for c, _k in pairs], [k for _c, k in pairs]):
                    current = by_key.get((e.class_code, e.source_key))
                    if current is None or e.id < current.id:
                        by_key[(e.class_code, e.source_key)] = e
                for i in with_key:
                    v = values[i]
                    keyed = by_key.get((v.class_code or "", v.source_key))
                    if keyed is not None:
                        st.target[i] = keyed
                if st.target:
                    rest = rest[[i not in st.target for i in rest.tolist()]]
        metres = self.options.dedupe_metres
        if len(rest) and metres > 0 and candidates:
            metric = self.metric
            assert metric is not None
            geoms = st.geometry[rest]
            klasses = classes[rest]
            cand = np.asarray(shapely.from_wkb([c.wkb for c in candidates]), dtype=object)
            by_class: dict[str, list[int]] = defaultdict(list)
            for j, c in enumerate(candidates):
                by_class[c.class_code].append(j)
            for klass, members in by_class.items():
                local = np.flatnonzero(klasses == klass)
                if not len(local):
                    continue
                if self.bound.kinds[klass] == GeometryKind.POINT:
                    # points: compared as coordinate arrays on a grid, no geometries
                    near = _PointCells(metres)
                    near.add(metric.project_xy(cand[members]), np.arange(len(members)))
                    left, right, dist = near.pairs(st.metric_xy(rest[local], metric))
                    right = near.rows[right]
                else:
                    tree_geoms = metric.project(cand[members])
                    left, right, dist = _close_pairs(
                        shapely.STRtree(tree_geoms),
                        tree_geoms,
                        metric.project(geoms[local]),
                        metres,
                        False,
                    )
                best: dict[int, tuple[float, int]] = {}
                for a, b, d in zip(left.tolist(), right.tolist(), dist.tolist(), strict=True):
                    i = int(rest[local[a]])
                    e = candidates[members[b]]
                    if i not in best or (d, e.id) < best[i]:
                        best[i] = (d, e.id)
                by_id = {c.id: c for c in candidates}
                for i, (_d, pk) in best.items():
                    st.target[i] = by_id[pk]
        for i, e in sorted(st.target.items()):
            if st.outcome[i] != _LIVE:
                continue
            county = (st.community[i] or "")[:6]
            if e.county_code != county:
                st.fail(
                    i,
                    "geometry",
                    _(
                        "the row matches component %(id)s, but lies in another district "
                        "(%(county)s): a component cannot move to another district (its "
                        "identifier contains the district); retire it and create a new one."
                    )
                    % {"id": e.identifier, "county": county},
                )

    def _match_identifiers(self, st: _State, with_id: list[int]) -> None:
        """Rows naming the identifier of the component they update: it must exist (and be
        visible to the user), be of the row's class and not be retired."""
        values = st.values
        found = {
            e.identifier: e
            for e in sql.by_identifier(sorted({values[i].identifier for i in with_id}))
        }
        field_name = self.mapping.identifier.field if self.mapping.identifier else None
        field_name = field_name or "identifier"
        for i in with_id:
            v = values[i]
            e = found.get(v.identifier)
            if e is None or not self._can(
                Action.VIEW, e.class_code, e.community_id, e.owner_id, e.maintainer_id, e.currency
            ):
                st.fail(
                    i,
                    field_name,
                    _("there is no component %(id)s.") % {"id": v.identifier},
                    "identifier",
                )
            elif e.class_code != v.class_code:
                st.fail(
                    i,
                    field_name,
                    _("component %(id)s is of class %(has)s, not %(class)s.")
                    % {"id": e.identifier, "has": e.class_code, "class": v.class_code},
                    "identifier",
                )
            elif e.currency == Currency.RETIRED:
                st.fail(
                    i,
                    field_name,
                    _("component %(id)s is retired.") % {"id": e.identifier},
                    "identifier",
                )
            else:
                st.target[i] = e

    def _can(
        self,
        action: Action,
        klass: str,
        community: str,
        owner: int,
        maintainer: int,
        currency: str = Currency.IN_USE,
    ) -> bool:
        """``access.can`` for a component with these properties (the only ones access
        decisions look at), asked once per distinct combination."""
        key = (action, klass, community, owner, maintainer, currency)
        allowed = self.access_cache.get(key)
        if allowed is None:
            component = _component(klass, community, owner, maintainer, currency)
            allowed = access.can(self.user, action, component)
            self.access_cache[key] = allowed
        return allowed

    def _source_of(self, target: str) -> str:
        """The source field a refused target came from (the target itself when the
        mapping gives a fixed value)."""
        if target == "class":
            return self.mapping.class_field or target
        source = getattr(self.mapping, target, None)
        return (source.field if source is not None else None) or target

    def _refuse(self, st: _State, i: int, action: str, refusal: WriteRefusal) -> None:
        target = (refusal.field or "row").removeprefix("properties.")
        st.fail(i, self._source_of(target), refusal.message, target)
        self.denied[action, refusal.field or "row"] += 1

    def _check_access(self, st: _State, ok: np.ndarray, classes: np.ndarray) -> None:
        """The user's right to create each new row and to change what each matched row
        would update: the one write rule of the component policy (``WriteRules``, which
        answers once per distinct class, community and organizations)."""
        values = st.values
        rules = self.write_rules
        new = ok[[i not in st.target for i in ok.tolist()]] if st.target else ok
        for i, klass, community in zip(
            new.tolist(), classes[new].tolist(), st.community[new].tolist(), strict=True
        ):
            orgs = values[i].organizations
            wanted = Row(
                klass,
                community,
                orgs["competent_department"],
                orgs["owner"],
                orgs["maintainer"],
            )
            refusal = rules.refusal(Action.CREATE, wanted)
            if refusal is not None:
                self._refuse(st, i, "create", refusal)
        if self.options.on_duplicate == SKIP:
            return  # nothing will be written to the matched components
        for i, e in sorted(st.target.items()):
            if st.outcome[i] != _LIVE:
                continue
            v = values[i]
            orgs = v.organizations
            current = (e.class_code, e.community_id, e.owner_id, e.maintainer_id, e.currency)
            if not self._can(Action.CHANGE, *current):
                st.fail(
                    i,
                    "row",
                    _("The row would update component %(id)s, which you may not change.")
                    % {"id": e.identifier},
                )
                self.denied["update", "row"] += 1
                continue
            before = Row(
                e.class_code,
                e.community_id,
                e.competent_department_id,
                e.owner_id,
                e.maintainer_id,
                e.currency,
            )
            wanted = Row(
                v.class_code or "",
                st.community[i],
                orgs["competent_department"],
                orgs["owner"],
                orgs["maintainer"],
                e.currency,
            )
            refusal = rules.refusal(Action.CHANGE, wanted, before)
            if refusal is not None:
                self._refuse(st, i, "update", refusal)

    def _audit_denied(self, job: ImportJob) -> None:
        """One denied audit event per run for the rows the write rule refused (as the API
        records each refused create or update)."""
        for action in ("create", "update"):
            fields = {f: n for (a, f), n in self.denied.items() if a == action}
            if not fields:
                continue
            audit.record(
                f"component.{action}",
                actor=self.user,
                obj=job,
                result=AuditResult.DENIED,
                address=self.options.address,
                detail={
                    "reason": "permission_denied",
                    "rows": sum(fields.values()),
                    "fields": fields,
                    "dry_run": self.options.dry_run,
                },
            )

    def _dedupe(self, st: _State, ok: np.ndarray, classes: np.ndarray, rows: np.ndarray) -> None:
        assert self.metric is not None
        klasses = classes[ok]
        keyed = self.mapping.source_key is not None
        for klass in dict.fromkeys(klasses.tolist()):  # in order of first appearance
            members = ok[klasses == klass]
            points = self.bound.kinds[klass] == GeometryKind.POINT
            keys = (
                [st.values[i].source_key for i in members.tolist()]
                if keyed
                else [""] * len(members)
            )
            found = self.duplicates.check(
                klass,
                rows[members],
                st.metric_xy(members, self.metric)
                if points
                else self.metric.project(st.geometry[members]),
                keys,
                points,
            )
            for j, first, reason, distance in found:
                i = int(members[j])
                st.outcome[i] = _SKIPPED
                self.report.duplicate(
                    int(rows[i]), reason, duplicate_of_row=first, distance_m=round(distance, 3)
                )
        for i, e in sorted(st.target.items()):
            if st.outcome[i] != _LIVE:
                continue
            claimed = self.claimed.get(e.id)
            if claimed is not None:
                st.outcome[i] = _SKIPPED
                self.report.duplicate(
                    int(rows[i]),
                    _("matches the same component %(id)s as an earlier row") % {"id": e.identifier},
                    duplicate_of_row=claimed,
                    component=e.identifier,
                )
                continue
            self.claimed[e.id] = int(rows[i])
            if self.options.on_duplicate == SKIP:
                st.outcome[i] = _SKIPPED
                self.report.duplicate(
                    int(rows[i]),
                    _("matches existing component %(id)s") % {"id": e.identifier},
                    component=e.identifier,
                )

    # -- commit -----------------------------------------------------------------------------

    def _commit(self, job: ImportJob) -> None:
        """One transaction: reserve serials, insert, update, history, audit; all or nothing."""
        loading = time.perf_counter()
        if self.progress:
            self.progress(self.staged[INSERT] + self.staged[UPDATE], None, "load")
        user = self.user
        user_id = user.pk if getattr(user, "is_authenticated", False) else None
        username = user.get_username() if user_id else ""
        with transaction.atomic():
            changeset = Changeset.objects.create(
                user=user if user_id else None,
                comment=_("Import of %(file)s (job %(job)s)")
                % {"file": self.file_name, "job": job.pk},
                source=ChangesetSource.IMPORT,
                closed_at=timezone.now(),
            )
            firsts = []
            classes = set()
            for (county, klass), count in sorted(self.ranks.items()):
                assert klass is not None  # staged insertions have a class
                serials = catalog_sql.reserve_serials(county, klass, count)
                firsts.append((county, klass, serials.start, count))
                classes.add(klass)
            inserted, identifiers = 0, dict[int, str]()
            if self.staged[INSERT]:
                inserted, identifiers = sql.insert_staged(
                    firsts,
                    user_id=user_id,
                    username=username,
                    changeset_id=changeset.pk,
                    source_name=self.file_name,
                    sample_rows=self.sample_rows,
                    timing=self.report.timing,
                )
            updated = 0
            if self.staged[UPDATE]:
                updated = sql.update_staged(
                    user_id=user_id,
                    username=username,
                    changeset_id=changeset.pk,
                    source_name=self.file_name,
                )
            checking = time.perf_counter()
            sql.check_deferred_constraints()
            self.report.timing["load_constraints"] = round(time.perf_counter() - checking, 3)
            # A bulk load touches too many tiles to list: its classes' layers start afresh.
            classes |= set(sql.updated_classes()) if self.staged[UPDATE] else set()
            changes.components_changed(classes, None)
            for feature in self.report.sample:
                row = feature["properties"]["row"]
                if row in identifiers:
                    feature["id"] = identifiers[row]
            job.changeset = changeset
            job.status = ImportStatus.COMMITTED
            if (inserted, updated) != (self.staged[INSERT], self.staged[UPDATE]):
                raise DatabaseError(
                    f"staged {self.staged[INSERT]} insertions and {self.staged[UPDATE]} "
                    f"updates, but {inserted} and {updated} were written"
                )
            self.report.timing["load"] = time.perf_counter() - loading
            self.report.timing["total"] = time.perf_counter() - self.started
            finish(job, self.report, address=self.options.address)


# --- jobs --------------------------------------------------------------------------------------


def finish(job: ImportJob, report: Report | None, *, address: str | None = None) -> None:
    """Store the job's outcome and audit it (one event per job)."""
    if report is not None:
        job.report = report.as_dict()
        totals = report.totals
        job.rows = totals["rows"]
        job.skipped = totals[SKIP]
        job.rejected = totals[ERROR]
        if job.status == ImportStatus.COMMITTED:
            job.inserted, job.updated = totals[INSERT], totals[UPDATE]
        elif job.status == ImportStatus.DRY_RUN:
            job.inserted = job.updated = 0
    job.finished_at = timezone.now()
    job.save()
    failed = job.status in (ImportStatus.FAILED, ImportStatus.REFUSED)
    audit.record(
        "import.dry_run" if job.dry_run else "import.commit",
        actor=job.user,
        obj=job,
        result=AuditResult.FAILURE if failed else AuditResult.SUCCESS,
        address=address,
        detail={
            "status": job.status,
            "file": job.file_name,
            "sha256": job.sha256,
            "rows": job.rows,
            "inserted": job.inserted,
            "updated": job.updated,
            "skipped": job.skipped,
            "rejected": job.rejected,
            "changeset": job.changeset_id,
            **({"reason": job.error[:500]} if job.error else {}),
        },
    )


def run_import(
    path: Path,
    mapping: Mapping,
    user: Any,
    options: ImportOptions,
    *,
    progress: Progress | None = None,
) -> ImportJob:
    """Run one import (dry run or commit) of the file at ``path`` and return its job, whose
    ``status``, ``report`` and ``rejected_file`` say what happened. Problems with the file
    as a whole end in status ``refused``, a database error during the load in ``failed``
    (with everything rolled back); neither raises."""
    checksum, size = sha256_of(path)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    job = ImportJob.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        file_name=(options.file_name or path.name)[:255],
        sha256=checksum,
        size=size,
        options=options.as_dict() | {"mapping": mapping.as_dict()},
        dry_run=options.dry_run,
    )
    return execute_recorded(
        job, lambda: ImportRun(path, mapping, user, options, progress), address=options.address
    )


def execute_recorded(
    job: ImportJob, make_run: Callable[[], ImportRun], *, address: str | None = None
) -> ImportJob:
    """Run a recorded job (the command's, or one the web request queued) and record how it
    ended: problems with the file as a whole (``DomainError``, also from ``make_run``) in
    ``refused``, a database error during the load in ``failed`` (everything rolled back);
    neither raises. Any other exception is recorded as ``failed`` and raised."""
    run: ImportRun | None = None
    try:
        run = make_run()
        run.execute(job)
    except DomainError as exc:  # the file, its CRS or the mapping: refused as a whole
        job.status = ImportStatus.REFUSED
        job.error = str(exc.message)
    except (DatabaseError, sql.StaleRows) as exc:
        # the transaction was rolled back: forget what the commit had set on the job
        job.status = ImportStatus.FAILED
        job.changeset = None
        job.inserted = job.updated = 0
        if isinstance(exc, sql.StaleRows):
            job.error = _(
                "Components changed while the file was being checked: %(ids)s. Nothing was "
                "imported; run the import again."
            ) % {"ids": ", ".join(exc.identifiers[:20])}
        else:
            job.error = _("The database refused the load, so nothing was imported: %(reason)s") % {
                "reason": str(exc).strip()
            }
    except Exception as exc:  # a bug: record the job as failed, then let it surface
        job.status = ImportStatus.FAILED
        job.changeset = None
        job.inserted = job.updated = 0
        job.error = _("Internal error (%(kind)s); nothing was imported.") % {
            "kind": type(exc).__name__
        }
        finish(job, run.report if run is not None else None, address=address)
        raise
    if job.status != ImportStatus.COMMITTED:  # committed jobs were finished in the transaction
        if job.status == ImportStatus.RUNNING:  # the pipeline always decides; never leave it
            job.status = ImportStatus.FAILED
        finish(job, run.report if run is not None else None, address=address)
    return job
