"""Request parsing and paging shared by the REST endpoints of every app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from gis_app import coords
from gis_app.errors import InvalidInput, NotAuthenticated

GEOJSON = "application/geo+json"


class FeatureCursorPagination(CursorPagination):
    """Keyset paging on the id: the next link carries the last id, so a deep page costs
    what the first page costs. Pages are GeoJSON FeatureCollections."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "type": "FeatureCollection",
                "features": data,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            },
            content_type=GEOJSON,
        )


def require_login(request: Request) -> None:
    if not request.user.is_authenticated:
        raise NotAuthenticated()


def crs_of(request: Request) -> str:
    """The ``crs`` query parameter, normalised (CRS84 when absent)."""
    try:
        return coords.parse_crs(request.query_params.get("crs"))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from None


def body_object(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidInput(_("The body must be a JSON object."), field="body")
    return request.data


def if_match_version(request: Request) -> int | None:
    """The version named by an ``If-Match`` header (``"3"`` or ``W/"3"``), if any."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or int(value) < 1:
        raise InvalidInput(
            _('If-Match must be the ETag of the version you started from, e.g. "3".'),
            field="If-Match",
        )
    return int(value)
