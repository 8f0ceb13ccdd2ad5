"""Deduplication: rows of the file that repeat an earlier row (the same class and source
key, or the same class within the tolerance in metres; the first is kept) and rows that
claim an existing component another row already updates, or that only match one when
re-imports skip (``on_duplicate: skip``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from django.utils.translation import gettext as _

from component_catalog.models import GeometryKind
from importers.pipeline.metric import Metric, PointCells, close_pairs
from importers.pipeline.options import SKIP
from importers.pipeline.state import LIVE, SKIPPED, BatchState
from importers.report import Report


@dataclass
class _Kept:
    tree: shapely.STRtree
    geoms: np.ndarray
    rows: np.ndarray


class FileDuplicates:
    """Duplicates inside the file: the same class and the same source key, or the same
    class within the tolerance, whatever their keys say (the first row is kept, later ones
    are skipped and reported with the row they repeat)."""

    def __init__(self, metres: float) -> None:
        self.metres = metres
        self.kept: dict[str, list[_Kept]] = defaultdict(list)
        self.points: dict[str, PointCells] = {}
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
            cells = self.points.setdefault(klass, PointCells(self.metres))
            left, right, dist = cells.pairs(geoms_m)
            for a, b, d in zip(left, right, dist, strict=True):
                earlier[int(a)].append((int(cells.rows[b]), float(d)))
            here = PointCells(self.metres)  # this batch, its rows numbered by index
            here.add(geoms_m, np.arange(len(geoms_m)))
            left, right, dist = here.pairs(geoms_m)
            right = here.rows[right]
            before = left > right
            for a, b, d in zip(left[before], right[before], dist[before], strict=True):
                within[int(a)].append((int(b), float(d)))
        elif self.metres > 0:
            for kept in self.kept[klass]:
                left, right, dist = close_pairs(kept.tree, kept.geoms, geoms_m, self.metres, points)
                for a, b, d in zip(left, right, dist, strict=True):
                    earlier[int(a)].append((int(kept.rows[b]), float(d)))
            left, right, dist = close_pairs(
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


class Deduplication:
    """The deduplication of a run: the file's kept rows (``FileDuplicates``) and the
    existing components claimed so far (component id -> the row that updates it)."""

    def __init__(
        self, metres: float, on_duplicate: str, kinds: dict[str, GeometryKind], keyed: bool
    ) -> None:
        self.file = FileDuplicates(metres)
        self.claimed: dict[int, int] = {}
        self.on_duplicate = on_duplicate
        self.kinds = kinds
        self.keyed = keyed  # the mapping gives source keys

    def check(
        self, st: BatchState, ok: np.ndarray, rows: np.ndarray, metric: Metric, report: Report
    ) -> None:
        """Skip (and report) the live rows ``ok`` that repeat an earlier row of the file or
        claim a component an earlier row updates; with ``on_duplicate: skip``, those that
        match an existing component too."""
        klasses = st.classes[ok]
        for klass in dict.fromkeys(klasses.tolist()):  # in order of first appearance
            members = ok[klasses == klass]
            points = self.kinds[klass] == GeometryKind.POINT
            keys = (
                [st.values[i].source_key for i in members.tolist()]
                if self.keyed
                else [""] * len(members)
            )
            found = self.file.check(
                klass,
                rows[members],
                st.metric_xy(members, metric) if points else metric.project(st.geometry[members]),
                keys,
                points,
            )
            for j, first, reason, distance in found:
                i = int(members[j])
                st.outcome[i] = SKIPPED
                report.duplicate(
                    int(rows[i]), reason, duplicate_of_row=first, distance_m=round(distance, 3)
                )
        for i, e in sorted(st.target.items()):
            if st.outcome[i] != LIVE:
                continue
            claimed = self.claimed.get(e.id)
            if claimed is not None:
                st.outcome[i] = SKIPPED
                report.duplicate(
                    int(rows[i]),
                    _("matches the same component %(id)s as an earlier row") % {"id": e.identifier},
                    duplicate_of_row=claimed,
                    component=e.identifier,
                )
                continue
            self.claimed[e.id] = int(rows[i])
            if self.on_duplicate == SKIP:
                st.outcome[i] = SKIPPED
                report.duplicate(
                    int(rows[i]),
                    _("matches existing component %(id)s") % {"id": e.identifier},
                    component=e.identifier,
                )
