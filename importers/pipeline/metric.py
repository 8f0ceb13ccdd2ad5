"""Nearness in metres: the metric projection of a run (EPSG:4549 near 120E, else a local
transverse Mercator) and the two ways pairs within a tolerance are found -- points on a
grid of cells as wide as the tolerance (sorted arrays, no geometries), other shapes with
an STRtree and the Hausdorff distance. Used by matching against the database and by the
in-file deduplication."""

from __future__ import annotations

from typing import Final

import numpy as np
import shapely
from pyproj import Transformer

from importers.pipeline.geometry import SRID

# EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E) is the metric CRS of the design; it
# is only accurate near its central meridian, so data elsewhere (tests use Artesia, CA)
# gets a transverse Mercator of the same ellipsoid centred on the data instead.
METRIC_EPSG: Final = 4549
METRIC_ZONE: Final = (118.5, 121.5)


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


def close_pairs(
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


_CELL_SHIFT: Final = 1 << 32


def _cell_keys(cells: np.ndarray, ox: int = 0, oy: int = 0) -> np.ndarray:
    return (cells[:, 0] + ox) * _CELL_SHIFT + (cells[:, 1] + oy)


class PointCells:
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
