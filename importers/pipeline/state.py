"""The working state of one batch, column by column (a set of arrays, not an object per
row): the mapped values, each row's outcome so far, its problems, its converted geometry,
EWKB, community and grid cell, and the existing component it updates."""

from __future__ import annotations

from typing import Final

import numpy as np
import shapely

from importers import sql
from importers.mapping import RowValues
from importers.pipeline.geometry import POINT_TYPE
from importers.pipeline.metric import Metric

# Outcome of a row while its batch is worked on (then counted as insert or update).
LIVE: Final = 0
ERRORED: Final = 1
SKIPPED: Final = 2


class BatchState:
    """Working state of one batch, column by column: position ``i`` is row ``i`` of the
    batch. Problems and matched components are kept only for the rows that have them."""

    def __init__(self, n: int) -> None:
        unmapped = RowValues()  # until the mapping's values come; never changed
        self.values: list[RowValues] = [unmapped] * n
        self.classes = np.full(n, None, dtype=object)  # each row's class code, once mapped
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
            at = ok[shapely.get_type_id(self.geometry[ok]) == POINT_TYPE]
            self.points_m[at] = metric.project_xy(self.geometry[at])
        return self.points_m[positions]

    def fail(self, i: int, field_name: str, message: str, target: str = "") -> None:
        self.outcome[i] = ERRORED
        self.problems.setdefault(i, []).append((field_name, target or field_name, message))

    def live(self, among: np.ndarray | None = None) -> np.ndarray:
        """The positions still live, ascending (of ``among`` when given)."""
        if among is None:
            return np.flatnonzero(self.outcome == LIVE)
        return among[self.outcome[among] == LIVE]
