"""TileJSON 3.0.0 documents of vector and raster layers."""

from __future__ import annotations

from typing import Any

from django.db import connection

from tiles.sources import TileSpec

TILEJSON = "3.0.0"
ATTRIBUTION = "智慧社区综合信息服务平台"


def city_bounds() -> list[float]:
    """[west, south, east, north] of the platform's city (the whole world if none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(boundary) AS e FROM layers_adminarea WHERE level = 'city') s"
        )
        row = cursor.fetchone()
    if not row or row[0] is None:
        return [-180.0, -85.0511, 180.0, 85.0511]
    return [round(float(v), 6) for v in row]


def fields(spec: TileSpec) -> dict[str, str]:
    """Property name -> description, as TileJSON ``vector_layers[].fields`` wants."""
    found = {name: "String" for name in spec.properties}
    for name in ("floors", "units_count", "build_year"):
        if name in found:
            found[name] = "Number"
    if spec.attributes and spec.attributes != ("*",):
        found.update({name: "attribute" for name in spec.attributes})
    elif spec.attributes:
        found["*"] = "attributes of the feature's kind"
    if spec.points:
        found["count"] = "Number (clusters below minzoom)"
    return found


def vector_layer(spec: TileSpec) -> dict[str, Any]:
    layer = spec.layer
    return {
        "id": layer.code,
        "description": layer.name_zh + (f" / {layer.name_en}" if layer.name_en else ""),
        "minzoom": 0 if spec.points else layer.min_zoom,
        "maxzoom": layer.max_zoom,
        "fields": fields(spec),
    }


def center(bounds: list[float], zoom: int) -> list[float]:
    return [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6), zoom]


def vector(url: str, name: str, description: str, specs: list[TileSpec]) -> dict[str, Any]:
    """TileJSON of a vector tile endpoint (``url`` with {z}/{x}/{y}) holding ``specs``."""
    bounds = city_bounds()
    layers = [vector_layer(spec) for spec in specs]
    minzoom = min((entry["minzoom"] for entry in layers), default=0)
    maxzoom = max((entry["maxzoom"] for entry in layers), default=22)
    return {
        "tilejson": TILEJSON,
        "name": name,
        "description": description,
        "version": "1.0.0",
        "attribution": ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [url],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": center(bounds, max(minzoom, min(14, maxzoom))),
        "vector_layers": layers,
    }


def raster(
    url: str, name: str, description: str, bounds: list[float], minzoom: int, maxzoom: int
) -> dict[str, Any]:
    """TileJSON of a raster layer."""
    return {
        "tilejson": TILEJSON,
        "name": name,
        "description": description,
        "version": "1.0.0",
        "attribution": ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [url],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": center(bounds, minzoom),
    }
