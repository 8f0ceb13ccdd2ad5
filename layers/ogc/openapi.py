"""The OpenAPI 3.0 definition of the OGC API (``/ogc/api``), generated from the collections
the caller may see."""

from __future__ import annotations

from typing import Any

from layers.models import Layer
from layers.ogc import crs as crs_module
from layers.ogc.params import DEFAULT_LIMIT, MAX_LIMIT


def _param(
    name: str,
    description: str,
    schema: dict[str, Any],
    where: str = "query",
    required: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "description": description,
        "required": required,
        "schema": schema,
        **extra,
    }


COMMON_PARAMETERS = {
    "f": _param("f", "Encoding", {"type": "string", "enum": ["json", "html"]}),
    "crs": _param(
        "crs",
        "Output CRS (Features Part 2)",
        {"type": "string", "format": "uri", "enum": list(crs_module.SUPPORTED)},
    ),
    "limit": _param(
        "limit",
        "Maximum number of features",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    "offset": _param("offset", "Features to skip", {"type": "integer", "minimum": 0}),
    "bbox": _param(
        "bbox",
        "Bounding box (in bbox-crs axis order)",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        style="form",
        explode=False,
    ),
    "bbox-crs": _param(
        "bbox-crs",
        "CRS of bbox",
        {"type": "string", "format": "uri", "enum": list(crs_module.SUPPORTED)},
    ),
    "datetime": _param("datetime", "Instant or interval (RFC 3339)", {"type": "string"}),
    "cursor": _param(
        "cursor", "Opaque key of the next page (from the next link)", {"type": "string"}
    ),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _ok(description: str, media: str = "application/json") -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {media: {"schema": {"type": "object"}}}},
        "400": {"description": "Bad request (the parameter is named)"},
        "404": {"description": "Not found"},
    }


def openapi_document(base: str, layers: list[Layer]) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": {
            "get": {
                "summary": "Landing page",
                "operationId": "getLandingPage",
                "parameters": [_ref("f")],
                "responses": _ok("Landing page"),
            }
        },
        "/conformance": {
            "get": {
                "summary": "Conformance classes",
                "operationId": "getConformance",
                "parameters": [_ref("f")],
                "responses": _ok("Conformance"),
            }
        },
        "/collections": {
            "get": {
                "summary": "Collections",
                "operationId": "getCollections",
                "parameters": [_ref("f")],
                "responses": _ok("Collections"),
            }
        },
    }
    for layer in layers:
        prefix = f"/collections/{layer.code}"
        paths[prefix] = {
            "get": {
                "summary": layer.name_zh,
                "operationId": f"describe-{layer.code}",
                "parameters": [_ref("f")],
                "responses": _ok("Collection"),
            }
        }
        paths[f"{prefix}/items"] = {
            "get": {
                "summary": f"{layer.name_zh}: features",
                "operationId": f"items-{layer.code}",
                "parameters": [
                    _ref(n)
                    for n in (
                        "f",
                        "crs",
                        "limit",
                        "offset",
                        "bbox",
                        "bbox-crs",
                        "datetime",
                        "cursor",
                    )
                ],
                "responses": _ok("Features", "application/geo+json"),
            }
        }
        paths[f"{prefix}/items/{{featureId}}"] = {
            "get": {
                "summary": f"{layer.name_zh}: one feature",
                "operationId": f"item-{layer.code}",
                "parameters": [
                    _ref("f"),
                    _ref("crs"),
                    _param("featureId", "Feature id", {"type": "string"}, "path", True),
                ],
                "responses": _ok("Feature", "application/geo+json"),
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Smart community platform - OGC API Features", "version": "1.0"},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"parameters": COMMON_PARAMETERS},
    }
