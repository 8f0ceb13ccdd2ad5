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

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gis_app.errors import NotFound
from tiles import cache, sources, sql
from tiles.grid import Tile
from tiles.sources import TileSpec


@dataclass(frozen=True)
class TileResult:
    body: bytes
    etag: str
    status: str  # "hit", "miss" (rendered and stored) or "off" (cache disabled)
    public: bool  # may shared caches keep it (anonymous caller)?


def cache_enabled() -> bool:
    return os.environ.get("TILES_CACHE", "1").lower() not in ("0", "false", "no")


def _part(spec: TileSpec, user: Any, tile: Tile) -> sql.Part | None:
    layer = spec.layer
    if tile.z < layer.min_zoom and not spec.points:
        return None
    features = spec.queryset(user)
    return sql.Part(
        name=layer.code,
        queryset=features,
        geometry_field=spec.source.geometry_field,
        geometry_3857=sources.GEOMETRY_3857.get(features.model),
        properties=spec.properties,
        attributes={"": spec.attributes} if spec.attributes else {},
        cluster=spec.points and tile.z < layer.min_zoom,
        cluster_properties=sources.CLUSTER_PROPERTIES,
    )


def _combined_parts(specs: list[TileSpec], user: Any, tile: Tile) -> list[sql.Part]:
    """One part for the classes shown as features at this zoom, one for the clustered."""
    parts = []
    for cluster in (False, True):
        group = [s for s in specs if (tile.z < s.layer.min_zoom) == cluster]
        if not group:
            continue
        parts.append(
            sql.Part(
                name="components",
                queryset=sources.combined_queryset(group, user),
                geometry_field="geometry",
                geometry_3857="geom_3857",
                properties=group[0].properties,
                attributes={s.layer.source: s.attributes for s in group},
                cluster=cluster,
                cluster_properties=sources.CLUSTER_PROPERTIES,
                layer_names={s.layer.source: s.layer.code for s in group},
            )
        )
    return parts


def _serve(key: sql.Key, make_parts: Callable[[], list[sql.Part]], public: bool) -> TileResult:
    """The tile from the cache, or rendered (and stored). ``make_parts`` builds the
    querysets only when the tile has to be rendered: a hit costs one lookup."""
    if not cache_enabled():
        body = sql.render(make_parts(), key.tile, key.template_key())
        return TileResult(body, hashlib.md5(body, usedforsecurity=False).hexdigest(), "off", public)
    hit = sql.lookup(key)
    if hit is not None:
        return TileResult(hit[0], hit[1], "hit", public)
    body, etag = sql.render_and_store(key, make_parts())
    return TileResult(body, etag, "miss", public)


def layer_tile(user: Any, layer_code: str, tile: Tile) -> TileResult:
    """The tile of one registry layer; NotFound for hidden, unknown or raster layers and
    for tiles outside the grid or above the layer's maximum zoom."""
    layer = sources.registry(user).filter(code=layer_code).first()
    spec = sources.spec_for(layer) if layer is not None else None
    if spec is None or not tile.valid() or tile.z > spec.layer.max_zoom:
        raise NotFound()
    scope = cache.scope_of(user)
    key = sql.Key(layer_code, tile, scope, sources.fingerprint([spec]))

    def parts() -> list[sql.Part]:
        part = _part(spec, user, tile)
        return [part] if part else []

    return _serve(key, parts, not user.is_authenticated)


def components_tile(user: Any, tile: Tile) -> TileResult:
    """The combined tile: one MVT layer per component class the user may see."""
    if not tile.valid():
        raise NotFound()
    specs = [s for s in sources.component_specs(user) if tile.z <= s.layer.max_zoom]
    scope = cache.scope_of(user)
    key = sql.Key(cache.COMBINED, tile, scope, sources.fingerprint(specs))
    return _serve(key, lambda: _combined_parts(specs, user, tile), not user.is_authenticated)
