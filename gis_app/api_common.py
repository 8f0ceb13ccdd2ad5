"""Request parsing and paging shared by the REST endpoints of every app."""

from __future__ import annotations

from typing import Any
from urllib import parse

from django.utils.translation import gettext as _
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from gis_app import params, parsing
from gis_app.errors import InvalidInput, NotAuthenticated

GEOJSON = "application/geo+json"


class FeatureCursorPagination(CursorPagination):
    """Keyset paging on the id: the next link carries the last id, so a deep page costs
    what the first page costs. Pages are GeoJSON FeatureCollections."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000

    def get_page_size(self, request: Request) -> int:
        size = parsing.integer_param(
            request.query_params, "limit", 1, self.max_page_size, self.page_size
        )
        return int(size or self.page_size)

    def encode_cursor(self, cursor: Cursor) -> str:
        """The next/previous link; its cursor is signed (``gis_app.parsing``)."""
        tokens = {}
        if cursor.offset:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = str(cursor.position)
        signed = parsing.sign_cursor(parse.urlencode(tokens))
        return str(replace_query_param(self.base_url or "", self.cursor_query_param, signed))

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The cursor of a link this server made; a forged or altered one is a 400."""
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        tokens = parse.parse_qs(parsing.read_cursor(raw, self.cursor_query_param))
        offset = parsing.integer(tokens.get("o", ["0"])[0], "cursor", 0, self.offset_cutoff)
        position: Any = tokens.get("p", [None])[0]  # the last key: an id, as text
        return Cursor(offset=offset, reverse=tokens.get("r") == ["1"], position=position)

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


class CheckedPageNumbers:
    """For page-number paginators: ``page`` and the page-size parameter must be whole
    numbers within bounds (400 naming them); a page past the last stays a 404."""

    max_pages = 10**9

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)  # type: ignore[attr-defined]
        if raw in self.last_page_strings:  # type: ignore[attr-defined]
            return raw
        return parsing.integer_param(
            request.query_params,
            self.page_query_param,  # type: ignore[attr-defined]
            1,
            self.max_pages,
            1,
        )

    def get_page_size(self, request: Request) -> int | None:
        name = self.page_size_query_param  # type: ignore[attr-defined]
        default = self.page_size  # type: ignore[attr-defined]
        if not name:
            return default  # type: ignore[no-any-return]
        limit = self.max_page_size or 10**6  # type: ignore[attr-defined]
        return parsing.integer_param(request.query_params, name, 1, limit, default)


class PagePagination(CheckedPageNumbers, PageNumberPagination):
    """Numbered pages, the default paginator of list endpoints."""


def require_login(request: Request) -> None:
    if not request.user.is_authenticated:
        raise NotAuthenticated()


def crs_of(request: Request) -> str:
    """The ``crs`` query parameter, normalised (CRS84 when absent)."""
    return params.crs(request.query_params)


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
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise InvalidInput(
            _('If-Match must be the ETag of the version you started from, e.g. "3".'),
            field="If-Match",
        )
    return int(value)
