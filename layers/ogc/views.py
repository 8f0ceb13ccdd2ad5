"""OGC API - Features (Part 1 core, GeoJSON, HTML, OpenAPI 3.0; Part 2 CRS) at /ogc/.

Collections are the layers the caller may see (``access.visible`` on the registry) that
have a feature source, and the collections apps register without a layer
(``layers.ogc.sources.register_collection``); items come from the source's access-filtered
queryset, as GeoJSON built in PostGIS and streamed.

numberMatched is exact when at most ``COUNT_CAP`` features match, and omitted above that
and on pages reached through a ``next`` link (Part 1 makes it optional): no page of a big
collection pays for a full count.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gis_app.auth import request_user
from gis_app.error_pages import domain_errors
from gis_app.errors import InvalidInput, NotFound
from gis_app.types import User
from layers.models import Layer
from layers.ogc import crs as crs_module
from layers.ogc import extensions, params, sources, sql
from layers.ogc.openapi import openapi_document
from layers.ogc.sources import FeatureSource

COUNT_CAP = 100_000
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]


# Errors in OGC API's exception shape (``code``, ``description``, ``parameter``).
ogc_errors = domain_errors("ogc")


def wants_html(request: HttpRequest) -> bool:
    f = request.GET.get("f")
    if f:
        if f not in ("json", "html"):
            raise InvalidInput(_("f must be json or html."), field="f")
        return f == "html"
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "json" not in accept


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/ogc")


def link(href: str, rel: str, type_: str, title: str = "") -> dict[str, str]:
    data = {"href": href, "rel": rel, "type": type_}
    if title:
        data["title"] = title
    return data


def respond(
    request: HttpRequest, data: dict[str, Any], template: str, **headers: str
) -> HttpResponse:
    if wants_html(request):
        response = render(
            request,
            template,
            {"data": data, "pretty": json.dumps(data, ensure_ascii=False, indent=2)},
        )
    else:
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@require_GET
@ogc_errors
def landing(request: HttpRequest) -> HttpResponse:
    params.reject_unknown(request.GET, {"f"})
    base = base_url(request)
    data = {
        "title": _("Smart community platform: geographic data"),
        "description": _("Layers of the platform as OGC API - Features."),
        "links": [
            link(f"{base}/?f=json", "self", "application/json"),
            link(f"{base}/?f=html", "alternate", "text/html"),
            link(f"{base}/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0"),
            link(f"{base}/conformance", "conformance", "application/json"),
            link(f"{base}/collections", "data", "application/json"),
            *extensions.landing_links(base),
        ],
    }
    return respond(request, data, "layers/ogc/landing.html")


@require_GET
@ogc_errors
def conformance(request: HttpRequest) -> HttpResponse:
    params.reject_unknown(request.GET, {"f"})
    conforms = [*CONFORMANCE, *extensions.conformance_classes]
    return respond(request, {"conformsTo": conforms}, "layers/ogc/generic.html")


@require_GET
@ogc_errors
def api(request: HttpRequest) -> HttpResponse:
    params.reject_unknown(request.GET, {"f"})
    document = openapi_document(base_url(request), _collections(request_user(request)))
    return JsonResponse(
        document,
        content_type="application/vnd.oai.openapi+json;version=3.0",
        json_dumps_params={"ensure_ascii": False},
    )


def _collections(user: User) -> list[Layer]:
    return sources.collections_for(user)


def _layer(user: User, collection_id: str) -> tuple[Layer, FeatureSource]:
    found = sources.collection_for(user, collection_id)
    if found is None:
        raise NotFound()
    return found


def _extent() -> list[float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(boundary) AS e FROM layers_adminarea WHERE level = 'city') s"
        )
        row = cursor.fetchone()
    return [round(v, 6) for v in row] if row and row[0] is not None else [-180, -90, 180, 90]


def collection_json(request: HttpRequest, layer: Layer, extent: list[float]) -> dict[str, Any]:
    base = base_url(request)
    items = f"{base}/collections/{layer.code}/items"
    return {
        "id": layer.code,
        "title": layer.name_zh,
        "description": layer.name_en or layer.description,
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [extent], "crs": crs_module.CRS84}},
        "crs": list(crs_module.SUPPORTED),
        "storageCrs": crs_module.STORAGE_CRS,
        "links": [
            link(f"{base}/collections/{layer.code}", "self", "application/json"),
            link(f"{items}?f=json", "items", GEOJSON, _("Features")),
            link(f"{items}?f=html", "items", "text/html", _("Features (HTML)")),
            link(
                f"{base}/collections/{layer.code}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
            ),
            *extensions.collection_links(base, layer),
        ],
    }


@require_GET
@ogc_errors
def collections(request: HttpRequest) -> HttpResponse:
    params.reject_unknown(request.GET, {"f"})
    extent = _extent()
    base = base_url(request)
    data = {
        "links": [link(f"{base}/collections", "self", "application/json")],
        "collections": [
            collection_json(request, layer, extent) for layer in _collections(request_user(request))
        ],
    }
    return respond(request, data, "layers/ogc/collections.html")


@require_GET
@ogc_errors
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    params.reject_unknown(request.GET, {"f"})
    layer, _source = _layer(request_user(request), collection_id)
    return respond(request, collection_json(request, layer, _extent()), "layers/ogc/generic.html")


@require_GET
@ogc_errors
def queryables(request: HttpRequest, collection_id: str) -> HttpResponse:
    params.reject_unknown(request.GET, {"f"})
    layer, source = _layer(request_user(request), collection_id)
    props: dict[str, Any] = {}
    for name, spec in source.queryables(layer).items():
        entry: dict[str, Any] = {"type": spec.type, "title": spec.title or name}
        if spec.enum:
            entry["enum"] = list(spec.enum)
        props[name] = entry
    data = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url(request)}/collections/{layer.code}/queryables",
        "type": "object",
        "title": layer.name_zh,
        "properties": props,
    }
    return JsonResponse(
        data, content_type="application/schema+json", json_dumps_params={"ensure_ascii": False}
    )


def _filtered(layer: Layer, source: FeatureSource, user: User, query: params.ItemsQuery) -> Any:
    qs = source.queryset(layer, user)
    if query.bbox is not None:
        qs = qs.filter(**{f"{source.geometry_field}__intersects": query.bbox})
    if source.datetime_field and (query.start or query.end):
        if query.start is not None and query.start == query.end:
            qs = qs.filter(**{source.datetime_field: query.start})
        else:
            if query.start is not None:
                qs = qs.filter(**{f"{source.datetime_field}__gte": query.start})
            if query.end is not None:
                qs = qs.filter(**{f"{source.datetime_field}__lte": query.end})
    if query.filters:
        qs = qs.filter(**query.filters)
    return qs


def _page_url(request: HttpRequest, collection_id: str, **changes: Any) -> str:
    current = {k: v for k, v in request.GET.items() if k not in ("offset", "cursor")}
    current.update({k: v for k, v in changes.items() if v is not None})
    current.setdefault("f", "json")
    return f"{base_url(request)}/collections/{collection_id}/items?{urlencode(current)}"


@require_GET
@ogc_errors
def items(request: HttpRequest, collection_id: str) -> HttpResponse | StreamingHttpResponse:
    user = request_user(request)
    layer, source = _layer(user, collection_id)
    query = params.items_query(request.GET, source.queryables(layer))
    html = wants_html(request)
    filtered = _filtered(layer, source, user, query)
    # Counted on the first page and offset pages; a page reached by a next link (cursor)
    # skips the count, so walking a big collection costs what its first page costs.
    matched = sql.capped_count(filtered, COUNT_CAP) if query.cursor is None else None
    page = filtered.order_by(source.key_field)
    if query.cursor is not None:
        page = page.filter(**{f"{source.key_field}__gt": query.cursor})
        offset = None
    else:
        offset = query.offset
    page = page[offset or 0 : (offset or 0) + query.limit]
    properties = source.properties(layer)
    statement, values = sql.feature_sql(
        page,
        id_field=source.id_field,
        key_field=source.key_field,
        geometry_field=source.geometry_field,
        properties=properties,
        crs=query.crs,
    )
    if html:
        rows = [json.loads(text) for text in _all(statement, values)]
        data = {
            "type": "FeatureCollection",
            "features": rows,
            "numberMatched": matched,
            "numberReturned": len(rows),
        }
        return render(
            request,
            "layers/ogc/items.html",
            {
                "layer": layer,
                "data": data,
                "columns": list(properties),
                "next": _page_url(
                    request, collection_id, offset=(offset or 0) + query.limit, f="html"
                )
                if len(rows) == query.limit
                else None,
            },
        )
    state = sql.PageState()

    def body() -> Any:
        yield '{"type":"FeatureCollection","features":['
        yield from sql.stream_features(statement, values, state)
        links = [link(request.build_absolute_uri(), "self", GEOJSON)]
        if state.count == query.limit and state.last_key is not None:
            next_url = _page_url(
                request, collection_id, cursor=params.encode_cursor(state.last_key)
            )
            links.append(link(next_url, "next", GEOJSON))
        tail: dict[str, Any] = {
            "numberReturned": state.count,
            "timeStamp": timezone.now().isoformat(timespec="seconds"),
            "links": links,
        }
        if matched is not None:
            tail["numberMatched"] = matched
        yield "]," + json.dumps(tail, ensure_ascii=False)[1:]

    response = StreamingHttpResponse(body(), content_type=GEOJSON)
    response["Content-Crs"] = f"<{query.crs.uri}>"
    return response


def _all(statement: str, values: list[Any]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        return [row[1] for row in cursor.fetchall()]


@require_GET
@ogc_errors
def item(request: HttpRequest, collection_id: str, feature_id: str) -> HttpResponse:
    user = request_user(request)
    layer, source = _layer(user, collection_id)
    params.reject_unknown(request.GET, {"f", "crs"})
    output = params.output_crs(request.GET)
    try:
        key = source.id_value(feature_id)
    except ValueError:
        raise NotFound() from None
    qs = source.queryset(layer, user).filter(**{source.id_field: key})[:1]
    statement, values = sql.feature_sql(
        qs,
        id_field=source.id_field,
        key_field=source.key_field,
        geometry_field=source.geometry_field,
        properties=source.properties(layer),
        crs=output,
    )
    found = _all(statement, values)
    if not found:
        raise NotFound()
    feature = json.loads(found[0])
    base = base_url(request)
    feature["links"] = [
        link(f"{base}/collections/{layer.code}/items/{feature_id}", "self", GEOJSON),
        link(f"{base}/collections/{layer.code}", "collection", "application/json"),
    ]
    if wants_html(request):
        return render(request, "layers/ogc/item.html", {"layer": layer, "feature": feature})
    response = JsonResponse(
        feature, content_type=GEOJSON, json_dumps_params={"ensure_ascii": False}
    )
    response["Content-Crs"] = f"<{output.uri}>"
    return response
