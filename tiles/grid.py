"""Web Mercator tile grid (OGC WebMercatorQuad, the XYZ scheme of web maps): tile bounds
and the tiles a bounding box touches at a zoom, in EPSG:3857 metres.

One line of arithmetic each; the OGC tile-matrix-set document comes from morecantile
(see ``tiles.ogc``). Rows (``y``) count from the top (north), as in XYZ and OGC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

HALF_WORLD = 20037508.342789244  # EPSG:3857 half circumference (metres)
MAX_ZOOM = 24  # the registry's zoom limit (layers.Layer max_zoom <= 24)
EXTENT = 4096  # MVT tile extent (units per tile side)
BUFFER = 64  # MVT buffer (units), ST_AsMVTGeom and the && margin
CLUSTER_CELLS = 32  # clusters: cells per tile side at low zooms (128 units each)
# What a feature can reach into a neighbouring tile, as a share of a tile side: the MVT
# buffer, or one cluster cell (clusters read whole neighbouring cells, see tiles.sql).
REACH = max(BUFFER / EXTENT, 1 / CLUSTER_CELLS)

_TO_3857 = Transformer.from_crs(4490, 3857, always_xy=True)


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def valid(self) -> bool:
        n = 1 << self.z
        return 0 <= self.z <= MAX_ZOOM and 0 <= self.x < n and 0 <= self.y < n


def tile_size(z: int) -> float:
    """Side of a tile at zoom ``z`` in EPSG:3857 metres."""
    return 2 * HALF_WORLD / (1 << z)


def tile_bounds(tile: Tile) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) in EPSG:3857, as PostGIS ``ST_TileEnvelope``."""
    size = tile_size(tile.z)
    minx = -HALF_WORLD + tile.x * size
    maxy = HALF_WORLD - tile.y * size
    return minx, maxy - size, minx + size, maxy


def tile_bounds_lonlat(tile: Tile) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees."""
    minx, miny, maxx, maxy = tile_bounds(tile)
    return (*mercator_to_lonlat(minx, miny), *mercator_to_lonlat(maxx, maxy))


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    lon = math.degrees(x / 6378137.0)
    lat = math.degrees(2 * math.atan(math.exp(y / 6378137.0)) - math.pi / 2)
    return lon, lat


def lonlat_to_mercator(lon: float, lat: float) -> tuple[float, float]:
    x = 6378137.0 * math.radians(lon)
    y = 6378137.0 * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return x, y


def tile_of(lon: float, lat: float, z: int) -> Tile:
    """The tile holding a lon/lat point at zoom ``z``."""
    x, y = lonlat_to_mercator(lon, lat)
    size = tile_size(z)
    n = (1 << z) - 1
    col = min(max(int((x + HALF_WORLD) // size), 0), n)
    row = min(max(int((HALF_WORLD - y) // size), 0), n)
    return Tile(z, col, row)


def to_3857(geometry: shapely.Geometry) -> shapely.Geometry:
    """A CGCS2000 (EPSG:4490) lon/lat geometry in EPSG:3857, with the same PROJ pipeline
    PostGIS uses for the ``geom_3857`` column."""

    def transform(xy: np.ndarray) -> np.ndarray:
        x, y = _TO_3857.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, transform)


def tile_range(
    bounds: tuple[float, float, float, float], z: int, reach: float = REACH
) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), inclusive: the tiles at zoom ``z`` whose envelope, widened by
    ``reach`` of a tile side (plus a millimetre), overlaps ``bounds`` (EPSG:3857)."""
    size = tile_size(z)
    margin = size * reach + 0.001
    n = (1 << z) - 1
    minx, miny, maxx, maxy = bounds
    x0 = math.floor((minx - margin + HALF_WORLD) / size)
    x1 = math.floor((maxx + margin + HALF_WORLD) / size)
    y0 = math.floor((HALF_WORLD - maxy - margin) / size)
    y1 = math.floor((HALF_WORLD - miny + margin) / size)
    return max(x0, 0), max(y0, 0), min(x1, n), min(y1, n)
