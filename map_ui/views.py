"""Map pages and their small JSON endpoints: thin views around the builder and services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from map_ui import basemaps
from map_ui.builder import MapOptions, render_map


@require_GET
def basemaps_json(request: HttpRequest) -> JsonResponse:
    """The basemaps the caller may pick (the offline platform basemap first)."""
    data = {"basemaps": [b.as_json() for b in basemaps.available(request.user)]}
    response = JsonResponse(data)
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    """The common map on its own: every layer the caller may see, in the layer switcher."""
    rendered = render_map(MapOptions(label=_("Map of the platform's layers")))
    return render(request, "map_ui/map_page.html", {"map": rendered, "title": _("Map")})
