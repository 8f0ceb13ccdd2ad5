"""OGC API - Tiles (1.0) next to the OGC API - Features at /ogc/: the WebMercatorQuad tile
matrix set (its document from morecantile) and, per feature collection, the vector
tileset (metadata and tiles). Tiles are the ones of ``/tiles/{layer}/{z}/{x}/{y}.mvt``:
the same service, access rules, cache and headers (row = y, col = x).
"""

from __future__ import annotations

from typing import Any

import morecantile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from gis_app.errors import NotFound
from tiles import sources, tilejson, vector
from tiles.grid import tile_of
from tiles.http import MVT, errors_as_json, request_user, requested_tile, tile_response
from tiles.sources import TileSpec

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/ogc")


def _json(data: dict[str, Any]) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _link(href: str, rel: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"href": href, "rel": rel, "type": type_, **extra}


def landing_links(base: str) -> list[dict[str, Any]]:
    """The OGC API landing page's link to the tile matrix sets."""
    return [
        _link(
            f"{base}/tileMatrixSets",
            "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
            "application/json",
        )
    ]


def collection_links(base: str, layer: Any) -> list[dict[str, Any]]:
    """A collection's link to its vector tilesets (every vector layer of the registry)."""
    if sources.tiled_source(layer) is None:
        return []
    href = f"{base}/collections/{layer.code}/tiles"
    return [_link(href, REL_TILESETS_VECTOR, "application/json")]


@require_GET
def tile_matrix_sets(request: HttpRequest) -> HttpResponse:
    base = _base(request)
    return _json(
        {
            "tileMatrixSets": [
                {
                    "id": TMS_ID,
                    "title": "Google Maps Compatible for the World",
                    "uri": TMS_URI,
                    "links": [_link(f"{base}/tileMatrixSets/{TMS_ID}", "self", "application/json")],
                }
            ]
        }
    )


@require_GET
@errors_as_json
def tile_matrix_set(request: HttpRequest, tms_id: str) -> HttpResponse:
    if tms_id != TMS_ID:
        raise NotFound()
    document = morecantile.tms.get(TMS_ID).model_dump(exclude_none=True, mode="json")
    return _json(document)


def _spec(request: HttpRequest, collection_id: str) -> tuple[Any, TileSpec]:
    user = request_user(request)
    layer = sources.registry(user).filter(code=collection_id).first()
    spec = sources.spec_for(layer) if layer is not None else None
    if spec is None:
        raise NotFound()
    return user, spec


def _limits(spec: TileSpec) -> list[dict[str, Any]]:
    west, south, east, north = tilejson.city_bounds()
    first = 0 if spec.points else spec.layer.min_zoom
    limits = []
    for z in range(first, spec.layer.max_zoom + 1):
        top_left, bottom_right = tile_of(west, north, z), tile_of(east, south, z)
        limits.append(
            {
                "tileMatrix": str(z),
                "minTileRow": top_left.y,
                "maxTileRow": bottom_right.y,
                "minTileCol": top_left.x,
                "maxTileCol": bottom_right.x,
            }
        )
    return limits


def _tileset_summary(base: str, spec: TileSpec) -> dict[str, Any]:
    here = f"{base}/collections/{spec.layer.code}/tiles/{TMS_ID}"
    return {
        "title": spec.layer.name_zh,
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            _link(here, "self", "application/json"),
            _link(f"{base}/tileMatrixSets/{TMS_ID}", REL_TILING_SCHEME, "application/json"),
        ],
    }


@require_GET
@errors_as_json
def tilesets(request: HttpRequest, collection_id: str) -> HttpResponse:
    _user, spec = _spec(request, collection_id)
    base = _base(request)
    return _json(
        {
            "links": [
                _link(f"{base}/collections/{collection_id}/tiles", "self", "application/json"),
                _link(f"{base}/collections/{collection_id}", "collection", "application/json"),
            ],
            "tilesets": [_tileset_summary(base, spec)],
        }
    )


@require_GET
@errors_as_json
def tileset(request: HttpRequest, collection_id: str, tms_id: str) -> HttpResponse:
    if tms_id != TMS_ID:
        raise NotFound()
    _user, spec = _spec(request, collection_id)
    base = _base(request)
    data = _tileset_summary(base, spec)
    layer = tilejson.vector_layer(spec)
    data["tileMatrixSetLimits"] = _limits(spec)
    data["layers"] = [
        {
            "id": layer["id"],
            "title": spec.layer.name_zh,
            "dataType": "vector",
            "geometryDimension": {"point": 0, "line": 1, "polygon": 2}.get(
                spec.layer.geometry_kind, 2
            ),
            "minTileMatrix": str(layer["minzoom"]),
            "maxTileMatrix": str(layer["maxzoom"]),
            "propertiesSchema": {
                "type": "object",
                "properties": {
                    name: {"description": kind} for name, kind in layer["fields"].items()
                },
            },
        }
    ]
    tiles = (
        f"{base}/collections/{collection_id}/tiles/{TMS_ID}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"
    )
    data["links"].append(_link(tiles, "item", MVT, templated=True))
    return _json(data)


@require_GET
@errors_as_json
def tile(
    request: HttpRequest, collection_id: str, tms_id: str, z: int, row: int, col: int
) -> HttpResponse:
    if tms_id != TMS_ID:
        raise NotFound()
    result = vector.layer_tile(
        request_user(request),
        collection_id,
        requested_tile(z, col, row, ("tileMatrix", "tileCol", "tileRow")),
    )
    return tile_response(
        request, result.body, result.etag, MVT, public=result.public, cache_status=result.status
    )
