"""Hand-written SQL of the benchmark data generator (``manage.py generate_components``),
with bound parameters only.

Synthetic components are inserted set-based: one ``INSERT ... SELECT`` per batch draws
random points inside the communities of a county (``ST_GeneratePoints`` per community, the
number of points per community in proportion to its area), derives the grid cell in SQL
(the same ``ST_Covers`` rule as :func:`component_catalog.sql.locate_many`) and numbers the
rows from serials reserved beforehand on the identifier counter (one upsert,
:func:`component_catalog.sql.reserve_serials`), so identifiers stay gapless. Every
generated row carries ``notes = MARKER`` so that it can be deleted again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from gis_app import db_roles

MARKER = "generated"

# Attribute document per class, as a SQL expression over ``r`` (random numbers u1..u7 in
# [0, 1) per row) and the named parameters of ``insert_batch``. Only classes listed here
# (and point classes whose schema accepts ``{}``) can be generated; the command checks a
# sample of the result against the class's JSON Schema.
_TREE_ATTRIBUTES = """
jsonb_build_object(
    'species', (%(species)s::text[])[1 + floor(r.u1 * cardinality(%(species)s::text[]))::int],
    'species_latin',
        (%(species_latin)s::text[])[1 + floor(r.u1 * cardinality(%(species)s::text[]))::int],
    'dbh_cm', round((10 + 50 * r.u2)::numeric, 1),
    'height_m', round((5 + 0.2 * (50 * r.u2) + 3 * r.u3)::numeric, 1),
    'crown_m', round((1.5 + 0.12 * (10 + 50 * r.u2) + r.u4)::numeric, 1)
)
"""
EMPTY_ATTRIBUTES = "'{}'::jsonb"
ATTRIBUTES: dict[str, str] = {"0402": _TREE_ATTRIBUTES}

# Street trees as in the demo (name, latin name, weight); repeated by weight so that a
# uniform pick is a weighted one.
TREE_SPECIES = [
    ("香樟", "Cinnamomum camphora", 4),
    ("悬铃木", "Platanus x acerifolia", 3),
    ("银杏", "Ginkgo biloba", 2),
    ("无患子", "Sapindus mukorossi", 1),
    ("桂花", "Osmanthus fragrans", 1),
]
ROADS = ["文三路", "文二路", "文一路", "天目山路", "古墩路", "教工路", "学院路", "保俶路"]
ROADS += ["曙光路", "莫干山路", "西溪路", "灵隐路", "黄龙路", "古翠路", "益乐路", "丰潭路"]
CITY_PREFIX = "杭州市西湖区"

_INSERT_SQL = """
WITH comm AS (
    SELECT a.code, a.boundary,
           row_number() OVER (ORDER BY a.code) AS idx,
           sum(ST_Area(a.boundary)) OVER (ORDER BY a.code) / sum(ST_Area(a.boundary)) OVER ()
               AS cum_hi,
           (sum(ST_Area(a.boundary)) OVER (ORDER BY a.code) - ST_Area(a.boundary))
               / sum(ST_Area(a.boundary)) OVER () AS cum_lo
    FROM layers_adminarea a
    WHERE a.level = 'community' AND a.code LIKE %(county)s || '%%'
),
quota AS (
    SELECT code, boundary, idx,
           (round(%(n)s * cum_hi) - round(%(n)s * cum_lo))::int AS n
    FROM comm
),
pts AS (
    SELECT q.code AS community, d.path[1] AS k, ST_SnapToGrid(d.geom, 1e-8) AS p
    FROM quota q,
         LATERAL ST_Dump(ST_GeneratePoints(q.boundary, q.n, %(seed)s * 1000 + q.idx::int)) d
    WHERE q.n > 0
),
numbered AS (
    SELECT community, p,
           %(first_serial)s - 1 + row_number() OVER (ORDER BY community, k) AS serial
    FROM pts
),
r AS (
    SELECT n.*, g.code AS grid_cell,
           random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5,
           random() AS u6, random() AS u7,
           %(t0)s::timestamptz + random() * %(span)s::interval AS created
    FROM numbered n
    LEFT JOIN LATERAL (
        SELECT gc.code FROM layers_gridcell gc
        WHERE gc.community_id = n.community AND ST_Covers(gc.boundary, n.p)
        ORDER BY gc.code LIMIT 1
    ) g ON true
)
INSERT INTO component_catalog_component (
    identifier, county_code, component_class_id, serial, geometry, name, address,
    status, currency, data_source, initial_date, change_date, attributes,
    gnss_fix, gnss_device, needs_review, review_reason, notes, version,
    created_at, updated_at, community_id, grid_cell_id,
    competent_department_id, owner_id, maintainer_id
)
SELECT
    %(county)s || %(class)s || lpad(r.serial::text, 6, '0'),
    %(county)s, %(class)s, r.serial, r.p,
    CASE WHEN %(name_from_species)s
         THEN (%(species)s::text[])[1 + floor(r.u1 * cardinality(%(species)s::text[]))::int]
              || %(name_suffix)s
         ELSE %(name_suffix)s END,
    %(city_prefix)s || (%(roads)s::text[])[1 + floor(r.u5 * cardinality(%(roads)s::text[]))::int]
        || (1 + floor(r.u6 * 400))::int || '号',
    CASE WHEN r.u7 < 0.94 THEN 'good' WHEN r.u7 < 0.98 THEN 'damaged' ELSE 'missing' END,
    'in_use', 'other',
    (r.created AT TIME ZONE 'Asia/Shanghai')::date,
    ((r.created + power(r.u3, 3) * (%(t1)s::timestamptz - r.created))
        AT TIME ZONE 'Asia/Shanghai')::date,
    {attributes},
    '', '', false, '', %(marker)s, 1,
    r.created, r.created + power(r.u3, 3) * (%(t1)s::timestamptz - r.created),
    r.community, r.grid_cell,
    %(competent)s, %(owner)s, %(maintainer)s
FROM r
ORDER BY r.serial
"""


def insert_sql(class_code: str) -> str:
    """The batch INSERT for a class (its attribute expression is a constant of this module)."""
    return _INSERT_SQL.replace("{attributes}", ATTRIBUTES.get(class_code, EMPTY_ATTRIBUTES))


def insert_batch(
    *,
    county: str,
    class_code: str,
    first_serial: int,
    count: int,
    seed: int,
    organizations: tuple[int, int, int],
    name_suffix: str,
    time_range: tuple[str, str],
) -> int:
    """Insert ``count`` generated components numbered from ``first_serial``; returns the
    number of rows inserted. Must run inside the transaction that reserved the serials."""
    species = [name for name, _latin, weight in TREE_SPECIES for _ in range(weight)]
    latin = [latin for _name, latin, weight in TREE_SPECIES for _ in range(weight)]
    t0, t1 = time_range
    params: dict[str, Any] = {
        "county": county,
        "class": class_code,
        "first_serial": first_serial,
        "n": count,
        "seed": seed,
        "species": species,
        "species_latin": latin,
        "name_from_species": class_code == "0402",
        "name_suffix": name_suffix,
        "city_prefix": CITY_PREFIX,
        "roads": ROADS,
        "t0": t0,
        "t1": t1,
        "span": f"{_seconds_between(t0, t1)} seconds",
        "marker": MARKER,
        "competent": organizations[0],
        "owner": organizations[1],
        "maintainer": organizations[2],
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [((seed * 7919 + first_serial) % 20000) / 10000 - 1])
        cursor.execute(insert_sql(class_code), params)
        return int(cursor.rowcount)


def _seconds_between(t0: str, t1: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM %s::timestamptz - %s::timestamptz)", [t1, t0])
        (seconds,) = cursor.fetchone()
    return int(seconds)


_SAMPLE_ATTRIBUTES_SQL = """
SELECT attributes FROM component_catalog_component
WHERE county_code = %s AND component_class_id = %s AND serial BETWEEN %s AND %s
ORDER BY serial LIMIT %s
"""


def sample_attributes(county: str, class_code: str, first: int, last: int, limit: int) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(_SAMPLE_ATTRIBUTES_SQL, [county, class_code, first, last, limit])
        # Django's psycopg2 set-up hands jsonb back as text.
        return [json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in cursor]


_COUNTER_SQL = """
SELECT last_serial FROM component_catalog_identifiercounter
WHERE county_code = %s AND class_code = %s
"""


def last_serial(county: str, class_code: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_COUNTER_SQL, [county, class_code])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


_MAX_SERIAL_SQL = """
SELECT coalesce(max(serial), 0) FROM component_catalog_component
WHERE county_code = %s AND component_class_id = %s
"""


def max_serial(county: str, class_code: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_MAX_SERIAL_SQL, [county, class_code])
        (value,) = cursor.fetchone()
    return int(value)


_COMMUNITIES_SQL = """
SELECT count(*) FROM layers_adminarea WHERE level = 'community' AND code LIKE %s || '%%'
"""


def community_count(county: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_COMMUNITIES_SQL, [county])
        (count,) = cursor.fetchone()
    return int(count)


_COUNT_GENERATED_SQL = """
SELECT component_class_id, count(*) FROM component_catalog_component
WHERE notes = %s GROUP BY component_class_id ORDER BY component_class_id
"""


def count_generated() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_GENERATED_SQL, [MARKER])
        return [(code, int(n)) for code, n in cursor.fetchall()]


# Photos first: their foreign key has no ON DELETE CASCADE in the database (files on disk,
# if any, are left behind).
_DELETE_PHOTOS_SQL = """
DELETE FROM component_catalog_componentphoto
WHERE component_id IN (SELECT id FROM component_catalog_component WHERE notes = %s)
"""
_DELETE_SQL = """
WITH gone AS (
    DELETE FROM component_catalog_component WHERE notes = %s
    RETURNING county_code, component_class_id
)
SELECT county_code, component_class_id, count(*) FROM gone GROUP BY 1, 2 ORDER BY 1, 2
"""
# A separate statement: within the DELETE's statement the deleted rows would still count.
_RESET_COUNTER_SQL = """
UPDATE component_catalog_identifiercounter c
SET last_serial = coalesce((
    SELECT max(serial) FROM component_catalog_component
    WHERE county_code = c.county_code AND component_class_id = c.class_code
), 0)
WHERE c.county_code = %s AND c.class_code = %s
RETURNING last_serial
"""


def delete_generated() -> list[tuple[str, str, int, int]]:
    """Delete every generated component; returns (county, class, deleted, counter now).
    Run inside a transaction."""
    result = []
    with connection.cursor() as cursor:
        cursor.execute(_DELETE_PHOTOS_SQL, [MARKER])
        cursor.execute(_DELETE_SQL, [MARKER])
        deleted: Sequence[tuple[str, str, int]] = cursor.fetchall()
        for county, class_code, count in deleted:
            cursor.execute(_RESET_COUNTER_SQL, [county, class_code])
            row = cursor.fetchone()
            result.append((county, class_code, int(count), int(row[0]) if row else 0))
    return result


def vacuum_analyze() -> None:
    """Outside a transaction only. As the database owner (when one is configured): the
    application's role owns no table, so it may not vacuum one."""
    with db_roles.as_owner(), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE component_catalog_component")


def check_constraints_per_statement() -> None:
    """Check the (deferred) foreign keys at the end of each batch instead of all at commit,
    so that the progress shown is the real progress. Inside the transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def analyze() -> None:
    """Through the owner's function (migration core 0004): the application's role may not
    analyse a table it does not own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT analyze_table('component_catalog_component')")
