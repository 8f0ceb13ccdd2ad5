"""Map pages and their small JSON endpoints: thin views around the builder and services."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gis_app.errors import NotFound
from map_ui import basemaps, facilities, overlays, plugins, search, start_view, strings
from map_ui import facility_page as facility_content
from map_ui.builder import MapOptions, render_map


@require_GET
def basemaps_json(request: HttpRequest) -> JsonResponse:
    """The basemaps the caller may pick (the offline platform basemap first), and what the
    layer switcher needs about the overlays (groups, empty layers, attribute labels)."""
    data = {
        "basemaps": [b.as_json() for b in basemaps.available(request.user)],
        "overlays": overlays.layer_info(request.user),
    }
    response = JsonResponse(data)
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    """The common map on its own: every layer the caller may see, in the layer switcher."""
    added = plugins.for_page(plugins.MAP, request)
    rendered = render_map(
        MapOptions(
            label=_("Map of the platform's layers"),
            page_js=added.scripts,
            page_css=added.styles,
            extra=added.extra,
        )
    )
    return render(request, "map_ui/map_page.html", {"map": rendered, "title": _("Map")})


@require_GET
def resident_home(request: HttpRequest) -> HttpResponse:
    """The residents' finder: nearest public facilities to a point or to the user, search;
    and what the apps' page extensions add to it (``map_ui.plugins``)."""
    chips = facilities.chips_for(request.user)
    added = plugins.for_page(plugins.RESIDENT, request)
    # The page opens framing the public district (resident.js fits these bounds to the
    # screen it has); the centre only spares the first tiles a trip across the city.
    bounds = start_view.public_bounds()
    rendered = render_map(
        MapOptions(
            label=_("Map of public facilities"),
            center=start_view.centre_of(bounds) if bounds else None,
            zoom=14 if bounds else 15,
            legend=False,
            page_js=[static("map_ui/sheet.js"), static("map_ui/resident.js"), *added.scripts],
            page_css=[static("map_ui/resident.css"), *added.styles],
            extra={
                "chips": chips,
                "nearestUrl": "/api/v1/nearest/",
                "searchUrl": reverse("facility-search"),
                "searchPage": 20,
                "searchMax": search.MAX_LIMIT,
                "facilityUrl": "/facilities/{id}/",
                "limit": 5,
                "startBounds": list(bounds) if bounds else None,
                "strings": strings.resident_strings(),
                **added.extra,
            },
        )
    )
    return render(
        request, "map_ui/resident.html", {"map": rendered, "chips": chips, "links": added.links}
    )


@require_GET
def facility_page(request: HttpRequest, identifier: str) -> HttpResponse:
    """One facility: what it is, a small map with it and the user (distance and direction
    once the browser shares its position), live free spaces of a car park, opening hours
    in words, details, photos, and links that open it in Amap or Baidu Maps."""
    try:
        page = facility_content.build(request.user, identifier)
    except NotFound:
        raise Http404(_("No such facility.")) from None
    rendered = render_map(
        MapOptions(
            label=_("Map of the facility and your position"),
            center=(page.facility.lat, page.facility.lon),
            zoom=17,
            legend=False,
            layer_switcher=False,
            page_js=[static("map_ui/facility.js"), *page.scripts],
            page_css=[static("map_ui/facility.css"), *page.styles],
            extra=page.map_extra,
        )
    )
    return render(
        request, "map_ui/facility.html", {"f": page.facility, "page": page, "map": rendered}
    )
