"""Label tiles of the offline basemap: where the names of areas, roads, rivers, parks and
public facilities go, as JSON per XYZ tile (``/tiles/labels/{z}/{x}/{y}.json``).

A label tile lists anchors, not placed text: each label has its text (in the request's
language: the English name where the data has one, else the Chinese name), a ``kind``, a
``rank`` (1 first: what a client keeps when two labels collide), its position and, for
lines, the angle to draw it at. The client (``map_ui/static/map_ui/labels.js``) places the
labels of every tile in view together, greedily by rank, so that none overlaps another.

Which names appear depends on the zoom (``RULES``): districts at 9-10, streets at 11-12,
communities from 13 (streets instead for callers who may see no community), main roads
from 14, secondary roads, rivers and water from 15, branch roads and parks from 16, public
facilities from 17. Areas are named at the centre of their largest inscribed circle and,
from ``AREA_LATTICE_ZOOM``, on a lattice of points inside them as well. Line labels repeat
every ``LINE_SPACING_PX`` along the line, at the same places in every tile of a zoom; an
anchor belongs to exactly one tile (never to its buffer), so tiles never repeat each other.

Access: the names come from the registry layers the caller may see, through each layer's
access-filtered feature source (as the vector tiles): a layer or a feature the caller may
not see never gives a label. Tiles are cached like vector tiles (``tiles.cache``: scope,
fingerprint, generation; edits of the source layers invalidate them).
"""

from __future__ import annotations

import hashlib
import json
import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import F, Field, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform

from gis_app.errors import NotFound
from gis_app.types import User
from layers.models import LayerKind
from tiles import cache, registry, sources, sql
from tiles.grid import Tile, tile_size
from tiles.sources import TileSpec
from tiles.vector import TileResult, cache_enabled

CACHE_LAYER = cache.LABELS  # the cache's layer name (tiles_tilecacheentry.layer)
LABEL_FORMAT = "labels-1"  # bump when the rules or the output change
MAX_ZOOM = 22
TILE_PX = 256  # the client's tile size: pixel distances below are at that scale
LINE_SPACING_PX = 160  # between two label anchors of one line (clients keep fewer)
LINE_SHORTEST_PX = 48  # a line part shorter than this on screen gets no label
DIRECTION_REACH_PX = 24  # a line label's angle follows the line over this much either side
# From this zoom an area's name also stands on a lattice of points inside it (one name in
# view wherever one looks), less important than the other labels.
AREA_LATTICE_ZOOM = 15
AREA_LATTICE_PX = 320
AREA_LATTICE_MARGIN_PX = 40  # lattice points this close to the area's edge are left out
AREA_REPEAT_RANK = 6


@dataclass(frozen=True)
class Rule:
    kind: str
    min_zoom: int
    max_zoom: int
    rank: int


RULES: tuple[Rule, ...] = (
    Rule("district", 9, 10, 1),
    Rule("street", 11, 12, 1),
    Rule("community", 13, MAX_ZOOM, 2),
    Rule("road-major", 14, MAX_ZOOM, 3),
    Rule("river", 15, MAX_ZOOM, 4),
    Rule("water", 15, MAX_ZOOM, 4),
    Rule("road-secondary", 15, MAX_ZOOM, 4),
    Rule("road-minor", 16, MAX_ZOOM, 5),
    Rule("park", 16, MAX_ZOOM, 6),
    Rule("poi", 17, MAX_ZOOM, 7),
)
RULE_OF = {rule.kind: rule for rule in RULES}
# Road classes of the base layer (layers.basemap.inputs.ROAD_CLASSES); others are minor.
MAJOR_ROADS = ("快速路", "主干路")
SECONDARY_ROADS = ("次干路",)
AREA_LEVELS = {"district": "district", "street": "street", "community": "community"}
# Public facilities residents look for, whose names are worth showing on the map.
POI_CLASSES = ("0201", "0203", "0215", "0219", "0301", "0401", "0502", "0124")
# Registry layers names come from (besides the POI classes' component layers).
SOURCE_LAYERS = cache.LABEL_SOURCE_LAYERS


def shown(kind: str, z: int) -> bool:
    rule = RULE_OF[kind]
    return rule.min_zoom <= z <= rule.max_zoom


def source_layers(specs: dict[str, TileSpec]) -> list[TileSpec]:
    """The visible layers labels come from: the base layers and the POI classes' layers."""
    found = [specs[code] for code in SOURCE_LAYERS if code in specs]
    found += [
        spec
        for spec in specs.values()
        if spec.layer.kind == LayerKind.COMPONENT and spec.layer.source in POI_CLASSES
    ]
    return found


def _inner(queryset: QuerySet[Any], geometry_field: str, **names: Any) -> tuple[str, list[Any]]:
    """The access-filtered named rows with t_geom, t_name, t_name_en and t_sub (the tile
    narrows them in ``tiles.sql``)."""
    model = queryset.model
    table = model._meta.db_table
    column = f'"{table}"."{model._meta.get_field(geometry_field).column}"'
    geom = RawSQL(column, (), output_field=Field())  # noqa: S611 (the model's own column)
    rows = (
        queryset.order_by().exclude(name="").annotate(t_geom=geom, **names).values("t_geom", *names)
    )
    sql_text, params = rows.query.sql_with_params()  # EmptyResultSet: nothing to read
    return sql_text, list(params)


def _query(
    shape: str, queryset: QuerySet[Any], geometry_field: str, **names: Any
) -> list[tuple[str, str, list[Any]]]:
    """``[(shape, inner SQL, params)]``, or ``[]`` when the caller may see none of them."""
    try:
        return [(shape, *_inner(queryset, geometry_field, **names))]
    except EmptyResultSet:
        return []


def _queries(specs: list[TileSpec], user: User, z: int) -> list[tuple[str, str, list[Any]]]:
    """(shape, inner SQL, params) of every source with labels at this zoom."""
    by_code = {spec.layer.code: spec for spec in specs}
    found: list[tuple[str, str, list[Any]]] = []
    english = KeyTextTransform("name_en", "attributes")

    areas = by_code.get("admin-areas")
    levels = [level for kind, level in AREA_LEVELS.items() if shown(kind, z)]
    # A caller who may see no community (demo communities are for staff) gets the street's
    # name instead: a map names the place one looks at.
    if (
        areas is not None
        and shown("community", z)
        and not areas.queryset(user).filter(level="community").exists()
    ):
        levels.append("street")
    if areas is not None and levels:
        qs = areas.queryset(user).filter(level__in=levels)
        names: dict[str, Any] = {
            "t_name": F("name"),
            "t_name_en": F("name_en"),
            "t_sub": F("level"),
        }
        found += _query("area", qs, areas.source.geometry_field, **names)
        if z >= AREA_LATTICE_ZOOM:
            found += _query("lattice", qs, areas.source.geometry_field, **names)

    roads = by_code.get("roads")
    wanted = []
    if shown("road-major", z):
        wanted.append(Q(attributes__road_class__in=MAJOR_ROADS))
    if shown("road-secondary", z):
        wanted.append(Q(attributes__road_class__in=SECONDARY_ROADS))
    if shown("road-minor", z):
        major = (*MAJOR_ROADS, *SECONDARY_ROADS)
        wanted.append(~Q(attributes__road_class__in=major) | Q(attributes__road_class=None))
    if roads is not None and wanted:
        qs = roads.queryset(user).filter(reduce(operator.or_, wanted))
        names = {
            "t_name": F("name"),
            "t_name_en": english,
            "t_sub": KeyTextTransform("road_class", "attributes"),
        }
        found += _query("line", qs, "geometry", **names)

    rivers = by_code.get("rivers")
    if rivers is not None and shown("river", z):
        for kind, shape in (("river", "line"), ("water", "area")):
            qs = rivers.queryset(user).filter(kind=kind)
            names = {"t_name": F("name"), "t_name_en": english, "t_sub": F("kind")}
            found += _query(shape, qs, "geometry", **names)

    green = by_code.get("green-space")
    if green is not None and shown("park", z):
        qs = green.queryset(user)
        names = {"t_name": F("name"), "t_name_en": english, "t_sub": F("kind")}
        found += _query("area", qs, "geometry", **names)

    pois = [s for s in specs if s.layer.kind == LayerKind.COMPONENT]
    if pois and shown("poi", z):
        qs = sources.combined_queryset(pois, user)
        source, properties = pois[0].source, pois[0].properties
        names = {"t_name": F("name"), "t_name_en": english, "t_sub": F(properties["class"])}
        found += _query("point", qs, source.geometry_field, **names)
    return found


def _kind(sub: str | None, shape: str) -> str:
    if sub in AREA_LEVELS:
        return sub
    if sub == "river":
        return "river"
    if sub == "water":
        return "water"
    if sub == "green":
        return "park"
    if shape == "point":
        return "poi"
    if sub in MAJOR_ROADS:
        return "road-major"
    if sub in SECONDARY_ROADS:
        return "road-secondary"
    return "road-minor"


def upright(angle: float) -> float:
    """The clockwise screen rotation (degrees) of text along a line going ``angle`` degrees
    counter-clockwise from east (EPSG:3857), turned so that it never reads upside down."""
    rotation = -angle
    while rotation > 90:
        rotation -= 180
    while rotation <= -90:
        rotation += 180
    return round(rotation, 1)


def render(
    snapshot: registry.Snapshot, specs: list[TileSpec], user: User, tile: Tile, english: bool
) -> bytes:
    """The label tile as JSON bytes. The sources' queries depend on the caller's scope and
    the zoom only (the tile is bound in ``tiles.sql``): built once per snapshot and zoom."""
    queries = snapshot.parts((CACHE_LAYER, tile.z), lambda: _queries(specs, user, tile.z))
    px = tile_size(tile.z) / TILE_PX  # EPSG:3857 metres per pixel at this zoom
    line = (LINE_SPACING_PX * px, DIRECTION_REACH_PX * px, LINE_SHORTEST_PX * px)
    lattice = (AREA_LATTICE_PX * px, AREA_LATTICE_MARGIN_PX * px)
    labels = []
    rows = sql.label_rows(queries, tile, line, lattice)
    for shape, sub, name, name_en, lon, lat, angle, weight in rows:
        kind = _kind(sub, shape)
        if kind not in RULE_OF:
            continue
        text = name_en if english and name_en else name
        rule = (
            RULE_OF["community"]
            if shown("community", tile.z) and kind == "street"
            else RULE_OF[kind]
        )
        rank = AREA_REPEAT_RANK if shape == "lattice" else rule.rank
        label: dict[str, Any] = {
            "text": text,
            "kind": kind,
            "rank": rank,
            "lon": round(float(lon), 7),
            "lat": round(float(lat), 7),
            "weight": round(float(weight or 0), 1),
        }
        if angle is not None:
            label["angle"] = upright(float(angle))
        labels.append(label)
    labels.sort(key=lambda item: (item["rank"], -item["weight"], item["text"]))
    body = {
        "z": tile.z,
        "x": tile.x,
        "y": tile.y,
        "lang": "en" if english else "zh",
        "labels": labels,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _fingerprint(specs: list[TileSpec], english: bool) -> str:
    state = [LABEL_FORMAT, english, [rule.__dict__ for rule in RULES], sources.fingerprint(specs)]
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()[:32]


class _Stale(Exception):
    """The registry changed since the caller's snapshot was built."""


def _serve(
    user: User,
    tile: Tile,
    english: bool,
    snapshot: registry.Snapshot,
    scope: str,
    cached: bool = True,
) -> TileResult:
    specs = source_layers(snapshot.specs)
    language = "en" if english else "zh"
    key = sql.Key(CACHE_LAYER, tile, f"{scope}:{language}", _fingerprint(specs, english))
    public = not user.is_authenticated
    if not cached or not cache_enabled():
        body = render(snapshot, specs, user, tile, english)
        return TileResult(body, sql.etag_of(body), "off", public)
    version, hit = sql.lookup(key)
    if version != snapshot.version:
        raise _Stale()
    if hit is not None:
        return TileResult(hit[0], hit[1], "hit", public)
    version, generation = sql.label_state(key)
    if version != snapshot.version:
        raise _Stale()
    body = render(snapshot, specs, user, tile, english)
    return TileResult(body, sql.store(key, generation, body), "miss", public)


def label_tile(user: User, tile: Tile, english: bool) -> TileResult:
    """The label tile ``tile`` for ``user`` (JSON bytes); NotFound outside the grid or above
    ``MAX_ZOOM``."""
    if not tile.valid() or tile.z > MAX_ZOOM:
        raise NotFound()
    scope = cache.scope_of(user)
    try:
        return _serve(user, tile, english, registry.snapshot(user, scope), scope)
    except _Stale:
        pass
    fresh = registry.snapshot(user, scope, check=True)
    try:
        return _serve(user, tile, english, fresh, scope)
    except _Stale:  # the registry moves on and on: answer from the data, not the cache
        return _serve(user, tile, english, fresh, scope, cached=False)
