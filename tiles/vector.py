"""Serving vector tiles: which layers and features a caller gets in a tile (through the
access module), from the cache when it holds a valid copy, else rendered in PostGIS (and
stored). Views parse the URL, call :func:`layer_tile` or :func:`components_tile` and
write the HTTP response.

Zoom rules (documented in docs/ARCHITECTURE.md): above a layer's maximum zoom a tile is
404 (TileJSON tells clients to overzoom); below its minimum zoom point layers are clustered
(``tiles.sql``) and other layers are empty; in between, features as they are, at most
``tiles.sql.FEATURE_CAP`` per layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from gis_app.errors import NotFound
from gis_app.types import User
from tiles import cache, registry, sources, sql
from tiles.grid import Tile
from tiles.sources import TileSpec


@dataclass(frozen=True)
class TileResult:
    body: bytes
    etag: str
    status: str  # "hit", "miss" (rendered and stored) or "off" (cache disabled)
    public: bool  # may shared caches keep it (anonymous caller)?


def cache_enabled() -> bool:
    return bool(settings.TILES_CACHE)


def _drawn_as(spec: TileSpec, z: int) -> str | None:
    """How a layer is drawn at zoom ``z`` (the zoom rules above): "features", "clusters"
    (a point layer below its minimum zoom) or None (another layer below it)."""
    if z >= spec.layer.min_zoom:
        return "features"
    return "clusters" if spec.points else None


def _part(spec: TileSpec, user: User, tile: Tile) -> sql.Part | None:
    layer = spec.layer
    drawn = _drawn_as(spec, tile.z)
    if drawn is None:
        return None
    features = spec.queryset(user)
    return sql.Part(
        name=layer.code,
        queryset=features,
        geometry_field=spec.source.geometry_field,
        geometry_3857=spec.source.geometry_3857,
        properties=spec.properties,
        attributes={"": spec.attributes} if spec.attributes else {},
        cluster=drawn == "clusters",
        cluster_properties=spec.source.cluster_properties,
    )


def _combined_parts(specs: list[TileSpec], user: User, tile: Tile) -> list[sql.Part]:
    """One part for the classes shown as features at this zoom, one for the clustered."""
    parts = []
    for cluster in (False, True):
        wanted = "clusters" if cluster else "features"
        group = [s for s in specs if _drawn_as(s, tile.z) == wanted]
        if not group:
            continue
        source = group[0].source
        parts.append(
            sql.Part(
                name="components",
                queryset=sources.combined_queryset(group, user),
                geometry_field=source.geometry_field,
                geometry_3857=source.geometry_3857,
                properties=group[0].properties,
                attributes={s.layer.source: s.attributes for s in group},
                cluster=cluster,
                cluster_properties=source.cluster_properties,
                layer_names={s.layer.source: s.layer.code for s in group},
            )
        )
    return parts


class _StaleRegistry(Exception):
    """The registry changed since the caller's snapshot was built."""


def _serve(
    key: sql.Key, make_parts: Callable[[], list[sql.Part]], public: bool, version: int
) -> TileResult:
    """The tile from the cache, or rendered (and stored). ``make_parts`` builds the
    querysets only when the tile has to be rendered: a hit costs one statement. Every
    statement also reads the registry version: ``_StaleRegistry`` when it is not
    ``version`` (the snapshot the key and parts came from)."""
    if not cache_enabled():
        now, _generation, body = sql.render(make_parts(), key, generation=False)
        if now != version:
            raise _StaleRegistry()
        return TileResult(body, sql.etag_of(body), "off", public)
    now, hit = sql.lookup(key)
    if now != version:
        raise _StaleRegistry()
    if hit is not None:
        return TileResult(hit[0], hit[1], "hit", public)
    now, generation, body = sql.render(make_parts(), key, generation=True)
    if now != version:
        raise _StaleRegistry()
    assert generation is not None
    return TileResult(body, sql.store(key, generation, body), "miss", public)


def _with_snapshot(user: User, serve: Callable[[registry.Snapshot, str], TileResult]) -> TileResult:
    """``serve`` with the caller's registry snapshot; once more with a rebuilt one when
    the registry moved meanwhile (then, after a second change, the caller gets 404)."""
    scope = cache.scope_of(user)
    try:
        return serve(registry.snapshot(user, scope), scope)
    except (_StaleRegistry, NotFound):
        pass
    try:
        return serve(registry.snapshot(user, scope, check=True), scope)
    except _StaleRegistry:
        raise NotFound() from None


def layer_tile(user: User, layer_code: str, tile: Tile) -> TileResult:
    """The tile of one registry layer; NotFound for hidden, unknown or raster layers and
    for tiles outside the grid or above the layer's maximum zoom."""
    if not tile.valid():
        raise NotFound()

    def serve(snapshot: registry.Snapshot, scope: str) -> TileResult:
        spec = snapshot.specs.get(layer_code)
        if spec is None or tile.z > spec.layer.max_zoom:
            raise NotFound()
        key = sql.Key(layer_code, tile, scope, snapshot.fingerprint(layer_code))

        def parts() -> list[sql.Part]:
            def make() -> list[sql.Part]:
                part = _part(spec, user, tile)
                return [part] if part else []

            mode = (layer_code, _drawn_as(spec, tile.z))
            return snapshot.parts(mode, make)

        return _serve(key, parts, not user.is_authenticated, snapshot.version)

    return _with_snapshot(user, serve)


def components_tile(user: User, tile: Tile) -> TileResult:
    """The combined tile: one MVT layer per component class the user may see."""
    if not tile.valid():
        raise NotFound()

    def serve(snapshot: registry.Snapshot, scope: str) -> TileResult:
        specs, fingerprint = snapshot.combined(tile.z)
        key = sql.Key(cache.COMBINED, tile, scope, fingerprint)
        # the parts depend on which classes are clustered at this zoom, not on the tile
        mode = ("combined", tuple((s.layer.code, _drawn_as(s, tile.z)) for s in specs))
        return _serve(
            key,
            lambda: snapshot.parts(mode, lambda: _combined_parts(specs, user, tile)),
            not user.is_authenticated,
            snapshot.version,
        )

    return _with_snapshot(user, serve)
