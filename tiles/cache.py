"""The server-side vector-tile cache: scopes and invalidation.

A cached tile is keyed by layer, z/x/y and the caller's visibility scope, and is valid for
one data version: the layer's fingerprint (registry state, see ``tiles.sources``) and the
tile's generation (``tiles.models``). Services that change features call
:func:`invalidate_geometries` inside their transaction, with the feature's old and new
geometries: it raises the generation of exactly the tiles those geometries touch, at every
zoom from 0 to the layer's maximum, and drops their cached copies. The edit and the
invalidation commit together, so no tile made before the edit is served after it; a tile
rendered concurrently from the old data carries the old generation and is never served.

Big changes (a geometry or a batch touching more than ``MAX_TILES_PER_ZOOM`` tiles at a
zoom) invalidate that whole zoom level of the layer instead of listing its tiles.

Services never call this module: they announce their changes through the port
``layers.changes``, and :func:`on_change` (subscribed in ``tiles.apps``) turns each
announcement into an invalidation, in the announcing transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry
from shapely.prepared import prep

from gis_app import access
from gis_app.types import User
from layers import changes
from layers.models import Layer, LayerKind
from tiles import grid, sql
from tiles.models import ALL

PUBLIC = "public"
EVERYTHING = "all"
COMBINED = "components"  # the combined component tile's cache layer
LABELS = "labels"  # the label tiles' cache layer (tiles.labels)
# Registry layers whose names the label tiles show (and every component layer: POIs).
LABEL_SOURCE_LAYERS = ("admin-areas", "roads", "rivers", "green-space")
MAX_TILES_PER_ZOOM = 4096
EXACT_TEST_ABOVE = 4  # more candidate tiles than this: test each against the geometry


def scope_of(user: User) -> str:
    """Who a tile is made for: ``public`` (anonymous, or no grants), ``all`` (superusers),
    else a hash of the caller's grants (everything the access policies look at)."""
    if access.is_superuser(user):
        return EVERYTHING
    grants = access.grants(user)
    if not grants:
        return PUBLIC
    text = repr(sorted(grants, key=repr))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _shapely(geometry: Any) -> shapely.Geometry | None:
    """A shapely geometry in EPSG:4490 from GEOS (SRID 4490) or shapely; None skipped."""
    if geometry is None:
        return None
    if isinstance(geometry, GEOSGeometry):
        if geometry.srid not in (None, 4490):
            geometry = geometry.transform(4490, clone=True)
        return shapely.from_wkb(bytes(geometry.wkb))
    return geometry


def touched_tiles(geometries_3857: list[shapely.Geometry], z: int) -> set[tuple[int, int]] | None:
    """The (x, y) tiles at zoom ``z`` the geometries reach (within the MVT buffer or a
    cluster cell), or None when that is more than MAX_TILES_PER_ZOOM."""
    found: set[tuple[int, int]] = set()
    size = grid.tile_size(z)
    for geom in geometries_3857:
        x0, y0, x1, y1 = grid.tile_range(geom.bounds, z)
        count = (x1 - x0 + 1) * (y1 - y0 + 1)
        if count > MAX_TILES_PER_ZOOM:
            return None
        if count <= EXACT_TEST_ABOVE or geom.geom_type == "Point":
            found.update((x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
        else:
            near = prep(geom.buffer(size * grid.REACH + 0.001, quad_segs=2))
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    minx, miny, maxx, maxy = grid.tile_bounds(grid.Tile(z, x, y))
                    if near.intersects(shapely.box(minx, miny, maxx, maxy)):
                        found.add((x, y))
        if len(found) > MAX_TILES_PER_ZOOM:
            return None
    return found


def invalidate_geometries(layer_codes: Iterable[str], geometries: Iterable[Any]) -> None:
    """Invalidate, in the caller's transaction, the cached tiles of these layers that the
    geometries (CGCS2000: GEOS with SRID 4490, or shapely lon/lat; the old and the new
    geometry of an edited feature) touch, at every zoom up to the layer's maximum. Component
    layers also invalidate the combined component tile."""
    codes = sorted(set(layer_codes))
    shapes = [g for g in (_shapely(geometry) for geometry in geometries) if g is not None]
    if not codes or not shapes:
        return
    projected = [grid.to_3857(g) for g in shapes if not g.is_empty]
    layers = dict(Layer.objects.filter(code__in=codes).values_list("code", "max_zoom"))
    kinds = dict(Layer.objects.filter(code__in=codes).values_list("code", "kind"))
    targets = {code: layers.get(code, grid.MAX_ZOOM) for code in codes}
    component_zoom = [z for code, z in targets.items() if kinds.get(code) == LayerKind.COMPONENT]
    if component_zoom:
        targets[COMBINED] = grid.MAX_ZOOM
    if component_zoom or any(code in LABEL_SOURCE_LAYERS for code in codes):
        targets[LABELS] = grid.MAX_ZOOM
    keys: list[tuple[str, int, int, int]] = []
    per_zoom = {z: touched_tiles(projected, z) for z in range(0, max(targets.values()) + 1)}
    for code, max_zoom in targets.items():
        for z in range(0, max_zoom + 1):
            tiles = per_zoom[z]
            if tiles is None:
                keys.append((code, z, ALL, ALL))
            else:
                keys.extend((code, z, x, y) for x, y in tiles)
    sql.bump(keys)


def invalidate_layer(layer_code: str) -> None:
    """Invalidate every cached tile of a layer (bulk loads, repairs), and the label tiles
    when the layer gives labels."""
    keys = [(layer_code, ALL, ALL, ALL)]
    if layer_code in LABEL_SOURCE_LAYERS or layer_code.startswith("component-"):
        keys.append((LABELS, ALL, ALL, ALL))
    sql.bump(keys)


def on_change(change: changes.Change) -> None:
    """The tile cache's subscriber to ``layers.changes``."""
    if change.geometries is None:
        for code in change.layer_codes:
            invalidate_layer(code)
    else:
        invalidate_geometries(change.layer_codes, change.geometries)
