"""Staging a commit's rows: each batch's valid rows go to the session's staging tables as
they come (insertions by COPY from the copier thread, updates by COPY in the main thread),
encoded for PostgreSQL: geometries as hex EWKB with the SRID spliced in, attributes as JSON
text assembled from members encoded once. Insertions carry their ordinal and their rank
within county and class, so the load numbers them without sorting."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Final

import numpy as np
import shapely
from django.utils.translation import gettext as _

from component_catalog.models import DataSource
from importers import sql
from importers.pipeline.geometry import POINT_TYPE, SRID
from importers.pipeline.options import INSERT, UPDATE
from importers.pipeline.state import BatchState
from importers.pipeline.threads import Copier

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
    points = len(geoms) and bool(np.all(shapely.get_type_id(geoms) == POINT_TYPE))
    if points and not shapely.has_z(geoms).any():
        return _point_ewkb_hex(shapely.get_coordinates(geoms))
    out = []
    for h in shapely.to_wkb(geoms, hex=True, byte_order=1):
        flags = h[8:10]  # the type's high byte: Z/M/SRID flags of extended WKB
        if flags != "00":
            flags = f"{int(flags, 16) | 0x20:02X}"
        out.append(h[:8] + ("20" if flags == "00" else flags) + _SRID_HEX + h[10:])
    return out


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


class Staging:
    """A commit's staging: the copier thread, the rows staged so far and the insertions
    counted per county and class (the serials the load reserves)."""

    def __init__(self) -> None:
        self.copier = Copier()
        self.counts = {INSERT: 0, UPDATE: 0}
        self.ranks: Counter[tuple[str, str | None]] = Counter()  # insertions per county, class
        self.attributes_json = AttributesJSON()

    def wait(self) -> None:
        """Wait for the previous batch's COPY (before the connection is used again)."""
        self.copier.wait()

    def close(self) -> None:
        self.copier.shutdown()

    def stage(
        self, st: BatchState, inserted: np.ndarray, changed: list[int], rows: np.ndarray
    ) -> None:
        """Stage a batch's new rows (``inserted``, positions; COPY sent from the copier
        thread) and its updates (``changed``, positions of rows with a target)."""
        if changed:
            sql.stage_updates(
                [
                    (*self._record(st, i, int(rows[i])), st.target[i].id, st.target[i].version)
                    for i in changed
                ]
            )
        inserts = self._insert_records(st, inserted, rows)
        if inserts:
            self.copier.pending = sql.stage_inserts_behind(inserts, self.copier.pool)
        self.counts[INSERT] += len(inserts)
        self.counts[UPDATE] += len(changed)

    def _review(self, data_source: str | None) -> tuple[str | None, str]:
        """(needs_review, review_reason) staged for a data source."""
        if data_source is None:
            return None, ""
        if data_source == DataSource.MEASURED:
            # imports carry no GNSS accuracy: a "measured" position is kept but flagged, as
            # the editing service does
            return "t", _("measured position without GNSS accuracy")
        return "f", ""

    def _record(self, st: BatchState, i: int, row: int) -> tuple[Any, ...]:
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
        self, st: BatchState, positions: np.ndarray, rows: np.ndarray
    ) -> list[tuple[Any, ...]]:
        """Staging rows of new components (``sql.INSERT_COLUMNS`` order): the row's
        record (as ``_record`` makes it, spelt out here: this runs once per new row), its
        county, its ordinal among all insertions and its rank within its county and class
        (serials follow the rank)."""
        values, ranks, encode = st.values, self.ranks, self.attributes_json
        ordinal = self.counts[INSERT]
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
