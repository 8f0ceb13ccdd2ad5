"""The hand-written SQL of the tiles app, with bound parameters only.

Vector tiles follow the known-best pattern (DESIGN.md section 9): the access-filtered ORM
queryset of the layer's feature source, narrowed by ``&&`` against ``ST_TileEnvelope``
widened by a margin (served by a GiST index: ``geom_3857`` for components, so no per-row
transform; the native CGCS2000 column for the small base layers, against the envelope
transformed once), then ``ST_AsMVTGeom`` (extent 4096, buffer 64) and ``ST_AsMVT``.

Point layers below their minimum zoom are clustered: points are grouped by cells of a grid
of ``CLUSTER_CELLS`` x ``CLUSTER_CELLS`` per tile (aligned across tiles; the query reads one
cell beyond the tile on every side so that a cluster in the buffer is the same cluster as
in its own tile) and each group becomes one point at the mean position of its members with
a ``count`` (and the member's properties when it holds one). A tile thus holds at most
(CLUSTER_CELLS + 2)^2 features per layer, whatever the data. At and above the minimum
zoom, a layer's tile holds at most ``FEATURE_CAP`` features (TiPg's default limit).

Every tile statement turns JIT off for itself (``SET LOCAL`` in the same simple query):
compiling costs ~300 ms on the low-zoom statements and gains nothing here. Statements are
prepared once per database connection (``PREPARE``/``EXECUTE``; psycopg2 has no
server-side prepare of its own) unless TILES_PREPARED_STATEMENTS=0 (for a transaction-mode
PgBouncer).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import weakref
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, F, Field, QuerySet
from django.db.models.expressions import RawSQL

from tiles.grid import BUFFER, CLUSTER_CELLS, EXTENT, Tile, tile_bounds, tile_size

FEATURE_CAP = 10_000
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
NO_JIT = "SET LOCAL jit = off; "
# Cluster statements read anything from a few to a million rows: plan each execution with
# its real tile (a generic plan picks an index scan for a whole-city tile, measured 3x slower).
CUSTOM_PLAN = "SET LOCAL plan_cache_mode = force_custom_plan; "


@dataclass(frozen=True)
class Part:
    """One MVT layer (or, with ``layer_names``, one MVT layer per value of the ``class``
    property) of a tile."""

    name: str  # MVT layer name (ignored with layer_names)
    queryset: QuerySet[Any]  # access-filtered features
    geometry_field: str  # the source's geometry field (EPSG:4490)
    geometry_3857: str | None  # an indexed EPSG:3857 column of the same table, if any
    properties: dict[str, str]  # MVT property -> ORM lookup
    attributes: dict[str, tuple[str, ...]]  # class -> key attribute names ("" = any class)
    cluster: bool
    cluster_properties: tuple[str, ...] = ()
    layer_names: dict[str, str] | None = None  # class code -> MVT layer name (combined tile)


def _check(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"property name {name!r} is not a plain identifier")
    return name


def _quote(name: str) -> str:
    return '"' + _check(name) + '"'


def _features_queryset(part: Part, tile: Any, reach: float) -> tuple[str, list[Any]]:
    """The inner SELECT: the part's features near the tile with their 3857 geometry
    (``t_geom``), properties (``p_<name>``) and raw attributes (``t_attrs``)."""
    qs = part.queryset.order_by()
    model = qs.model
    table = connection.ops.quote_name(model._meta.db_table)
    envelope = "ST_TileEnvelope(%s, %s, %s, margin => %s)"
    margin = float(reach)
    # RawSQL below: table and column names come from the model and the tiles app's own
    # constants (quoted), every value is a bound parameter.
    if part.geometry_3857:
        column = f"{table}.{connection.ops.quote_name(part.geometry_3857)}"
        geom = RawSQL(column, (), output_field=Field())  # noqa: S611
        near = RawSQL(  # noqa: S611
            f"{column} && {envelope}",
            (tile.z, tile.x, tile.y, margin),
            output_field=BooleanField(),
        )
    else:
        native = model._meta.get_field(part.geometry_field).column
        column = f"{table}.{connection.ops.quote_name(native)}"
        geom = RawSQL(f"ST_Transform({column}, 3857)", (), output_field=Field())  # noqa: S611
        near = RawSQL(  # noqa: S611
            f"{column} && ST_Transform({envelope}, 4490)",
            (tile.z, tile.x, tile.y, margin),
            output_field=BooleanField(),
        )
    # A plain Field: a geometry output field would make Django select it ``::bytea``.
    annotations: dict[str, Any] = {"t_geom": geom}
    if part.cluster:  # the cell's members: position, key (its properties: _singles_sql)
        annotations["t_pk"] = F("pk")
        if part.layer_names is not None:
            annotations["p_class"] = F(part.properties["class"])
    else:
        annotations.update({f"p_{_check(n)}": F(lookup) for n, lookup in part.properties.items()})
        if part.attributes:
            annotations["t_attrs"] = F("attributes")
    values = qs.filter(near).annotate(**annotations).values(*annotations)
    if not part.cluster:
        values = values[:FEATURE_CAP]
    sql, params = values.query.sql_with_params()
    return sql, list(params)


def _attributes_sql(part: Part) -> tuple[str, list[Any]]:
    """A jsonb column of the key attributes (ST_AsMVT expands its scalar members)."""
    if not part.attributes:
        return "", []
    if part.attributes.get("") == ("*",):
        return ", q.t_attrs AS attrs", []

    def build(keys: tuple[str, ...]) -> tuple[str, list[Any]]:
        if not keys:
            return "NULL::jsonb", []
        pairs = ", ".join("%s::text, q.t_attrs -> %s::text" for _ in keys)
        return f"jsonb_build_object({pairs})", [v for key in keys for v in (key, key)]

    if list(part.attributes) == [""]:
        sql, params = build(part.attributes[""])
        return f", {sql} AS attrs", params
    cases, params = [], []
    for code, keys in sorted(part.attributes.items()):
        sql, values = build(keys)
        cases.append(f"WHEN %s::text THEN {sql}")
        params += [code, *values]
    return f", CASE q.p_class {' '.join(cases)} END AS attrs", params


def _plain_sql(part: Part, tile: Any) -> tuple[str, list[Any]]:
    inner, inner_params = _features_queryset(part, tile, BUFFER / EXTENT)
    columns = "".join(f", q.p_{name} AS {_quote(name)}" for name in part.properties)
    attrs, attr_params = _attributes_sql(part)
    sql = (
        "SELECT ST_AsMVTGeom(q.t_geom, ST_TileEnvelope(%s, %s, %s), "  # noqa: S608
        f"{EXTENT}, {BUFFER}, true) AS geom{columns}{attrs} FROM ({inner}) AS q"
    )
    return sql, [tile.z, tile.x, tile.y, *attr_params, *inner_params]


def _singles_sql(part: Part, names: list[str]) -> tuple[str, list[Any]]:
    """The properties of the members that are alone in their cell, by key (``c.one``):
    read for those few rows instead of aggregating every property over every member. The
    keys come from the part's access-filtered members, so the model's table is enough."""
    model = part.queryset.model
    lookups = {f"p_{_check(n)}": F(part.properties[n]) for n in names}
    alone = RawSQL("SELECT c.one FROM c WHERE c.n = 1", ())  # noqa: S611 (the cells below)
    rows = (
        model._base_manager.order_by()
        .filter(pk__in=alone)
        .annotate(t_pk=F("pk"), **lookups)
        .values("t_pk", *lookups)
    )
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


def _cluster_sql(part: Part, tile: Any) -> tuple[str, list[Any]]:
    """Cells of CLUSTER_CELLS x CLUSTER_CELLS per tile: each becomes one point at the mean
    of its members with their ``count``; a cell of one keeps the member's properties.
    One pass over the members counts and sums coordinates and keeps the smallest key; the
    properties of the members alone in their cell are read afterwards, by key."""
    inner, inner_params = _features_queryset(part, tile, 1 / CLUSTER_CELLS)
    minx, miny, cell = Slot.MINX, Slot.MINY, Slot.CELL
    keep = [name for name in part.cluster_properties if name in part.properties]
    keep = [name for name in keep if name != "class"]  # per layer, or the group key
    key, member_class, group = "", "", ""
    if part.layer_names is not None:  # the combined tile: cells per class
        key, member_class, group = ', c.k AS "class"', ", q.p_class AS k", ", q.p_class"
    cells = (
        "c AS MATERIALIZED (SELECT count(*) AS n, sum(ST_X(q.t_geom)) AS sx, "  # noqa: S608
        f"sum(ST_Y(q.t_geom)) AS sy, min(q.t_pk) AS one{member_class} FROM ({inner}) AS q "
        "GROUP BY floor((ST_X(q.t_geom) - %s) / %s), floor((ST_Y(q.t_geom) - %s) / %s)"
        f"{group})"
    )
    params: list[Any] = [*inner_params, minx, cell, miny, cell]
    point = (
        "ST_AsMVTGeom(ST_Point(c.sx / c.n, c.sy / c.n, 3857), "
        f"ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true) AS geom, "
        f'c.n::integer AS "count"{key}'
    )
    if not keep:
        sql = f"WITH {cells} SELECT {point} FROM c"  # noqa: S608
        return sql, [*params, tile.z, tile.x, tile.y]
    singles, singles_params = _singles_sql(part, keep)
    columns = "".join(f", s.p_{n}::text AS {_quote(n)}" for n in keep)
    sql = (
        f"WITH {cells}, s AS MATERIALIZED ({singles}) "  # noqa: S608
        f"SELECT {point}{columns} FROM c LEFT JOIN s ON c.n = 1 AND s.t_pk = c.one"
    )
    return sql, [*params, *singles_params, tile.z, tile.x, tile.y]


def part_sql(part: Part, tile: Any) -> tuple[str, list[Any]]:
    """A statement returning one bytea: the part's MVT layer(s) of the tile ('' if none)."""
    features, params = _cluster_sql(part, tile) if part.cluster else _plain_sql(part, tile)
    # Safe: ``features`` is built from checked identifiers and the ORM's own SQL; values
    # (layer names included) are bound parameters.
    if part.layer_names is None:
        sql = f"SELECT coalesce(ST_AsMVT(f, %s, {EXTENT}, 'geom'), ''::bytea) FROM ({features}) f"  # noqa: S608
        return sql, [part.name, *params]
    sql = (
        "SELECT coalesce(string_agg(m.mvt, ''::bytea ORDER BY m.k), ''::bytea) FROM ("  # noqa: S608
        f'SELECT f."class" AS k, ST_AsMVT(f, %s::jsonb ->> f."class", {EXTENT}, \'geom\') '
        f'AS mvt FROM ({features}) f GROUP BY f."class") m'
    )
    return sql, [json.dumps(part.layer_names), *params]


class Slot(enum.Enum):
    """Tile-dependent parameters in a statement template, bound per request."""

    Z = "z"
    X = "x"
    Y = "y"
    MINX = "minx"
    MINY = "miny"
    CELL = "cell"


@dataclass(frozen=True)
class _SlotTile:
    z: Slot = Slot.Z
    x: Slot = Slot.X
    y: Slot = Slot.Y


_TEMPLATES: dict[Any, tuple[str, list[Any]]] = {}
MAX_TEMPLATES = 512


def _template(parts: list[Part]) -> tuple[str, list[Any]]:
    """The statement with ``Slot`` markers where the tile's numbers go."""
    if not parts:
        return "SELECT ''::bytea", []
    pieces, params = [], []
    for part in parts:
        sql, values = part_sql(part, _SlotTile())
        pieces.append(f"({sql})")
        params += values
    return "SELECT " + " || ".join(pieces), params


def _bind(params: list[Any], tile: Tile) -> list[Any]:
    minx, miny, _maxx, _maxy = tile_bounds(tile)
    values = {
        Slot.Z: tile.z,
        Slot.X: tile.x,
        Slot.Y: tile.y,
        Slot.MINX: minx,
        Slot.MINY: miny,
        Slot.CELL: tile_size(tile.z) / CLUSTER_CELLS,
    }
    return [values[p] if isinstance(p, Slot) else p for p in params]


def tile_sql(parts: list[Part], tile: Tile, cache_key: Any = None) -> tuple[str, list[Any]]:
    """One statement returning the whole tile (the parts' layers concatenated).

    With ``cache_key`` (everything the statement's text and non-tile parameters depend on:
    layer, fingerprint, scope, the parts' modes) the compiled template is kept in this
    process, so a request skips compiling the ORM query."""
    if cache_key is None:
        sql, params = _template(parts)
        return sql, _bind(params, tile)
    key = (cache_key, tuple((p.name, p.cluster, tuple(sorted(p.layer_names or {}))) for p in parts))
    found = _TEMPLATES.get(key)
    if found is None:
        if len(_TEMPLATES) >= MAX_TEMPLATES:
            _TEMPLATES.clear()
        found = _TEMPLATES[key] = _template(parts)
    return found[0], _bind(found[1], tile)


# --- the cache table -------------------------------------------------------------------

# The generation of a tile: its own counter, its zoom level's and its layer's, summed (any
# bump raises the sum). Parameters: layer, z, x, y.
GENERATION = (
    "SELECT coalesce(sum(generation), 0) FROM tiles_tilegeneration "
    "WHERE layer = %s AND (z = -1 OR (z = %s AND ((x = %s AND y = %s) OR (x = -1 AND y = -1))))"
)
# The registry version (``tiles.registry``) comes with every tile statement's result: the
# caller checks that the layer specs it used are still current.
REGISTRY_VERSION = "(SELECT version FROM tiles_registrystate WHERE id = 1)"
LOOKUP = (
    f"SELECT {REGISTRY_VERSION}, e.body, e.etag FROM (SELECT 1) AS one "  # noqa: S608
    "LEFT JOIN tiles_tilecacheentry e "
    "ON e.layer = %s AND e.z = %s AND e.x = %s AND e.y = %s AND e.scope = %s "
    f"AND e.fingerprint = %s AND e.generation = ({GENERATION})"
)


@dataclass(frozen=True)
class Key:
    layer: str
    tile: Tile
    scope: str
    fingerprint: str

    def params(self) -> list[Any]:
        t = self.tile
        return [self.layer, t.z, t.x, t.y, self.scope, self.fingerprint]

    def template_key(self) -> tuple[str, str, str]:
        return (self.layer, self.fingerprint, self.scope)

    def generation_params(self) -> list[Any]:
        t = self.tile
        return [self.layer, t.z, t.x, t.y]


def lookup(key: Key) -> tuple[int, tuple[bytes, str] | None]:
    """The registry version, and the cached tile with its ETag if it is still valid."""
    row = _fetch_one(LOOKUP, [*key.params(), *key.generation_params()])
    hit = (bytes(row[1]), row[2]) if row[1] is not None else None
    return int(row[0]), hit


def render(parts: list[Part], key: Key, *, generation: bool) -> tuple[int, int | None, bytes]:
    """The registry version, the tile's generation (with ``generation``: read in the same
    statement as the features, so it is the generation the tile was made from) and the
    tile. A plain SELECT, so PostgreSQL may run it with parallel workers (an INSERT never
    does: storing is a second statement, :func:`store`)."""
    body_sql, params = tile_sql(parts, key.tile, key.template_key())
    read = f"({GENERATION})" if generation else "NULL::bigint"
    sql = f"SELECT {REGISTRY_VERSION}, {read}, t.body FROM ({body_sql} AS body) AS t"  # noqa: S608
    if generation:
        params = [*key.generation_params(), *params]
    row = _fetch_one(sql, params, no_jit=True, custom_plan=any(p.cluster for p in parts))
    return int(row[0]), row[1], bytes(row[2]) if row[2] is not None else b""


# The cache is a cache: a tile lost in a crash is rendered again, so storing one does not
# wait for the WAL flush (and the table is UNLOGGED, tiles.0004). An older generation never
# replaces a newer one a concurrent request stored.
_STORE = (
    "SET LOCAL synchronous_commit = off; "
    "INSERT INTO tiles_tilecacheentry "
    "(layer, z, x, y, scope, fingerprint, generation, etag, body, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now()) "
    "ON CONFLICT (layer, z, x, y, scope) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
    "generation = EXCLUDED.generation, etag = EXCLUDED.etag, body = EXCLUDED.body, "
    "created_at = EXCLUDED.created_at "
    "WHERE tiles_tilecacheentry.generation <= EXCLUDED.generation"
)


def etag_of(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def store(key: Key, generation: int, body: bytes) -> str:
    """Keep a rendered tile with the generation it was made from; returns its ETag."""
    etag = etag_of(body)
    with connection.cursor() as cursor:
        cursor.execute(_STORE, [*key.params(), generation, etag, body])
    return etag


_BUMP = """
INSERT INTO tiles_tilegeneration (layer, z, x, y, generation)
SELECT k.layer, k.z, k.x, k.y, 1
FROM unnest(%s::text[], %s::int[], %s::int[], %s::int[]) AS k(layer, z, x, y)
ORDER BY 1, 2, 3, 4
ON CONFLICT (layer, z, x, y) DO UPDATE SET generation = tiles_tilegeneration.generation + 1
"""
_DROP_CACHED = """
DELETE FROM tiles_tilecacheentry c
USING unnest(%s::text[], %s::int[], %s::int[], %s::int[]) AS k(layer, z, x, y)
WHERE c.layer = k.layer AND (k.z = -1 OR (c.z = k.z AND (k.x = -1 OR (c.x = k.x AND c.y = k.y))))
"""


def bump(keys: list[tuple[str, int, int, int]]) -> None:
    """Raise the generation of these (layer, z, x, y) keys (-1: all) and drop their cached
    tiles. Inside the caller's transaction; rows are locked in a fixed order."""
    if not keys:
        return
    columns = [list(column) for column in zip(*sorted(set(keys)), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_BUMP, columns)
        cursor.execute(_DROP_CACHED, columns)


def clear(layer: str | None = None) -> int:
    with connection.cursor() as cursor:
        if layer is None:
            cursor.execute("DELETE FROM tiles_tilecacheentry")
        else:
            cursor.execute("DELETE FROM tiles_tilecacheentry WHERE layer = %s", [layer])
        return int(cursor.rowcount)


def stats() -> list[tuple[str, int, int]]:
    """(layer, tiles, bytes) of the cache."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT layer, count(*), coalesce(sum(length(body)), 0) FROM tiles_tilecacheentry "
            "GROUP BY layer ORDER BY layer"
        )
        return [(layer, int(n), int(size)) for layer, n, size in cursor.fetchall()]


# --- prepared statements ---------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%%|%s")


def use_prepared() -> bool:
    return bool(settings.TILES_PREPARED_STATEMENTS)


def _numbered(sql: str) -> str:
    """``%s`` placeholders as ``$1, $2, ...`` (``%%`` back to ``%``) for PREPARE."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(counter)}", sql)


MAX_PREPARED = 500  # per connection; then DEALLOCATE ALL and start again


_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _prepared_names(cursor: Any) -> set[str]:
    """Names prepared on the current database connection (keyed by the DB-API connection
    object, so a reconnect starts afresh)."""
    connection.ensure_connection()
    raw = connection.connection
    names = _PREPARED.get(raw)
    if names is None or len(names) >= MAX_PREPARED:
        if names:
            cursor.execute("DEALLOCATE ALL")
        names = _PREPARED[raw] = set()
    return names


def _last_result(cursor: Any) -> Any:
    """The row of the last statement of a multi-statement query: psycopg2 keeps the last
    result; psycopg 3 (client-side binding, Django's default) starts at the first, so step
    over the ``SET LOCAL`` results."""
    raw = getattr(cursor, "cursor", cursor)
    while raw.description is None:
        try:
            if not raw.nextset():
                break
        except Exception:  # psycopg2: NotSupportedError (and it has the last result)  # noqa: BLE001
            break
    return raw.fetchone()


def _fetch_one(sql: str, params: list[Any], no_jit: bool = False, custom_plan: bool = False) -> Any:
    prefix = (NO_JIT if no_jit else "") + (CUSTOM_PLAN if custom_plan else "")
    with connection.cursor() as cursor:
        if not use_prepared():
            cursor.execute(prefix + sql, params)
            return _last_result(cursor)
        name = "tile_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]
        names = _prepared_names(cursor)
        if name not in names:
            cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
            names.add(name)
        if params:
            placeholders = ", ".join(["%s"] * len(params))
            cursor.execute(f"{prefix}EXECUTE {name}({placeholders})", params)
        else:
            cursor.execute(f"{prefix}EXECUTE {name}")
        return _last_result(cursor)


# --- label tiles -------------------------------------------------------------------------

# Anchors of one label source, in the tile only (never its buffer: each anchor belongs to
# exactly one tile, so a client joining tiles gets no duplicates). ``inner`` is the
# source's access-filtered ORM query (the same for every tile) with the columns t_geom
# (native CGCS2000 geometry), t_name, t_name_en, t_sub (level, road class, kind or class
# code). Rows: t_sub, name, English name, lon, lat, line direction (degrees
# counter-clockwise from east in EPSG:3857, None for areas and points), weight (area or
# line length in EPSG:3857 m², m).
_IN_TILE = "ST_X(a.p) >= %s AND ST_X(a.p) < %s AND ST_Y(a.p) >= %s AND ST_Y(a.p) < %s"
# The rows near the tile: pushed down to the source's GiST index on its CGCS2000 geometry.
_NEAR = "q.t_geom && ST_Transform(ST_TileEnvelope(%s, %s, %s), 4490)"
_ANCHOR_COLUMNS = (
    "q.t_sub, q.t_name, q.t_name_en, ST_X(ST_Transform(a.p, 4326)), ST_Y(ST_Transform(a.p, 4326))"
)


def label_anchor_sql(inner: str, shape: str) -> str:
    """Areas: the centre of the largest inscribed circle (the "pole of inaccessibility",
    where a name sits clear of the edges); points: the point; other shapes: a point on the
    surface."""
    if shape == "area":
        anchor = "(ST_MaximumInscribedCircle(ST_Transform(q.t_geom, 3857))).center"
        weight = "ST_Area(ST_Transform(q.t_geom, 3857))"
    else:
        anchor = "ST_Transform(ST_PointOnSurface(q.t_geom), 3857)"
        weight = "0.0"
    return (
        f"SELECT {_ANCHOR_COLUMNS}, NULL::float8, {weight} "  # noqa: S608
        f"FROM ({inner}) AS q CROSS JOIN LATERAL (SELECT {anchor} AS p) AS a "
        f"WHERE {_NEAR} AND {_IN_TILE}"
    )


# Areas seen from close by: more anchors, on a lattice of ``spacing`` metres (odd rows
# shifted by half a step) aligned across tiles, where it lies inside the area and at least
# ``margin`` from its edge: a name wherever one looks, not only at the area's centre.
LABEL_AREA_LATTICE_SQL = (
    f"SELECT {_ANCHOR_COLUMNS}, NULL::float8, 0.0 "  # noqa: S608 (the inner query: the ORM)
    "FROM ({inner}) AS q "
    "CROSS JOIN LATERAL (SELECT ST_Transform(q.t_geom, 3857) AS g) AS t "
    "CROSS JOIN LATERAL generate_series(floor(%s / %s)::int - 1, ceil(%s / %s)::int) AS i(v) "
    "CROSS JOIN LATERAL generate_series(ceil(%s / %s)::int, ceil(%s / %s)::int - 1) AS j(v) "
    "CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint("
    "(i.v + ((j.v %% 2) + 2) %% 2 * 0.5) * %s, j.v * %s), 3857) AS p) AS a "
    f"WHERE {_NEAR} AND {_IN_TILE} "
    "AND ST_Intersects(t.g, a.p) AND ST_Distance(ST_Boundary(t.g), a.p) > %s"
)

# Lines: anchors every ``spacing`` metres along each part (centred, at least one per part
# at least ``shortest`` long), so every tile computes the same anchors of a line; the
# direction is read over ``reach`` metres either side of the anchor.
LABEL_LINE_SQL = (
    f"SELECT {_ANCHOR_COLUMNS}, "  # noqa: S608 (the inner query comes from the ORM)
    "degrees(atan2(ST_Y(a.b) - ST_Y(a.a), ST_X(a.b) - ST_X(a.a))), m.len "
    "FROM ({inner}) AS q "
    "CROSS JOIN LATERAL ST_Dump(ST_LineMerge(ST_Transform(q.t_geom, 3857))) AS d "
    "CROSS JOIN LATERAL (SELECT ST_Length(d.geom) AS len, "
    "greatest(floor(ST_Length(d.geom) / %s), 1)::int AS n) AS m "
    "CROSS JOIN LATERAL generate_series(0, m.n - 1) AS k(i) "
    "CROSS JOIN LATERAL (SELECT (k.i + 0.5) / m.n AS f) AS fr "
    "CROSS JOIN LATERAL (SELECT ST_LineInterpolatePoint(d.geom, fr.f) AS p, "
    "ST_LineInterpolatePoint(d.geom, greatest(fr.f - %s / nullif(m.len, 0), 0)) AS a, "
    "ST_LineInterpolatePoint(d.geom, least(fr.f + %s / nullif(m.len, 0), 1)) AS b) AS a "
    f"WHERE {_NEAR} AND m.len >= %s AND {_IN_TILE}"
)


def label_rows(
    queries: list[tuple[str, str, list[Any]]],
    tile: Tile,
    line: tuple[float, float, float],
    lattice: tuple[float, float],
) -> list[tuple[Any, ...]]:
    """Label anchors of a tile from ``(shape, inner SQL, params)`` queries (shape ``line``,
    ``area``, ``lattice`` (an area's extra anchors) or ``point``), each row led by its
    query's shape; ``line`` is (spacing, reach, shortest) and ``lattice`` (spacing, margin)
    in EPSG:3857 metres."""
    minx, miny, maxx, maxy = tile_bounds(tile)
    bounds = [minx, maxx, miny, maxy]
    spacing, reach, shortest = line
    step, margin = lattice
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for shape, inner, params in queries:
            near = [tile.z, tile.x, tile.y]
            if shape == "line":
                # Safe: ``inner`` is the ORM's own SQL; every value is a bound parameter.
                sql = LABEL_LINE_SQL.format(inner=inner)
                values = [*params, spacing, reach, reach, *near, shortest, *bounds]
            elif shape == "lattice":
                sql = LABEL_AREA_LATTICE_SQL.format(inner=inner)
                cells = [minx, step, maxx, step, miny, step, maxy, step]
                values = [*params, *cells, step, step, *near, *bounds, margin]
            else:
                sql = label_anchor_sql(inner, shape)
                values = [*params, *near, *bounds]
            cursor.execute(NO_JIT + sql, values)
            rows.extend((shape, *row) for row in _last_result_rows(cursor))
    return rows


def _last_result_rows(cursor: Any) -> list[tuple[Any, ...]]:
    raw = getattr(cursor, "cursor", cursor)
    while raw.description is None:
        try:
            if not raw.nextset():
                break
        except Exception:  # psycopg2: the last result is the current one  # noqa: BLE001
            break
    return [tuple(row) for row in raw.fetchall()]


def label_state(key: Key) -> tuple[int, int]:
    """The registry version and the label tile's generation, read before its anchors: a
    change committed in between leaves the stored copy older than the data (re-rendered
    at the next request), never newer."""
    row = _fetch_one(f"SELECT {REGISTRY_VERSION}, ({GENERATION})", key.generation_params())  # noqa: S608
    return int(row[0]), int(row[1])
