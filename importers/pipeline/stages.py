"""The five stages of one batch, in order (``ImportRun._batch`` times each):

1. ``map_rows``: the reader's per-row errors, then the mapping (``importers.mapping``),
   column by column;
2. ``check_geometry``: conversion, extent, validity or repair, promotion and size limits
   (``importers.pipeline.geometry``);
3. ``locate``: community and grid cell (``importers.locate``) and the existing components
   near the batch (``importers.pipeline.matching``); in a commit the geometries are
   encoded to EWKB here, once, for the staging COPY;
4. ``match_access_dedupe``: the existing component each row updates, the user's rights
   (``importers.pipeline.rights``) and duplicates (``importers.pipeline.dedupe``);
5. ``settle``: outcomes counted, problems reported and rejected rows written, the sample,
   and in a commit the rows staged (``importers.pipeline.staging``).

Each stage takes the run (its settings and run-wide state) and the batch's state
(``BatchState``), and changes only rows that are still live."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import mapping as geojson_mapping

from component_catalog.models import ComponentStatus, DataSource
from importers import sql
from importers.locate import Locator
from importers.pipeline.geometry import POINT_TYPE, check_geometries, check_sizes, fmt_point
from importers.pipeline.metric import Metric
from importers.pipeline.options import ERROR, INSERT, SKIP, UPDATE
from importers.pipeline.staging import ewkb_hex
from importers.pipeline.state import LIVE, SKIPPED, BatchState
from importers.readers import Batch
from importers.report import SAMPLE_SIZE

if TYPE_CHECKING:
    from importers.pipeline.run import ImportRun


def map_rows(run: ImportRun, batch: Batch) -> BatchState:
    """Stage 1: a batch's state with the reader's errors and each row's mapped values
    (rows the mapping skips are skipped, its problems fail the row)."""
    n = len(batch)
    st = BatchState(n)
    fail = st.fail
    if batch.errors:  # rows the reader could not read
        position = {int(r): i for i, r in enumerate(batch.row_numbers)}
        for row, (field_name, message) in batch.errors.items():
            if row in position:
                fail(position[row], field_name or "row", message)
    todo = st.live().tolist()
    mapped = run.bound.rows(batch.columns, todo)
    if len(todo) == n:
        st.values = mapped
    else:
        for i, values in zip(todo, mapped, strict=True):
            st.values[i] = values
    for i, values in zip(todo, mapped, strict=True):
        if values.skip:
            st.outcome[i] = SKIPPED
            run.report.skipped[values.skip] += 1
        elif values.errors:
            for field_name, target, message in values.errors:
                fail(i, field_name, message, target)
    st.classes = np.array([v.class_code for v in st.values], dtype=object)
    return st


def check_geometry(run: ImportRun, batch: Batch, st: BatchState) -> None:
    """Stage 2: the live rows' geometries converted, checked and promoted to their class's
    kind (``st.geometry``); repairs reported, problems fail the row."""
    bound = run.bound
    kind_of = bound.kinds
    kinds = [kind_of[c] if c else "" for c in st.classes.tolist()]
    for i in np.flatnonzero(st.outcome != LIVE).tolist():
        kinds[i] = ""  # failed or skipped already: left alone
    checked = check_geometries(
        batch.geometries, kinds, run.crs, run.extents, repair=run.options.repair
    )
    for i, message in checked.errors.items():
        st.fail(i, "geometry", message)
    for i, message in check_sizes(checked.geometries, st.classes, bound.limits).items():
        st.fail(i, "geometry", _("the geometry is too large: %(reason)s") % {"reason": message})
    for i, (was, now) in checked.repaired.items():
        if st.outcome[i] == LIVE:
            run.report.repair(int(batch.row_numbers[i]), was, now)
    st.geometry = checked.geometries


def locate(run: ImportRun, st: BatchState, commit: bool) -> list[sql.Existing]:
    """Stage 3: community and grid cell of the live rows (outside every community fails
    the row) and the existing components near them (the candidates of stage 4). In a
    commit the geometries are encoded for staging here."""
    ok = st.live()
    if not len(ok):
        return []
    geoms = st.geometry[ok]
    ewkb: list[str] | None = None  # staged, or sent to find nearby components
    if commit:
        ewkb = ewkb_hex(geoms)
        st.ewkb[ok] = ewkb
    if bool(np.all(shapely.get_type_id(geoms) == POINT_TYPE)):
        points = geoms
    else:
        points = shapely.point_on_surface(geoms)
    if run.locator is None:
        run.locator = Locator()
    communities, cells = run.locator.locate(points)
    for j, community in enumerate(communities.tolist()):
        if community is None:
            x, y = shapely.get_coordinates(points[j])[0]
            st.fail(
                int(ok[j]),
                "geometry",
                _("%(point)s lies outside every community of the platform.")
                % {"point": fmt_point(x, y)},
            )
    st.community[ok] = communities
    st.grid[ok] = cells
    return run.matcher.nearby(st, ok, geoms, ewkb)


def match_access_dedupe(
    run: ImportRun, st: BatchState, candidates: list[sql.Existing], rows: np.ndarray
) -> None:
    """Stage 4: the existing component each live row stands for, the user's right to
    create or change it, and duplicates in the file and among the claimed components."""
    ok = st.live()
    if not len(ok):
        return
    if run.metric is None:  # chosen once per run, from the first rows
        first = st.geometry[ok[:1000]]
        run.metric = Metric(float(np.median(shapely.get_x(shapely.centroid(first)))))
        run.report.source["metric_crs"] = run.metric.name
    run.matcher.match(st, ok, candidates, run.metric)
    ok = st.live(ok)
    run.rights.check(st, ok)
    ok = st.live(ok)
    run.dedupe.check(st, ok, rows, run.metric, run.report)


def settle(run: ImportRun, batch: Batch, st: BatchState, commit: bool) -> None:
    """Stage 5: each row's outcome counted by class, the failed rows' problems reported
    and written to the rejected rows' file, the sample filled, and in a commit the live
    rows staged (new ones as insertions, matched ones as updates)."""
    rows = batch.row_numbers
    report = run.report
    outcomes: Counter[tuple[str | None, str]] = Counter()
    for i in np.flatnonzero(st.outcome != LIVE).tolist():
        klass = st.values[i].class_code
        if st.outcome[i] == SKIPPED:
            outcomes[klass, SKIP] += 1
            continue
        outcomes[klass, ERROR] += 1
        problems = st.problems[i]
        for field_name, target, message in problems:
            report.error(int(rows[i]), field_name, message, target)
        assert run.rejected is not None
        raw = batch.geometries[i]
        run.rejected.write(
            int(rows[i]),
            [(f, m) for f, _t, m in problems],
            "" if raw is None else shapely.to_wkt(raw, rounding_precision=-1),
            [batch.columns[name][i] for name in run.rejected.fields],
        )
    live = st.live()
    changed = [i for i in sorted(st.target) if st.outcome[i] == LIVE]
    if changed:
        inserted = np.setdiff1d(live, np.array(changed, dtype=live.dtype), assume_unique=True)
    else:
        inserted = live
    for klass, count in Counter(st.classes[inserted].tolist()).items():
        outcomes[klass, INSERT] += count
    for i in changed:
        outcomes[st.values[i].class_code, UPDATE] += 1
    for i in live[: max(SAMPLE_SIZE - len(report.sample), 0)].tolist():
        _sample(run, st, i, int(rows[i]))
    for (klass, outcome), count in outcomes.items():
        report.count(klass, outcome, count)
    if commit:
        run.staging.stage(st, inserted, changed, rows)


def _sample(run: ImportRun, st: BatchState, i: int, row: int) -> None:
    """Row ``i`` as a GeoJSON feature of the report's sample."""
    v = st.values[i]
    target = st.target.get(i)
    org_codes = run.org_codes
    run.sample_rows.append(row)
    run.report.add_sample(
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
                "competent_department": org_codes.get(v.organizations["competent_department"]),
                "owner": org_codes.get(v.organizations["owner"]),
                "maintainer": org_codes.get(v.organizations["maintainer"]),
                "attributes": v.attributes,
                "source_key": v.source_key or None,
            },
        }
    )
