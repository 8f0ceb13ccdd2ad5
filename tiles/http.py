"""HTTP helpers shared by the tile views: the caller (``gis_app.auth.request_user``), error
mapping (``gis_app.error_pages``), conditional responses and cache headers."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from gis_app import parsing
from gis_app.auth import request_user
from gis_app.error_pages import domain_errors
from tiles.grid import Tile

__all__ = ["errors_as_json", "request_user", "requested_tile", "tile_response"]

MVT = "application/vnd.mapbox-vector-tile"
VARY = "Authorization, Cookie"  # who asks decides what a tile holds


def public_max_age() -> int:
    """Seconds browsers and shared caches may keep a public tile without asking again.
    Short, because an edit changes tiles at once on the server (TILES_PUBLIC_MAX_AGE)."""
    return int(settings.TILES_PUBLIC_MAX_AGE)


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


# Domain errors as the platform's JSON error body and status. Whether a layer exists for
# the caller depends on who asks: errors vary like tiles.
errors_as_json = domain_errors("json", vary=VARY)


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
