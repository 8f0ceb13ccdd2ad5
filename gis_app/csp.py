"""Content-Security-Policy on every page the platform serves.

Written by hand (a header built once from settings) rather than with django-csp: the
platform needs one fixed policy with no per-request nonces, because no page carries inline
script (map pages start from ``map_ui/static/map_ui/boot.js``, data passes in JSON data
blocks and ``data-`` attributes; the admin's map widget is ``gis_app.admin_widgets``;
Swagger UI runs from a script file of its own, drf-spectacular's split view).

The policy:

* ``script-src 'self'``: no inline script, no ``eval``, no other host;
* ``style-src 'self' 'unsafe-inline'``: Leaflet, its plugins and Swagger UI write inline
  styles (``<div style=...>`` in markup, folium's sizing ``<style>`` of a map element,
  the ``<style>`` block of drf-spectacular's Swagger page). Styles cannot run code; the
  risk left is CSS-based page restyling, which ``img-src`` limits further;
* ``img-src``: the platform itself, ``data:``/``blob:`` (Leaflet's and Swagger UI's icons,
  photos being uploaded) and the hosts of the online basemaps, taken from
  ``MAP_OSM_TILE_URL``, ``MAP_TIANDITU_TILE_URL`` and ``MAP_AMAP_TILE_URL`` (Leaflet loads
  raster tiles as images);
* ``connect-src 'self'``: scripts fetch only the platform's own API, tiles and basemap
  list (the survey's service worker caches same-origin answers only);
* ``object-src 'none'``, ``base-uri 'self'``, ``form-action 'self'``,
  ``frame-ancestors 'none'`` (no framing: clickjacking).

Only documents get the header (HTML, XHTML, SVG): it governs what a page may load and run,
and means nothing on a tile or a JSON answer. ``tiles.fastpath`` runs this middleware's
``process_response`` too, so both ways answer alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

HEADER = "Content-Security-Policy"
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")
TILE_URL_SETTINGS = ("MAP_OSM_TILE_URL", "MAP_TIANDITU_TILE_URL", "MAP_AMAP_TILE_URL")
PLACEHOLDER = re.compile(r"\{[^}]*\}")


def tile_origin(template: str) -> str | None:
    """The CSP source of a tile URL template's host: ``https://t{s}.tianditu.gov.cn/...``
    gives ``https://*.tianditu.gov.cn`` (a placeholder in a host label becomes a wildcard
    of the labels up to it). None for a relative template (the platform itself) or one
    whose host is all placeholder."""
    parts = urlsplit(template.replace("{", "%7B").replace("}", "%7D"))
    if not parts.scheme or not parts.netloc:
        return None
    netloc = parts.netloc.replace("%7B", "{").replace("%7D", "}").rsplit("@", 1)[-1]
    host, _, port = netloc.partition(":") if not netloc.startswith("[") else (netloc, "", "")
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if PLACEHOLDER.search(label)]
    if templated:
        rest = labels[templated[-1] + 1 :]
        if len(rest) < 2:  # "*.com" or all placeholder: too wide, leave it out
            return None
        host = ".".join(["*", *rest])
    if PLACEHOLDER.search(port):
        port = "*"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def basemap_sources() -> list[str]:
    """The origins of the configured online basemaps, in settings order, once each."""
    found: list[str] = []
    for name in TILE_URL_SETTINGS:
        origin = tile_origin(str(getattr(settings, name, "") or ""))
        if origin and origin not in found:
            found.append(origin)
    return found


def policy() -> str:
    """The header's value, from the current settings."""
    tiles = basemap_sources()
    directives: list[tuple[str, Iterable[str]]] = [
        ("default-src", ["'self'"]),
        ("script-src", ["'self'"]),
        ("style-src", ["'self'", "'unsafe-inline'"]),
        ("img-src", ["'self'", "data:", "blob:", *tiles]),
        ("connect-src", ["'self'"]),
        ("font-src", ["'self'", "data:"]),
        ("worker-src", ["'self'"]),
        ("manifest-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
    ]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


def is_document(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return content_type in DOCUMENT_TYPES


class ContentSecurityPolicyMiddleware:
    """Adds :func:`policy` to every document response that has no policy of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.header = policy()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.process_response(request, self.get_response(request))

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if HEADER not in response and is_document(response):
            response[HEADER] = self.header
        return response
