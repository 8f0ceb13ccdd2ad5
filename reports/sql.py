"""Hand-written aggregation SQL of the reports, with bound parameters only.

Rows are grouped by area with ``left(community_code, n)``: a community code starts with its
street's (9 digits) and its district's (6) code, so one indexed column names every level.
Metric figures are computed by PostGIS on the spheroid (``geography``): areas with
``ST_Area``, distances with ``ST_DWithin``, whose candidates come through the components'
Web Mercator index (``component_catalog.sql.near_3857``). The only SQL text put into a
statement besides constants is the id subquery of an access-filtered Django queryset, with
its own bound parameters (``visible_sql``, ``visible_params``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from component_catalog.sql import near_3857


@contextmanager
def without_jit() -> Iterator[None]:
    """A transaction whose statements are not JIT-compiled. PostGIS functions are costed
    high, so the planner's estimates of the report statements pass ``jit_above_cost``, and
    compiling took longer than running them (measured: bench/reports.py)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


@dataclass(frozen=True)
class AreaRecord:
    code: str
    name: str
    name_en: str
    km2: float
    wkb: bytes
    geojson: str


def areas(level: str, prefix: str) -> list[AreaRecord]:
    """The areas of ``level`` under the code prefix, with their spheroidal area in km2 and
    their boundary (EPSG:4490) as WKB and as GeoJSON (lon/lat, 7 decimals: 1 cm)."""
    sql = """
        SELECT a.code, a.name, a.name_en,
               ST_Area(a.boundary::geography) / 1e6,
               ST_AsBinary(a.boundary),
               ST_AsGeoJSON(a.boundary, 7)
        FROM layers_adminarea a
        WHERE a.level = %s AND a.code LIKE %s
        ORDER BY a.code
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [level, prefix + "%"])
        return [
            AreaRecord(code, name, name_en or "", float(km2), bytes(wkb), geojson)
            for code, name, name_en, km2, wkb, geojson in cursor.fetchall()
        ]


@dataclass(frozen=True)
class StatusCount:
    area: str
    class_code: str
    total: int
    good: int
    damaged: int
    missing: int
    occupied: int


def status_counts(
    code_length: int, visible_sql: str, visible_params: Sequence[Any]
) -> list[StatusCount]:
    """Components per area and class, with their counts per status."""
    sql = f"""
        SELECT left(c.community_id, %s) AS area, c.component_class_id,
               count(*),
               count(*) FILTER (WHERE c.status = 'good'),
               count(*) FILTER (WHERE c.status = 'damaged'),
               count(*) FILTER (WHERE c.status = 'missing'),
               count(*) FILTER (WHERE c.status = 'occupied')
        FROM component_catalog_component c
        WHERE c.id IN ({visible_sql})
        GROUP BY 1, 2
        ORDER BY 1, 2
    """  # noqa: S608  (visible_sql is a Django-compiled queryset with bound parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [code_length, *visible_params])
        return [StatusCount(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class CoverageCount:
    area: str
    buildings: int
    covered: tuple[int, ...]  # per service, in the order asked


_COVERED = f"""
    count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM component_catalog_component f
        WHERE f.id = ANY(%s::bigint[])
          AND {near_3857("%s::float8", "b.geometry", "f.geom_3857")}
          AND ST_DWithin(f.geometry::geography, b.geometry::geography, %s)
    ))"""  # noqa: S608 (constants; parameters: ids, distance twice for the box, once exact)


def coverage_counts(
    code_length: int,
    buildings_sql: str,
    buildings_params: Sequence[Any],
    facility_ids: Sequence[Sequence[int]],
    distance_m: float,
) -> list[CoverageCount]:
    """Buildings per area, and for each facility set how many of them lie within
    ``distance_m`` metres (on the spheroid, footprint to facility geometry) of one of
    its facilities."""
    covered = ",".join(_COVERED for _ in facility_ids) or "0"
    sql = f"""
        SELECT left(b.community_id, %s) AS area, count(*), {covered}
        FROM layers_building b
        WHERE b.id IN ({buildings_sql})
        GROUP BY 1
        ORDER BY 1
    """  # noqa: S608  (constant fragments and a Django-compiled id subquery)
    parameters: list[Any] = [code_length]
    for ids in facility_ids:
        parameters += [list(ids), distance_m, distance_m, distance_m]
    parameters += list(buildings_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return [
            CoverageCount(row[0], row[1], tuple(row[2 : 2 + len(facility_ids)]))
            for row in cursor.fetchall()
        ]


@dataclass(frozen=True)
class EditCount:
    area: str
    month: str  # YYYY-MM in the platform's time zone
    action: str
    count: int


def edit_counts(
    code_length: int,
    prefix: str,
    since: datetime,
    time_zone: str,
    visible_sql: str,
    visible_params: Sequence[Any],
) -> list[EditCount]:
    """History rows (accepted edits, and the creations a ``BulkCreation`` stands for) per
    area, month and action since ``since``. An edit
    belongs to the community recorded in its snapshot (where the component was then),
    else to the component's current community; only edits of components selected by
    ``visible_sql`` count (history of hard-deleted components is not attributed)."""
    sql = f"""
        WITH edits AS (
            SELECT COALESCE(h.snapshot -> 'properties' ->> 'community', c.community_id)
                       AS community,
                   h.time, h.action
            FROM component_catalog_componenthistory h
            JOIN component_catalog_component c ON c.identifier = h.identifier
            WHERE h.time >= %s AND c.id IN ({visible_sql})
            UNION ALL
            -- creations by a bulk load not written out as rows (components unchanged since)
            SELECT c.community_id, b.time, 'create'
            FROM component_catalog_bulkcreation b
            JOIN component_catalog_component c ON c.id BETWEEN b.first_id AND b.last_id
            WHERE b.time >= %s AND c.version = 1 AND c.id IN ({visible_sql})
        )
        SELECT left(community, %s) AS area,
               to_char(date_trunc('month', time AT TIME ZONE %s), 'YYYY-MM') AS month,
               action, count(*)
        FROM edits
        WHERE community LIKE %s
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
    """  # noqa: S608  (a Django-compiled id subquery with its own bound parameters)
    parameters = [
        *(since, *visible_params) * 2,
        code_length,
        time_zone,
        prefix + "%",
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return [EditCount(*row) for row in cursor.fetchall()]


# Advisory-lock class of the synchronous export slots (``reports.gate``): 'RPRT'.
_SLOT_CLASS = 0x52505254


def try_export_slot(slot: int) -> bool:
    """Take synchronous export slot ``slot`` for this connection's session, if free."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_SLOT_CLASS, slot])
        return bool(cursor.fetchone()[0])


def release_export_slot(slot: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_SLOT_CLASS, slot])


@dataclass(frozen=True)
class BasemapShape:
    kind: str  # road, river, water, green or building
    wkb: bytes
    road_class: str


def basemap(
    bbox: tuple[float, float, float, float],
    tolerance: float,
    features_sql: str,
    features_params: Sequence[Any],
    buildings_sql: str | None,
    buildings_params: Sequence[Any],
) -> list[BasemapShape]:
    """The base features (and, when ``buildings_sql`` is given, the building footprints)
    meeting the bounding box (EPSG:4490 degrees), simplified to ``tolerance`` degrees, for
    the PDF's map; only rows of the access-filtered id subqueries."""
    parts = [
        f"""
        SELECT f.kind, ST_AsBinary(ST_SimplifyPreserveTopology(f.geometry, %s)),
               COALESCE(f.attributes->>'road_class', f.attributes->>'level', '')
        FROM layers_basefeature f
        WHERE f.geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4490)
          AND f.id IN ({features_sql})
        """  # noqa: S608  (constant fragments and a Django-compiled id subquery)
    ]
    parameters: list[Any] = [tolerance, *bbox, *features_params]
    if buildings_sql is not None:
        parts.append(
            f"""
            SELECT 'building', ST_AsBinary(ST_SimplifyPreserveTopology(b.geometry, %s)), ''
            FROM layers_building b
            WHERE b.geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4490)
              AND b.id IN ({buildings_sql})
            """  # noqa: S608
        )
        parameters += [tolerance, *bbox, *buildings_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), parameters)
        return [
            BasemapShape(kind, bytes(wkb), road_class or "")
            for kind, wkb, road_class in cursor.fetchall()
            if wkb is not None
        ]
