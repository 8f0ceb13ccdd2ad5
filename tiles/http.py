"""HTTP helpers shared by the tile views: the caller, error mapping, conditional
responses and cache headers."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from gis_app import parsing
from gis_app.errors import DomainError, InvalidInput
from tiles.grid import Tile

MVT = "application/vnd.mapbox-vector-tile"
VARY = "Authorization, Cookie"  # who asks decides what a tile holds


def public_max_age() -> int:
    """Seconds browsers and shared caches may keep a public tile without asking again.
    Short, because an edit changes tiles at once on the server (TILES_PUBLIC_MAX_AGE)."""
    return int(os.environ.get("TILES_PUBLIC_MAX_AGE", "60"))


# No tile matrix set goes past zoom 30: a larger number is not a tile address at all (400),
# while a well-formed address outside a layer's zooms or the grid is a tile not found (404).
MAX_ADDRESS_ZOOM = 30


def requested_tile(z: int, x: int, y: int, names: tuple[str, str, str] = ("z", "x", "y")) -> Tile:
    """The tile of a URL's numbers, InvalidInput naming the one that cannot be a tile
    address (Python would otherwise compute ``1 << z`` for any z)."""
    limit = (1 << MAX_ADDRESS_ZOOM) - 1
    return Tile(
        parsing.integer(z, names[0], 0, MAX_ADDRESS_ZOOM),
        parsing.integer(x, names[1], 0, limit),
        parsing.integer(y, names[2], 0, limit),
    )


def request_user(request: HttpRequest) -> Any:
    """Session user, or the user of an ``Authorization: Token`` header (as the REST API)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        from rest_framework.authtoken.models import Token

        token = Token.objects.select_related("user").filter(key=header[6:].strip()).first()
        if token is None or not token.user.is_active:
            raise InvalidInput(_("Invalid token."), field="Authorization")
        return token.user
    return request.user


def errors_as_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Map domain errors to the platform's JSON error body and status. Whether a layer
    exists for the caller depends on who asks: errors vary like tiles."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            response = JsonResponse(
                exc.as_dict(), status=exc.status_code, json_dumps_params={"ensure_ascii": False}
            )
            response["Vary"] = VARY
            return response

    return wrapped


def matches(request: HttpRequest, etag: str) -> bool:
    """Does If-None-Match name this (strong or weak) ETag, or ``*``?"""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or f'"{etag}"' in tags


def tile_response(
    request: HttpRequest,
    body: bytes,
    etag: str,
    content_type: str,
    *,
    public: bool,
    cache_status: str = "",
) -> HttpResponse:
    """200 with the tile (204 when empty), or 304 when the client has it already.
    Public tiles: ``Cache-Control: public, max-age=N``; tiles made for a signed-in caller:
    ``private, no-cache`` (revalidate with the ETag every time)."""
    if matches(request, etag):
        response = HttpResponse(status=304)
    elif not body:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = f'"{etag}"'
    if public:
        response["Cache-Control"] = f"public, max-age={public_max_age()}"
    else:
        response["Cache-Control"] = "private, no-cache"
    response["Vary"] = VARY
    if cache_status:
        response["X-Tile-Cache"] = cache_status
    return response
