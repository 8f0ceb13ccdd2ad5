"""Tile endpoints: vector tiles of registry layers and the combined component tile,
raster tiles, and their TileJSON. Thin: parse, call one service, write the response."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from gis_app import access
from gis_app.errors import NotFound
from tiles import labels, sources, tilejson, vector
from tiles import raster as raster_service
from tiles.http import (
    MVT,
    VARY,
    errors_as_json,
    request_user,
    requested_tile,
    tile_response,
)
from tiles.models import RasterLayer


def _json(data: dict[str, object], public: bool) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60" if public else "private, no-cache"
    response["Vary"] = VARY
    return response


@require_GET
@errors_as_json
def layer_tile(request: HttpRequest, layer: str, z: int, x: int, y: int) -> HttpResponse:
    result = vector.layer_tile(request_user(request), layer, requested_tile(z, x, y))
    return tile_response(
        request, result.body, result.etag, MVT, public=result.public, cache_status=result.status
    )


@require_GET
@errors_as_json
def components_tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    result = vector.components_tile(request_user(request), requested_tile(z, x, y))
    return tile_response(
        request, result.body, result.etag, MVT, public=result.public, cache_status=result.status
    )


@require_GET
@errors_as_json
def labels_tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """The offline basemap's label anchors of a tile (JSON), in the page's language:
    ``?lang=en`` or ``zh``, else the request's active language."""
    language = request.GET.get("lang") or get_language() or ""
    english = language.startswith("en")
    result = labels.label_tile(request_user(request), requested_tile(z, x, y), english)
    response = tile_response(
        request,
        result.body,
        result.etag,
        "application/json",
        public=result.public,
        cache_status=result.status,
    )
    response["Vary"] = VARY + ", Accept-Language"
    return response


@require_GET
@errors_as_json
def layer_tilejson(request: HttpRequest, layer: str) -> HttpResponse:
    user = request_user(request)
    found = sources.registry(user).filter(code=layer).first()
    spec = sources.spec_for(found) if found is not None else None
    if spec is None:
        raise NotFound()
    url = request.build_absolute_uri(f"/tiles/{layer}/") + "{z}/{x}/{y}.mvt"
    name = spec.layer.name_zh
    data = tilejson.vector(url, name, spec.layer.name_en or name, [spec])
    return _json(data, not user.is_authenticated)


@require_GET
@errors_as_json
def components_tilejson(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    specs = sources.component_specs(user)
    url = request.build_absolute_uri("/tiles/components/") + "{z}/{x}/{y}.mvt"
    data = tilejson.vector(url, "城市部件", "Urban components, one layer per class", specs)
    return _json(data, not user.is_authenticated)


def _raster(request: HttpRequest, name: str) -> tuple[RasterLayer, bool]:
    user = request_user(request)
    rasters = access.visible(user, RasterLayer.objects.select_related("layer"))
    raster = rasters.filter(name=name, layer__active=True).first()
    if raster is None:
        raise NotFound()
    return raster, not user.is_authenticated


@require_GET
@errors_as_json
def raster_tile(request: HttpRequest, name: str, z: int, x: int, y: int, fmt: str) -> HttpResponse:
    raster, public = _raster(request, name)
    tile = requested_tile(z, x, y)
    if fmt not in raster_service.FORMATS or not tile.valid() or z > raster.layer.max_zoom:
        raise NotFound()
    body = raster_service.render_tile(raster, z, x, y, fmt) or b""
    etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    return tile_response(request, body, etag, raster_service.FORMATS[fmt][1], public=public)


@require_GET
@errors_as_json
def raster_tilejson(request: HttpRequest, name: str) -> HttpResponse:
    raster, public = _raster(request, name)
    url = request.build_absolute_uri(f"/tiles/raster/{name}/") + "{z}/{x}/{y}.png"
    layer = raster.layer
    data = tilejson.raster(
        url, layer.name_zh, layer.name_en, raster.bounds, layer.min_zoom, layer.max_zoom
    )
    data["format"] = "png"
    return _json(data, public)
