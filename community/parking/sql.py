"""Hand-written SQL of the parking app (bound parameters only): the set-based statements of
event processing, monthly partitions of the event table, and the distance query of the
guidance endpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from component_catalog.sql import near_3857

EVENT_TABLE = "parking_passageevent"


def _rows(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


# --- event processing ----------------------------------------------------------------------


def lock_lots(lot_ids: Iterable[int]) -> None:
    """Lock the lots' occupancy rows (created when missing) in lot order, first thing in
    the transaction: batches touching the same lot run one after the other, so presence
    rows and the duplicate check are read after the previous batch committed, and no two
    batches deadlock. Row locks live in the rows, not in the shared lock table."""
    lots = sorted(set(lot_ids))
    if not lots:
        return
    _rows(
        "INSERT INTO parking_lotoccupancy (lot_id, occupied_standard, occupied_charging, "
        "occupied_accessible, over_capacity) SELECT k, 0, 0, 0, false FROM unnest(%s::bigint[]) k "
        "ORDER BY k ON CONFLICT (lot_id) DO NOTHING",
        [lots],
    )
    _rows(
        "SELECT lot_id FROM parking_lotoccupancy WHERE lot_id = ANY(%s) ORDER BY lot_id FOR UPDATE",
        [lots],
    )


def existing_events(keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (device, event id) pairs are stored already, in any partition."""
    if not keys:
        return set()
    rows = _rows(
        f"SELECT device_id, event_id FROM {EVENT_TABLE} "  # noqa: S608 (constant table name)
        "WHERE (device_id, event_id) IN (SELECT * FROM unnest(%s::bigint[], %s::text[]))",
        [[k[0] for k in keys], [k[1] for k in keys]],
    )
    return {(device, event) for device, event in rows}


def presence_states(keys: Sequence[tuple[int, bytes]]) -> dict[tuple[int, bytes], tuple[Any, ...]]:
    """(inside, entered_at, last_event_at, last_direction, space_id, kind, unmatched_exit)
    per (lot, credential hash)."""
    if not keys:
        return {}
    rows = _rows(
        "SELECT lot_id, credential_hash, inside, entered_at, last_event_at, last_direction, "
        "space_id, kind, unmatched_exit FROM parking_presence "
        "WHERE (lot_id, credential_hash) IN (SELECT * FROM unnest(%s::bigint[], %s::bytea[]))",
        [[k[0] for k in keys], [k[1] for k in keys]],
    )
    return {(row[0], bytes(row[1])): tuple(row[2:]) for row in rows}


_OCCUPANCY_SQL = """
WITH delta AS (
    SELECT * FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[], %s::timestamptz[])
        AS d(lot_id, ds, dc, da, t)
),
up AS (
    UPDATE parking_lotoccupancy o SET
        occupied_standard = o.occupied_standard + d.ds,
        occupied_charging = o.occupied_charging + d.dc,
        occupied_accessible = o.occupied_accessible + d.da,
        over_capacity = (
            o.occupied_standard + d.ds + o.occupied_charging + d.dc + o.occupied_accessible + d.da
                > l.capacity_standard + l.capacity_charging + l.capacity_accessible
            OR o.occupied_charging + d.dc > l.capacity_charging
            OR o.occupied_accessible + d.da > l.capacity_accessible
        ),
        last_event_at = GREATEST(o.last_event_at, d.t),
        updated_at = clock_timestamp()
    FROM delta d, parking_parkinglot l
    WHERE o.lot_id = d.lot_id AND l.id = d.lot_id
    RETURNING o.lot_id, o.occupied_standard, o.occupied_charging, o.occupied_accessible,
              o.over_capacity, o.last_event_at
),
sample AS (
    INSERT INTO parking_occupancysample
        (lot_id, time, occupied_standard, occupied_charging, occupied_accessible)
    SELECT lot_id, last_event_at, occupied_standard, occupied_charging, occupied_accessible
    FROM up
)
SELECT lot_id, over_capacity FROM up
"""


def apply_occupancy(
    deltas: dict[int, tuple[int, int, int]], latest: dict[int, dt.datetime]
) -> dict[int, bool]:
    """Add the per-kind deltas to each lot's live occupancy (locked by :func:`lock_lots`),
    record a history sample per lot, and return each lot's over-capacity flag. A delta can
    never make a count negative: it is the change in the number of vehicles inside
    (``presence.py``); the CHECK constraint would refuse it otherwise."""
    lots = sorted(set(deltas) | set(latest))
    if not lots:
        return {}
    zero = (0, 0, 0)
    rows = _rows(
        _OCCUPANCY_SQL,
        [
            lots,
            [deltas.get(lot, zero)[0] for lot in lots],
            [deltas.get(lot, zero)[1] for lot in lots],
            [deltas.get(lot, zero)[2] for lot in lots],
            [latest[lot] for lot in lots],
        ],
    )
    return {lot: bool(over) for lot, over in rows}


_INSERT_EVENTS_SQL = f"""
INSERT INTO {EVENT_TABLE} (occurred_at, received_at, device_id, event_id, lot_id, gate_id,
    space_id, direction, credential_type, credential_hash, credential_masked, channel, flags)
SELECT e.occurred_at, %s, e.device_id, e.event_id, e.lot_id, e.gate_id, e.space_id,
    e.direction, e.credential_type, e.credential_hash, e.credential_masked, %s, e.flags
FROM unnest(%s::timestamptz[], %s::bigint[], %s::text[], %s::bigint[], %s::bigint[],
    %s::bigint[], %s::text[], %s::text[], %s::bytea[], %s::text[], %s::jsonb[])
    AS e(occurred_at, device_id, event_id, lot_id, gate_id, space_id, direction,
         credential_type, credential_hash, credential_masked, flags)
ORDER BY e.device_id, e.event_id
ON CONFLICT (device_id, event_id, occurred_at) DO NOTHING
"""  # noqa: S608 (constant table name)


def insert_events(rows: Sequence[tuple[Any, ...]], received_at: dt.datetime, channel: str) -> int:
    """Rows: (occurred_at, device_id, event_id, lot_id, gate_id, space_id, direction,
    credential_type, credential_hash, credential_masked, flags_json)."""
    if not rows:
        return 0
    columns = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_EVENTS_SQL, [received_at, channel, *columns])
        return cursor.rowcount


_UPSERT_PRESENCE_SQL = """
INSERT INTO parking_presence (lot_id, credential_hash, credential_type, credential_masked,
    inside, entered_at, last_event_at, last_direction, space_id, kind, unmatched_exit)
SELECT * FROM unnest(%s::bigint[], %s::bytea[], %s::text[], %s::text[], %s::boolean[],
    %s::timestamptz[], %s::timestamptz[], %s::text[], %s::bigint[], %s::text[], %s::boolean[])
ORDER BY 1, 2
ON CONFLICT (lot_id, credential_hash) DO UPDATE SET
    credential_type = EXCLUDED.credential_type,
    credential_masked = EXCLUDED.credential_masked,
    inside = EXCLUDED.inside,
    entered_at = EXCLUDED.entered_at,
    last_event_at = EXCLUDED.last_event_at,
    last_direction = EXCLUDED.last_direction,
    space_id = EXCLUDED.space_id,
    kind = EXCLUDED.kind,
    unmatched_exit = EXCLUDED.unmatched_exit
"""


def upsert_presence(rows: Sequence[tuple[Any, ...]]) -> None:
    if rows:
        columns = [list(column) for column in zip(*rows, strict=True)]
        _rows(_UPSERT_PRESENCE_SQL, columns)


def recount_occupancy(lot_id: int) -> tuple[int, int, int]:
    """Vehicles inside by kind, counted from the presence table (the truth the live
    counters must equal; used by checks and the benchmark's reconciliation)."""
    rows = dict(
        _rows(
            "SELECT kind, count(*) FROM parking_presence WHERE lot_id = %s AND inside "
            "GROUP BY kind",
            [lot_id],
        )
    )
    return (rows.get("standard", 0), rows.get("charging", 0), rows.get("accessible", 0))


# --- monthly partitions ------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(month: dt.date) -> str:
    return f"{EVENT_TABLE}_p{month:%Y%m}"


def existing_partitions() -> set[str]:
    rows = _rows(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
        [EVENT_TABLE],
    )
    return {name for (name,) in rows}


def create_partition(month: dt.date) -> None:
    """The partition of one month (bounds at midnight in the platform's time zone); rows of
    that month that landed in the default partition move into it, in the same transaction.
    Through the owner's function (migration 0002): the application's role owns no table,
    so it may neither create nor attach one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT parking_passageevent_create_partition(%s)", [month])


# --- guidance ------------------------------------------------------------------------------


def within(point_ewkb: bytes, radius_m: float) -> RawSQL:
    """The lot's component lies within ``radius_m`` metres (spheroid) of the point; found
    through the components' Web Mercator index, then tested exactly. Joined from
    ParkingLot, the component table keeps its own name as alias, as
    ``component_catalog.sql``'s expressions expect."""
    box = near_3857("%s::float8", "ST_GeomFromEWKB(%s)", "component_catalog_component.geom_3857")
    # parameters in the order of the %s above: the box's, then the exact test's
    return RawSQL(  # noqa: S611 (constant SQL, bound parameters)
        f"{box} AND ST_DWithin(component_catalog_component.geometry::geography, "
        "ST_GeomFromEWKB(%s)::geography, %s)",
        (point_ewkb, radius_m, point_ewkb, point_ewkb, radius_m, point_ewkb, radius_m),
        output_field=BooleanField(),
    )


def location() -> RawSQL:
    """A point inside the lot (its polygon's point on surface), as GeoJSON text."""
    return RawSQL(  # noqa: S611 (constant SQL)
        "ST_AsGeoJSON(ST_PointOnSurface(component_catalog_component.geometry), 7)", ()
    )


# --- occupancy by weekday and hour ---------------------------------------------------------

_PROFILE_SQL = """
WITH start_state AS (
    SELECT DISTINCT ON (s.lot_id) s.id
    FROM parking_occupancysample s
    WHERE s.lot_id = ANY(%(lots)s) AND s.time <= %(since)s
    ORDER BY s.lot_id, s.time DESC, s.id DESC
),
samples AS (
    SELECT s.lot_id, s.time, s.id,
           s.occupied_standard + s.occupied_charging + s.occupied_accessible AS occ
    FROM parking_occupancysample s
    WHERE s.lot_id = ANY(%(lots)s) AND s.time > %(since)s AND s.time < %(until)s
    UNION ALL
    SELECT s.lot_id, %(since)s, s.id,
           s.occupied_standard + s.occupied_charging + s.occupied_accessible
    FROM parking_occupancysample s JOIN start_state USING (id)
),
segments AS (
    SELECT lot_id, time AS t0, occ,
           LEAD(time, 1, %(until)s) OVER (PARTITION BY lot_id ORDER BY time, id) AS t1
    FROM samples
),
hours AS (
    SELECT h FROM generate_series(
        date_trunc('hour', %(since)s::timestamptz),
        %(until)s::timestamptz - interval '1 second',
        interval '1 hour') AS h
),
per_hour AS (
    SELECT s.lot_id, hours.h,
           sum(s.occ * extract(epoch FROM LEAST(s.t1, hours.h + interval '1 hour')
                                        - GREATEST(s.t0, hours.h)))
           / NULLIF(sum(extract(epoch FROM LEAST(s.t1, hours.h + interval '1 hour')
                                        - GREATEST(s.t0, hours.h))), 0) AS occupied
    FROM segments s JOIN hours ON s.t0 < hours.h + interval '1 hour' AND s.t1 > hours.h
    WHERE s.t1 > s.t0
    GROUP BY s.lot_id, hours.h
)
SELECT lot_id,
       extract(isodow FROM h AT TIME ZONE %(tz)s)::int AS weekday,
       extract(hour FROM h AT TIME ZONE %(tz)s)::int AS hour,
       avg(occupied)::float8, count(*)
FROM per_hour
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""


def occupancy_profile(
    lot_ids: list[int], since: dt.datetime, until: dt.datetime, tz: str
) -> list[tuple[int, int, int, float, int]]:
    """(lot, ISO weekday 1-7, hour 0-23, mean vehicles inside, hours averaged): the
    occupancy history taken as a step function (each sample holds until the next), averaged
    over each clock hour (time-weighted), then over the hours of the same weekday and hour
    in the period. Hours before a lot's first sample are left out."""
    if not lot_ids:
        return []
    return [
        (lot, weekday, hour, float(mean), int(n))
        for lot, weekday, hour, mean, n in _rows(
            _PROFILE_SQL, {"lots": lot_ids, "since": since, "until": until, "tz": tz}
        )
    ]
