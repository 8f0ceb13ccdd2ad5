"""Parking on the map pages (issue 8): the configuration and translated text of
``static/map_ui/parking.js`` — the availability layer coloured by free spaces, and the
resident finder's parking chip answered by the guidance endpoint (lots with free spaces,
ranked by distance and availability) instead of the plain nearest-component search — and
the reverse car finding page ``/parking/find/`` (``static/map_ui/findcar.js``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from map_ui.builder import MapOptions, render_map

SCRIPT = "map_ui/parking.js"
STYLE = "map_ui/parking.css"


def config(show_layer: bool) -> dict[str, Any]:
    """What parking.js needs: endpoints, whether the layer starts shown, and its text."""
    return {
        "availabilityUrl": reverse("parking-availability"),
        "nearbyUrl": reverse("parking-nearby"),
        "facilityUrl": "/facilities/{id}/",
        "chip": "parking",
        "limit": 5,
        "refreshSeconds": 60,
        "show": show_layer,
        "strings": {
            "layer": _("Parking: free spaces"),
            "free": _("%(free)s of %(capacity)s free"),
            "freeShort": _("%(free)s free"),
            "charging": _("%(count)s charging"),
            "accessible": _("%(count)s accessible"),
            "updated": _("Updated %(time)s"),
            "status_spaces_available": _("Spaces available"),
            "status_almost_full": _("Almost full"),
            "status_full": _("Full"),
            "status_unknown": _("No live data"),
            "found": _("%(count)s parking lots with free spaces"),
            "none": _("No parking lot with free spaces nearby."),
            "legendTitle": _("Parking"),
        },
    }


def assets() -> tuple[list[str], list[str]]:
    """The page's extra script and style sheet."""
    return [static(SCRIPT)], [static(STYLE)]


def find_strings() -> dict[str, str]:
    """Text of findcar.js (reverse car finding) in the active language."""
    return {
        "searching": _("Looking for your car…"),
        "found": _("Your car %(plate)s is in %(lot)s."),
        "floorSpace": _("Floor %(floor)s, space %(space)s"),
        "space": _("Space %(space)s"),
        "noSpace": _("The space is not known (the lot has no space cameras)."),
        "since": _("Parked since %(time)s"),
        "notFound": _("No parked car with this plate was found."),
        "throttled": _("Too many searches. Try again later."),
        "invalid": _("Enter the whole plate, e.g. 浙A12345."),
        "failed": _("The search failed. Check your connection and try again."),
        "yourSpace": _("Your car"),
    }


@require_GET
@ensure_csrf_cookie
def find_car_page(request: HttpRequest) -> HttpResponse:
    """Reverse car finding (反向寻车) at a kiosk or on a phone: a plate in, the lot, floor
    and space out, the space highlighted on the lot's plan (``/api/v1/parking/find-car/``,
    audited and rate-limited there)."""
    rendered = render_map(
        MapOptions(
            label=_("Map of the parking lot"),
            zoom=15,
            legend=False,
            locate=False,
            page_js=[static("map_ui/sheet.js"), static("map_ui/findcar.js")],
            page_css=[static("map_ui/resident.css"), static(STYLE)],
            extra={"findUrl": reverse("parking-find-car"), "strings": find_strings()},
        )
    )
    return render(request, "map_ui/parking_find.html", {"map": rendered})
