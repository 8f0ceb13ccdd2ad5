"""Matching rows with existing components: by identifier (it must exist, be visible, be of
the row's class and not retired), by class and source key, or by class within the
tolerance in metres; the candidates near a batch are read from the database in one query
(all around the batch, or through a batch table joined with the spatial index)."""

from __future__ import annotations

from collections import defaultdict
from typing import Final

import numpy as np
import shapely
from django.db import transaction
from django.utils.translation import gettext as _

from component_catalog.models import Currency, GeometryKind
from gis_app.roles import Action
from importers import sql
from importers.mapping import Mapping
from importers.pipeline.geometry import box_degrees
from importers.pipeline.metric import Metric, PointCells, close_pairs
from importers.pipeline.rights import Rights
from importers.pipeline.staging import ewkb_hex
from importers.pipeline.state import LIVE, BatchState

# Up to this many existing components around a batch are read at once for deduplication
# (the pipeline compares in metres anyway); beyond, only those near each row are read.
NEAR_ALL_LIMIT: Final = 50_000


class Matcher:
    """Finds the existing component each row of a run stands for."""

    def __init__(
        self, mapping: Mapping, kinds: dict[str, GeometryKind], metres: float, rights: Rights
    ) -> None:
        self.mapping = mapping
        self.kinds = kinds
        self.metres = metres  # the deduplication tolerance (0: no matching by position)
        self.rights = rights

    def nearby(
        self, st: BatchState, ok: np.ndarray, geoms: np.ndarray, ewkb: list[str] | None
    ) -> list[sql.Existing]:
        """The existing components of the batch's classes within the tolerance of the rows
        ``ok`` (their geometries ``geoms``, hex EWKB ``ewkb`` when already encoded): a
        box's worth at most; ``match`` decides in metres."""
        if self.metres <= 0:
            return []
        klasses = st.classes[ok].tolist()
        dx, dy = box_degrees(self.metres, geoms)
        xmin, ymin, _x, _y = np.nanmin(shapely.bounds(geoms), axis=0)
        _x, _y, xmax, ymax = np.nanmax(shapely.bounds(geoms), axis=0)
        box = (xmin - dx, ymin - dy, xmax + dx, ymax + dy)
        # Few components around the batch (a new area, a sparse class): all of them in one
        # query; else the batch table joined with the spatial index.
        found = sql.in_box(sorted(set(klasses)), box, NEAR_ALL_LIMIT)
        if found is not None:
            return found
        with transaction.atomic():
            sql.batch_settings()
            # (created inside this transaction: an error rolls it back with it)
            if ewkb is None:
                ewkb = ewkb_hex(geoms)
            sql.begin_batch(list(zip(ok.tolist(), klasses, ewkb, strict=True)))
            candidates = sql.near_batch(st.live(ok).tolist(), dx, dy)
            sql.end_batch()
        return candidates

    def match(
        self, st: BatchState, ok: np.ndarray, candidates: list[sql.Existing], metric: Metric
    ) -> None:
        """Find the existing component each row stands for: by identifier, by class and
        source key, or by class within the tolerance; a match in another district fails
        the row."""
        values = st.values
        rest = ok
        if self.mapping.identifier is not None:
            with_id = [i for i in ok.tolist() if values[i].identifier]
            if with_id:
                self._match_identifiers(st, with_id)
                rest = ok[[i not in st.target and st.outcome[i] == LIVE for i in ok.tolist()]]
        if self.mapping.source_key is not None and len(rest):
            with_key = [i for i in rest.tolist() if values[i].source_key]
            if with_key:
                self._match_source_keys(st, with_key)
                if st.target:
                    rest = rest[[i not in st.target for i in rest.tolist()]]
        if len(rest) and self.metres > 0 and candidates:
            self._match_positions(st, rest, candidates, metric)
        for i, e in sorted(st.target.items()):
            if st.outcome[i] != LIVE:
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

    def _match_source_keys(self, st: BatchState, with_key: list[int]) -> None:
        """Rows whose class and source key an existing component has (the oldest of
        several)."""
        values = st.values
        pairs = sorted({(values[i].class_code or "", values[i].source_key) for i in with_key})
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

    def _match_positions(
        self, st: BatchState, rest: np.ndarray, candidates: list[sql.Existing], metric: Metric
    ) -> None:
        """Rows ``rest`` within the tolerance of a candidate of their class: the nearest
        (then the lowest id) is the one they update."""
        metres = self.metres
        geoms = st.geometry[rest]
        klasses = st.classes[rest]
        cand = np.asarray(shapely.from_wkb([c.wkb for c in candidates]), dtype=object)
        by_class: dict[str, list[int]] = defaultdict(list)
        for j, c in enumerate(candidates):
            by_class[c.class_code].append(j)
        for klass, members in by_class.items():
            local = np.flatnonzero(klasses == klass)
            if not len(local):
                continue
            if self.kinds[klass] == GeometryKind.POINT:
                # points: compared as coordinate arrays on a grid, no geometries
                near = PointCells(metres)
                near.add(metric.project_xy(cand[members]), np.arange(len(members)))
                left, right, dist = near.pairs(st.metric_xy(rest[local], metric))
                right = near.rows[right]
            else:
                tree_geoms = metric.project(cand[members])
                left, right, dist = close_pairs(
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

    def _match_identifiers(self, st: BatchState, with_id: list[int]) -> None:
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
            if e is None or not self.rights.can(
                Action.VIEW,
                e.class_code,
                e.community_id,
                e.owner_id,
                e.maintainer_id,
                e.currency,
                e.grid_cell_id,
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
