"""The residents' facility search endpoint (``GET facilities/search/``): ranked matches with
the true count and offset paging (``map_ui.search``). Thin: parse, call, serialize.

Include with ``path("", include("map_ui.api"))`` under ``api/v1/``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from component_catalog import nearest, opening_hours, representation
from gis_app import params, parsing
from gis_app.api_common import GEOJSON, crs_of
from map_ui import facilities, search


def _feature(found: search.Found) -> dict[str, Any]:
    c = found.component
    point = c.geometry.point_on_surface
    return {
        "type": "Feature",
        "id": c.identifier,
        "geometry": representation.geometry_json(c.geometry),
        "properties": {
            "identifier": c.identifier,
            "class": c.component_class_id,
            "class_name": facilities.class_name(c.component_class),
            "name": c.name,
            "address": c.address,
            "status": c.status,
            "attributes": c.attributes,
            "opening_hours_words": opening_hours.in_words(c.attributes),
            "match": found.match,
            "anchor": [round(point.x, 7), round(point.y, 7)],
            "distance_m": None if found.distance_m is None else round(found.distance_m, 1),
            "bearing_deg": None if found.bearing_deg is None else round(found.bearing_deg, 1),
        },
    }


class FacilitySearchView(APIView):
    """Facilities matching a text, public facilities first, then by distance from the
    point given (the user or the map's centre); ``numberMatched`` is the true count."""

    @extend_schema(
        operation_id="v1_facilities_search",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="1-100 characters"),
            OpenApiParameter("lon", OpenApiTypes.NUMBER, description="rank by distance from"),
            OpenApiParameter("lat", OpenApiTypes.NUMBER),
            OpenApiParameter("offset", OpenApiTypes.INT),
            OpenApiParameter("limit", OpenApiTypes.INT),
            OpenApiParameter("crs", OpenApiTypes.STR, description="of lon/lat: CRS84, GCJ02, BD09"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        text = params.text(query, max_length=search.MAX_TEXT, required=True)
        point = None
        if query.get("lon") not in (None, "") or query.get("lat") not in (None, ""):
            point = nearest.to_cgcs2000(params.lon_lat_point(query), crs_of(request))
        offset = parsing.integer_param(query, "offset", 0, search.MAX_OFFSET, 0) or 0
        limit = params.limit(query, 20, search.MAX_LIMIT)
        page = search.search(request.user, text, point, offset, limit)
        next_url = None
        if page.has_more and offset + limit <= search.MAX_OFFSET:
            rest = {k: v for k, v in query.items() if k not in ("offset", "limit")}
            rest.update({"offset": str(offset + limit), "limit": str(limit)})
            next_url = request.build_absolute_uri(request.path) + "?" + urlencode(rest)
        return Response(
            {
                "type": "FeatureCollection",
                "features": [_feature(f) for f in page.results],
                "numberMatched": page.total,
                "numberReturned": len(page.results),
                "offset": page.offset,
                "next": next_url,
                "query": {
                    "q": text,
                    "lon": None if point is None else point.x,
                    "lat": None if point is None else point.y,
                },
            },
            content_type=GEOJSON,
        )


urlpatterns = [
    path("facilities/search/", FacilitySearchView.as_view(), name="facility-search"),
]
