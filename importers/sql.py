"""Hand-written SQL of the importers, with bound parameters only (table and column names
are constants of this module, never input: hence the ``noqa: S608`` on the f-strings).

Loading goes through COPY: each validated batch is copied (CSV, psycopg 3 or psycopg2, sent
from a thread while the next batch is checked: ``stage_inserts_behind``) into a
session-local staging table while the file is read; the commit then numbers the rows
(serials reserved with ``component_catalog.sql.reserve_serials`` per county and class,
inside the transaction; each staged row carries its rank within its county and class) and
moves them into ``component_catalog_component`` with one ``INSERT ... SELECT``, so every
constraint and trigger of the components table (valid geometry, geometry kind, identifier
shape, unique identifiers, foreign keys) still applies to each row. History rows are written
by the same statement from the rows the INSERT returns, in the same transaction; a big
import becomes a partition of its own instead (``_insert_as_partition``). Staging tables
are temporary: they vanish with the session, and ``drop_staging`` removes them at the end of
every run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone

from component_catalog.sql import (
    DIFF,
    HISTORY_COLUMNS,
    SNAPSHOT,
    SNAPSHOT_JOINS,
    creation_entries_sql,
)

COMPONENT: Final = "component_catalog_component"
HISTORY: Final = "component_catalog_componenthistory"
BULK_CREATION: Final = "component_catalog_bulkcreation"


# --- areas -------------------------------------------------------------------------------

_EXTENTS_SQL = """
SELECT city, ST_XMin(ext), ST_YMin(ext), ST_XMax(ext), ST_YMax(ext), names
FROM (
    SELECT left(code, 4) AS city, ST_Extent(boundary) AS ext,
           string_agg(name, ', ' ORDER BY code) FILTER (WHERE level IN ('city', 'district'))
               AS names
    FROM layers_adminarea GROUP BY left(code, 4)
) s
ORDER BY city
"""


@dataclass(frozen=True)
class Extent:
    city: str
    xmin: float
    ymin: float
    xmax: float
    ymax: float
    names: str


def area_extents() -> list[Extent]:
    """The bounding box of each city's administrative areas (a platform may hold several
    regions far apart; one box around all of them would be meaningless)."""
    with connection.cursor() as cursor:
        cursor.execute(_EXTENTS_SQL)
        return [
            Extent(city, xmin, ymin, xmax, ymax, names or city)
            for city, xmin, ymin, xmax, ymax, names in cursor.fetchall()
            if xmin is not None
        ]


# --- existing components -----------------------------------------------------------------

_EXISTING_COLUMNS = """
c.id, c.identifier, c.component_class_id, c.version, c.currency, c.community_id,
c.county_code, c.owner_id, c.maintainer_id, c.competent_department_id, c.source_key,
c.grid_cell_id, ST_AsBinary(c.geometry)
"""


@dataclass
class Existing:
    id: int
    identifier: str
    class_code: str
    version: int
    currency: str
    community_id: str
    county_code: str
    owner_id: int
    maintainer_id: int
    competent_department_id: int
    source_key: str
    grid_cell_id: str | None
    wkb: bytes


def _existing(sql: str, params: Sequence[Any]) -> list[Existing]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [Existing(*row) for row in cursor.fetchall()]
    for e in found:
        e.wkb = bytes(e.wkb)  # psycopg2 returns a memoryview
    return found


def by_identifier(identifiers: Sequence[str]) -> list[Existing]:
    if not identifiers:
        return []
    return _existing(
        f"SELECT {_EXISTING_COLUMNS} FROM {COMPONENT} c WHERE c.identifier = ANY(%s)",  # noqa: S608
        [list(identifiers)],
    )


def by_source_key(classes: Sequence[str], keys: Sequence[str]) -> list[Existing]:
    """In-use components with one of the (class, source key) pairs."""
    if not keys:
        return []
    return _existing(
        f"""SELECT {_EXISTING_COLUMNS}
        FROM unnest(%s::text[], %s::text[]) AS k(klass, key)
        JOIN {COMPONENT} c ON c.component_class_id = k.klass AND c.source_key = k.key
        WHERE c.currency = 'in_use'""",  # noqa: S608
        [list(classes), list(keys)],
    )


# --- the batch being checked --------------------------------------------------------------
# Each batch's geometries are COPYed into a temporary table, so that finding nearby
# components (deduplication) is one join driven by the components' spatial index, not one
# statement per row. (Communities and grid cells are found in memory: importers.locate.)
# JIT compilation, which costs more than it saves on these short queries, is off for them.

_BATCH = "import_batch_rows"

_NEAR_SQL = f"""
WITH wanted AS MATERIALIZED (
    SELECT b.klass, ST_Expand(b.g, %s, %s) AS box
    FROM {_BATCH} b JOIN unnest(%s::integer[]) AS k(ord) ON k.ord = b.ord
)
SELECT DISTINCT ON (c.id) {_EXISTING_COLUMNS}
FROM wanted w
JOIN {COMPONENT} c ON c.geometry && w.box AND c.component_class_id = w.klass
WHERE c.currency = 'in_use'
ORDER BY c.id
"""  # noqa: S608


def begin_batch(rows: Sequence[tuple[int, str, str]]) -> None:
    """Load a batch's rows (ordinal, class, geometry as hex EWKB) into the session's batch
    table. Call inside a transaction (``batch_settings``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TABLE IF EXISTS {_BATCH}; CREATE TEMP TABLE {_BATCH} "
            "(ord integer, klass text, g geometry(Geometry, 4490))"
        )
    _copy(_BATCH, ("ord", "klass", "g"), rows)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_BATCH}")  # the row count the planner needs


def batch_settings() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")


def end_batch() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_BATCH}")


_IN_BOX_SQL = f"""
SELECT {_EXISTING_COLUMNS}
FROM {COMPONENT} c
WHERE c.geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4490)
  AND c.component_class_id = ANY(%s) AND c.currency = 'in_use'
LIMIT %s
"""  # noqa: S608


def in_box(
    classes: Sequence[str], box: tuple[float, float, float, float], limit: int
) -> list[Existing] | None:
    """Every in-use component of the classes whose bounding box meets ``box`` (lon/lat),
    or None when there are more than ``limit`` (then ask ``near_batch``)."""
    found = _existing(_IN_BOX_SQL, [*(float(v) for v in box), list(classes), limit + 1])
    return None if len(found) > limit else found


def near_batch(ordinals: Sequence[int], dx: float, dy: float) -> list[Existing]:
    """In-use components of the same class whose bounding box comes within (dx, dy)
    degrees of one of the given rows of the batch table (candidates for deduplication: the
    pipeline decides in metres with its own index)."""
    if not ordinals:
        return []
    return _existing(_NEAR_SQL, [dx, dy, list(ordinals)])


def ensure_statistics() -> None:
    """ANALYZE the tables the checks join with if they were never analysed (a new database,
    before autovacuum's first pass): without statistics the planner takes the components
    table for a handful of rows and compares every row of a batch with every component.
    Through the owner's function (migration importers 0002): the application's role owns
    no table and so may not analyse one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT component_import_ensure_statistics()")


# --- loading -------------------------------------------------------------------------------

# The columns both staging tables share (name, SQL type), in COPY order.
ROW_COLUMNS: Final = (
    ("row", "integer"),
    ("geometry", "geometry(Geometry, 4490)"),
    ("component_class_id", "text"),
    ("name", "text"),
    ("address", "text"),
    ("status", "text"),
    ("data_source", "text"),
    ("initial_date", "date"),
    ("attributes", "jsonb"),
    ("competent_department_id", "bigint"),
    ("owner_id", "bigint"),
    ("maintainer_id", "bigint"),
    ("community_id", "text"),
    ("grid_cell_id", "text"),
    ("needs_review", "boolean"),
    ("review_reason", "text"),
    ("source_key", "text"),
)
# county_code: of the community; ordinal: 0, 1, ... over all insertions in row order;
# rank: 1, 2, ... within the county and class (serials follow it, no sort at the load)
INSERT_EXTRA: Final = (("county_code", "text"), ("ordinal", "integer"), ("rank", "integer"))
INSERT_COLUMNS: Final = (*(name for name, _t in ROW_COLUMNS), *(n for n, _t in INSERT_EXTRA))
UPDATE_COLUMNS: Final = (*(name for name, _t in ROW_COLUMNS), "target_id", "expected_version")

_INSERTS = "import_staged_inserts"
_UPDATES = "import_staged_updates"
_BEFORE = "import_update_before"


def _table_sql(name: str, extra: Sequence[tuple[str, str]]) -> str:
    columns = ", ".join(f"{n} {t}" for n, t in (*ROW_COLUMNS, *extra))
    return f"DROP TABLE IF EXISTS {name}; CREATE TEMP TABLE {name} ({columns})"


def create_staging() -> None:
    """(Re)create the session's staging tables, empty."""
    with connection.cursor() as cursor:
        cursor.execute(_table_sql(_INSERTS, INSERT_EXTRA))
        cursor.execute(
            _table_sql(_UPDATES, [("target_id", "bigint"), ("expected_version", "integer")])
        )


def drop_staging() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TABLE IF EXISTS {_INSERTS}; DROP TABLE IF EXISTS {_UPDATES}; "
            f"DROP TABLE IF EXISTS {_BEFORE}"
        )


def _copy_statement(name: str, columns: Sequence[str], *, text_format: bool = False) -> str:
    """COPY ... FROM STDIN, in CSV (or in PostgreSQL's text format)."""
    statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
    return statement if text_format else statement + " WITH (FORMAT csv)"


def _csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV; an empty unquoted field is NULL."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _send_copy(raw: Any, statement: str, text: str) -> None:
    """COPY CSV ``text`` on a driver connection (any thread: the driver serializes its use)."""
    with raw.cursor() as cursor:
        if hasattr(cursor, "copy_expert"):  # psycopg2
            cursor.copy_expert(statement, io.StringIO(text))
        else:  # psycopg 3 (Django prefers it when installed: procrastinate depends on it)
            with cursor.copy(statement) as copy:
                copy.write(text)


def _send_rows(raw: Any, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """COPY rows on a driver connection (any thread). With psycopg 3 the driver formats
    them (text format, in its C implementation: several times faster than the csv
    module); None is NULL and an empty string stays an empty string. With psycopg2, as
    CSV (where an empty string becomes NULL too: the load's COALESCEs treat both alike)."""
    with raw.cursor() as cursor:
        if hasattr(cursor, "copy_expert"):  # psycopg2
            _send_copy(raw, _copy_statement(name, columns), _csv_text(rows))
            return
        with cursor.copy(_copy_statement(name, columns, text_format=True)) as copy:
            for row in rows:
                copy.write_row(row)


def _driver_connection() -> Any:
    connection.ensure_connection()
    return connection.connection


def _copy(name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    _send_copy(_driver_connection(), _copy_statement(name, columns), _csv_text(rows))


def stage_inserts(rows: Sequence[Sequence[Any]]) -> None:
    """Rows in ``INSERT_COLUMNS`` order (geometry as hex EWKB, attributes as JSON text)."""
    _send_rows(_driver_connection(), _INSERTS, INSERT_COLUMNS, rows)


def stage_inserts_behind(rows: Sequence[Sequence[Any]], pool: Executor) -> Future[None]:
    """``stage_inserts`` with the COPY sent from ``pool``'s thread: the server parses and
    stores the rows while the caller goes on with the next batch. The caller must wait for
    the result before it uses the connection again, and must not change ``rows``."""
    return pool.submit(_send_rows, _driver_connection(), _INSERTS, INSERT_COLUMNS, rows)


def stage_updates(rows: Iterable[Sequence[Any]]) -> None:
    """Rows in ``UPDATE_COLUMNS`` order."""
    _copy(_UPDATES, UPDATE_COLUMNS, rows)


def updated_classes() -> list[str]:
    """Classes of the components the staged updates change."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT c.component_class_id FROM {_UPDATES} u "  # noqa: S608
            f"JOIN {COMPONENT} c ON c.id = u.target_id"
        )
        return [klass for (klass,) in cursor.fetchall()]


class _Clock:
    """Seconds between marks, added to a timing dict (the import report's)."""

    def __init__(self, timing: dict[str, float] | None) -> None:
        self.timing = timing
        self.last = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        if self.timing is not None:
            self.timing[name] = round(self.timing.get(name, 0.0) + now - self.last, 3)
        self.last = now


# The staged insertions numbered: serials in row order per county and class, from the
# first serial reserved for each (``unnest`` of counties, classes, firsts).
_NUMBERED_CTE = f"""
n AS (
    SELECT s.*, f.first + s.rank - 1 AS serial
    FROM {_INSERTS} s
    JOIN unnest(%(counties)s::text[], %(classes)s::text[], %(firsts)s::integer[])
        AS f(county, klass, first)
      ON f.county = s.county_code AND f.klass = s.component_class_id
)"""  # noqa: S608
# Columns of a new component and their values from ``n``.
_NEW_COLUMNS = """identifier, county_code, serial, component_class_id, geometry, name,
    address, status, currency, data_source, initial_date, change_date, attributes, gnss_fix,
    gnss_device, needs_review, review_reason, notes, version, created_at, updated_at,
    community_id, grid_cell_id, competent_department_id, owner_id, maintainer_id,
    created_by_id, updated_by_id, source_name, source_row, source_key"""
_NEW_VALUES = """county_code || component_class_id || lpad(serial::text, 6, '0'),
    county_code, serial, component_class_id, geometry, coalesce(name, ''),
    coalesce(address, ''), coalesce(status, 'good'), 'in_use', coalesce(data_source, 'other'),
    coalesce(initial_date, %(today)s::date), %(today)s::date, coalesce(attributes, '{}'::jsonb),
    '', '', coalesce(needs_review, false), coalesce(review_reason, ''), '', 1, now(), now(),
    community_id, grid_cell_id, competent_department_id, owner_id, maintainer_id,
    %(user)s, %(user)s, %(source)s, row, coalesce(source_key, '')"""


def _today() -> dt.date:
    """The calendar day in the city's time zone. Not SQL ``current_date``: the database
    session runs in UTC, whose date lags Hangzhou's by a day from 00:00 to 08:00."""
    return timezone.localdate()


def _history_sql(source: str) -> str:
    """Insert the creation history of the new components in ``source`` (a table or a CTE)."""
    entries = creation_entries_sql(f"{source} c", "%(changeset)s, %(user)s, %(username)s, now()")
    return f"INSERT INTO {HISTORY} ({HISTORY_COLUMNS}) {entries} ORDER BY c.source_row"


# Partitions of imports: ids from 10^12 (the identity stays below), 10^8 per partition.
PARTITION_FIRST_ID: Final = 10**12
PARTITION_SPAN: Final = 10**8
_REGISTRY = "component_catalog_componentidentifier"


def insert_staged(
    first_serials: Sequence[tuple[str, str, int, int]],
    *,
    user_id: int | None,
    username: str,
    changeset_id: int,
    source_name: str,
    sample_rows: Sequence[int] = (),
    timing: dict[str, float] | None = None,
) -> tuple[int, dict[int, str]]:
    """Number the staged insertions (serials from ``first_serials``: county, class, first
    serial reserved, rows staged), insert them and write their history. Returns the number
    inserted and the identifiers of ``sample_rows``; records the seconds of each step in
    ``timing``.
    Must run inside the import's transaction.

    From ``IMPORT_PARTITION_MIN_ROWS`` rows up, the rows become a partition of their own
    (``_insert_as_partition``); below, one statement inserts them into the live table."""
    params: dict[str, Any] = {
        "counties": [c for c, _k, _f, _n in first_serials],
        "classes": [k for _c, k, _f, _n in first_serials],
        "firsts": [f for _c, _k, f, _n in first_serials],
        "user": user_id,
        "source": source_name,
        "changeset": changeset_id,
        "username": username,
        "sample": list(sample_rows),
        "today": _today(),
    }
    staged = sum(n for _c, _k, _f, n in first_serials)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")  # the sorts of the load in memory
    if staged >= settings.IMPORT_PARTITION_MIN_ROWS:
        return _insert_as_partition(params, staged, _Clock(timing))
    clock = _Clock(timing)
    with connection.cursor() as cursor:
        # One statement numbers the rows, inserts the components and writes their history
        # from the rows the INSERT returns (no second pass over the table); it answers the
        # count and the identifiers of the sample rows.
        cursor.execute(
            f"""
            WITH {_NUMBERED_CTE}, c AS (
                INSERT INTO {COMPONENT} ({_NEW_COLUMNS})
                SELECT {_NEW_VALUES} FROM n ORDER BY row
                RETURNING *
            ), h AS ({_history_sql("c")})
            SELECT (SELECT count(*) FROM c), NULL
            UNION ALL
            SELECT source_row, identifier FROM c WHERE source_row = ANY(%(sample)s::integer[])
            """,  # noqa: S608
            params,
        )
        answer = cursor.fetchall()
        clock.mark("load_insert")
    return int(answer[0][0]), {int(row): identifier for row, identifier in answer[1:]}


def _insert_as_partition(
    params: dict[str, Any], staged: int, clock: _Clock
) -> tuple[int, dict[int, str]]:
    """Load the staged insertions as a new partition of the components table: a plain
    table with the components' columns, defaults and CHECK constraints (each row checked as
    it goes in; geometry kinds checked once over the staged rows), identifiers entered in
    the registry that keeps them unique across partitions, one ``BulkCreation`` standing for
    the creation history of all its rows (each written out on the row's first change), then
    attached -- which builds every index of the components table in one pass over the rows
    and validates the foreign keys with one query each, instead of maintaining 18 indexes
    and firing 8 foreign-key triggers per row. Inside the import's transaction: a rollback
    leaves no table behind. Timing: ``load_insert``, ``load_history`` (with the foreign-key
    checks), ``load_attach`` (with the new table's statistics)."""
    if staged > PARTITION_SPAN:
        raise ValueError(f"at most {PARTITION_SPAN} rows per import")
    with connection.cursor() as cursor:
        # The table, its trigger and later its attachment are the owner's work, done by
        # narrow functions (migration importers 0002): the application's role owns nothing.
        cursor.execute("SELECT component_import_partition_create()")
        number = int(cursor.fetchone()[0])
        first = PARTITION_FIRST_ID + number * PARTITION_SPAN
        # a table name from an integer the database gave: nothing from the input
        table = f"{COMPONENT}_import_{number}"
        _check_geometry_kinds()
        cursor.execute(
            f"""
            WITH {_NUMBERED_CTE}
            INSERT INTO {table} (id, {_NEW_COLUMNS})
            SELECT %(first_id)s + ordinal, {_NEW_VALUES} FROM n
            """,  # noqa: S608
            {**params, "first_id": first},
        )
        inserted = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {_REGISTRY} (identifier, component_id) "  # noqa: S608
            f"SELECT identifier::bigint, id FROM {table}"
        )
        clock.mark("load_insert")
        # One creation record for the whole load instead of a history row per component:
        # each row's entry is written out by the trigger when the row first changes.
        cursor.execute(
            f"INSERT INTO {BULK_CREATION} (changeset_id, actor_id, actor_username, time, "  # noqa: S608
            "first_id, last_id) VALUES (%(changeset)s, %(user)s, %(username)s, now(), "
            "%(first_id)s, %(last_id)s)",
            {**params, "first_id": first, "last_id": first + inserted - 1},
        )
        # The deferred foreign-key checks now, before the attach: attaching locks the
        # tables the foreign keys point to (organizations, users, areas) against writes
        # until COMMIT, which should follow at once.
        check_deferred_constraints()
        clock.mark("load_history")
        # statistics, the ids' bounds, then the attach (which builds the indexes)
        cursor.execute("SELECT component_import_partition_attach(%s)", [number])
        clock.mark("load_attach")
        cursor.execute(
            f"SELECT source_row, identifier FROM {table} "  # noqa: S608
            "WHERE source_row = ANY(%s::integer[])",
            [params["sample"]],
        )
        identifiers = {int(row): identifier for row, identifier in cursor.fetchall()}
    return inserted, identifiers


# The staged insertions whose geometry type does not fit their class: the set-based form of
# the components table's trigger ``component_geometry_matches_class`` (same rule, same message).
_WRONG_KINDS = f"""
SELECT s.row, GeometryType(s.geometry), s.component_class_id, k.geometry_kind
FROM {_INSERTS} s JOIN component_catalog_componentclass k ON k.code = s.component_class_id
WHERE NOT (k.geometry_kind = 'point' AND GeometryType(s.geometry) = 'POINT'
           OR k.geometry_kind = 'line'
              AND GeometryType(s.geometry) IN ('LINESTRING', 'MULTILINESTRING')
           OR k.geometry_kind = 'polygon'
              AND GeometryType(s.geometry) IN ('POLYGON', 'MULTIPOLYGON'))
ORDER BY s.row LIMIT 1
"""  # noqa: S608


def _check_geometry_kinds() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_WRONG_KINDS)
        wrong = cursor.fetchone()
    if wrong is not None:
        row, gtype, klass, kind = wrong
        raise IntegrityError(
            f"geometry type {gtype} does not match class {klass} ({kind}) (row {row})"
        )


def check_deferred_constraints() -> None:
    """Check the deferred (foreign-key) constraints now rather than at COMMIT, so that a
    violation is reported with the load and the load's timing includes the checks."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class StaleRows(Exception):
    """Components that changed (or vanished) between validation and commit."""

    def __init__(self, identifiers: list[str]) -> None:
        super().__init__(", ".join(identifiers))
        self.identifiers = identifiers


def update_staged(
    *, user_id: int | None, username: str, changeset_id: int, source_name: str
) -> int:
    """Apply the staged updates: lock the targets, check that each is still at the version
    validation saw (``StaleRows`` otherwise), update them (version + 1; empty values keep
    what is stored; attributes are merged) and write history with the changes. Must run
    inside the import's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT u.target_id, u.expected_version, c.identifier, c.version
            FROM {_UPDATES} u
            LEFT JOIN (
                SELECT id, identifier, version FROM {COMPONENT}
                WHERE id IN (SELECT target_id FROM {_UPDATES})
                ORDER BY id
                FOR UPDATE
            ) c ON c.id = u.target_id
            ORDER BY u.target_id
            """  # noqa: S608
        )
        stale = [
            identifier or f"id {target}"
            for target, expected, identifier, version in cursor.fetchall()
            if version != expected
        ]
        if stale:
            raise StaleRows(stale)
        cursor.execute(
            f"""
            DROP TABLE IF EXISTS {_BEFORE};
            CREATE TEMP TABLE {_BEFORE} ON COMMIT DROP AS
            SELECT c.id, {SNAPSHOT} AS snap
            FROM {_UPDATES} u JOIN {COMPONENT} c ON c.id = u.target_id {SNAPSHOT_JOINS}
            """  # noqa: S608
        )
        cursor.execute(
            f"""
            UPDATE {COMPONENT} c SET
                geometry = u.geometry,
                community_id = u.community_id,
                grid_cell_id = u.grid_cell_id,
                competent_department_id = u.competent_department_id,
                owner_id = u.owner_id,
                maintainer_id = u.maintainer_id,
                name = coalesce(NULLIF(u.name, ''), c.name),
                address = coalesce(NULLIF(u.address, ''), c.address),
                status = coalesce(u.status, c.status),
                data_source = coalesce(u.data_source, c.data_source),
                needs_review = CASE WHEN u.data_source IS NULL THEN c.needs_review
                                    ELSE coalesce(u.needs_review, false) END,
                review_reason = CASE WHEN u.data_source IS NULL THEN c.review_reason
                                     ELSE coalesce(u.review_reason, '') END,
                initial_date = coalesce(u.initial_date, c.initial_date),
                change_date = %(today)s::date,
                attributes = c.attributes || coalesce(u.attributes, '{{}}'::jsonb),
                source_name = %(source)s,
                source_row = u.row,
                source_key = CASE WHEN c.source_key = '' THEN coalesce(u.source_key, '')
                                  ELSE c.source_key END,
                version = c.version + 1,
                updated_at = now(),
                updated_by_id = %(user)s
            FROM {_UPDATES} u
            WHERE c.id = u.target_id
            """,  # noqa: S608
            {"user": user_id, "source": source_name, "today": _today()},
        )
        updated = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {HISTORY} ({HISTORY_COLUMNS})
            SELECT s.identifier, s.version, 'update', %(changeset)s, %(user)s, %(username)s,
                   now(), (SELECT {DIFF} FROM (SELECT s.before AS b, s.snap AS a) d), s.snap
            FROM (
                SELECT c.identifier, c.version, bf.snap AS before, {SNAPSHOT} AS snap
                FROM {_UPDATES} u
                JOIN {COMPONENT} c ON c.id = u.target_id
                JOIN {_BEFORE} bf ON bf.id = c.id
                {SNAPSHOT_JOINS}
                ORDER BY u.row
            ) s
            """,  # noqa: S608
            {"changeset": changeset_id, "user": user_id, "username": username},
        )
        cursor.execute(f"DROP TABLE {_BEFORE}")
    return updated


# --- background jobs ----------------------------------------------------------------------

# The procrastinate job running an import, and the last heartbeat of the worker doing it
# (NULL when no live worker row is left).
_TASK_STATE = """
SELECT j.status::text, w.last_heartbeat, now()
FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
WHERE j.id = %s
"""


@dataclass(frozen=True)
class TaskState:
    status: str | None  # procrastinate's: todo, doing, succeeded, failed, ...; None: gone
    seconds_since_heartbeat: float | None  # of the worker doing it; None: no worker row


def task_state(task_id: int) -> TaskState:
    with connection.cursor() as cursor:
        cursor.execute(_TASK_STATE, [task_id])
        row = cursor.fetchone()
    if row is None:
        return TaskState(None, None)
    status, heartbeat, now = row
    return TaskState(status, (now - heartbeat).total_seconds() if heartbeat else None)
