"""Community and grid cell of many points at once, in memory.

The rule is ``component_catalog.sql.locate_many``'s (the one every other writer uses): the
community whose boundary covers the point (the lowest code where several do), and the
grid cell *of that community* that covers it (again the lowest code). An import asks it
for every row, so the boundaries are read once per run into STRtrees and the points are
tested in vectorised shapely calls (planar tests on lon/lat, as PostGIS's ``ST_Covers`` on
the same geometries). tests/test_import_locate.py checks it against the SQL.
"""

from __future__ import annotations

import numpy as np
import shapely
from django.db import connection

_COMMUNITIES = "SELECT code, ST_AsBinary(boundary) FROM layers_adminarea WHERE level = 'community'"
_GRID_CELLS = "SELECT code, community_id, ST_AsBinary(boundary) FROM layers_gridcell"


def _ranks(codes: np.ndarray) -> np.ndarray:
    """Each code's position in code order (integers sort much faster than strings)."""
    ranks = np.empty(len(codes), dtype=np.int64)
    ranks[np.argsort(codes, kind="stable")] = np.arange(len(codes))
    return ranks


def _lowest(
    inputs: np.ndarray, targets: np.ndarray, codes: np.ndarray, ranks: np.ndarray, n: int
) -> np.ndarray:
    """Per input, the lowest code among its matching targets (None without a match);
    ``ranks``: ``_ranks(codes)``."""
    found = np.full(n, None, dtype=object)
    if not len(inputs):
        return found
    order = np.lexsort((ranks[targets], inputs))  # by input, then by code
    inputs, targets = inputs[order], targets[order]
    first = np.ones(len(inputs), dtype=bool)
    first[1:] = inputs[1:] != inputs[:-1]
    found[inputs[first]] = codes[targets[first]]
    return found


class Locator:
    """The platform's communities and grid cells, ready to locate points."""

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_COMMUNITIES)
            communities = cursor.fetchall()
            cursor.execute(_GRID_CELLS)
            cells = cursor.fetchall()
        self._community_codes = np.array([code for code, _wkb in communities], dtype=object)
        self._community_ranks = _ranks(self._community_codes)
        self._communities = shapely.STRtree(
            shapely.from_wkb([bytes(wkb) for _code, wkb in communities])
        )
        self._cell_codes = np.array([code for code, _c, _wkb in cells], dtype=object)
        self._cell_ranks = _ranks(self._cell_codes)
        self._cell_communities = np.array([c for _code, c, _wkb in cells], dtype=object)
        self._cells = shapely.STRtree(shapely.from_wkb([bytes(wkb) for _c, _cc, wkb in cells]))

    def locate(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(community codes, grid-cell codes) of points in CGCS2000 lon/lat (None where
        there is none)."""
        n = len(points)
        inputs, targets = _covering(self._communities, points)
        community = _lowest(inputs, targets, self._community_codes, self._community_ranks, n)
        inputs, targets = _covering(self._cells, points)
        same = self._cell_communities[targets] == community[inputs]
        cell = _lowest(inputs[same], targets[same], self._cell_codes, self._cell_ranks, n)
        return community, cell


def _covering(tree: shapely.STRtree, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point, boundary) index pairs where the boundary covers the point: candidates by
    box, then ``covers`` with the boundary prepared (once, in place). The tree's own
    predicate test does not use the prepared boundaries: it is ~5x slower."""
    inputs, targets = tree.query(points)
    boundaries = tree.geometries
    shapely.prepare(boundaries)
    hit = shapely.covers(boundaries[targets], points[inputs])
    return inputs[hit], targets[hit]
