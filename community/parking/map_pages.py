"""Parking on the map pages (issue 8), plugged into ``map_ui.plugins`` by ``apps.py``:

* on the residents' finder ``/`` and the common map ``/map/``: ``static/parking/parking.js``,
  the availability layer coloured by free spaces, and the finder's parking chip answered by
  the guidance endpoint (lots with free spaces, ranked by distance and availability)
  instead of the plain nearest-component search; the finder links to the car finder;
* on a car park's facility page: its live free spaces (``static/parking/facility.js``);
* the reverse car finding page ``/parking/find/`` (``static/parking/findcar.js``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from community.parking import live
from community.parking.models import LOT_CLASSES
from gis_app.types import User
from map_ui import plugins
from map_ui.builder import MapOptions, render_map

if TYPE_CHECKING:
    from component_catalog.models import Component

SCRIPT = "parking/parking.js"
STYLE = "parking/parking.css"
FACILITY_REFRESH_SECONDS = 60  # free spaces on an open car-park page, as often as the layer


def status_strings() -> dict[str, str]:
    """The words of a lot's live state, shared by the layer and the facility page."""
    return {
        "free": _("%(free)s of %(capacity)s free"),
        "updated": _("Updated %(time)s"),
        "status_spaces_available": _("Spaces available"),
        "status_almost_full": _("Almost full"),
        "status_full": _("Full"),
        "status_unknown": _("No live data"),
    }


def config(show_layer: bool) -> dict[str, Any]:
    """What parking.js needs: endpoints, whether the layer starts shown, and its text."""
    words = status_strings()
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
            "free": words["free"],
            "freeShort": _("%(free)s free"),
            "charging": _("%(count)s charging"),
            "accessible": _("%(count)s accessible"),
            "updated": words["updated"],
            "status_spaces_available": words["status_spaces_available"],
            "status_almost_full": words["status_almost_full"],
            "status_full": words["status_full"],
            "status_unknown": words["status_unknown"],
            "found": _("%(count)s parking lots with free spaces"),
            "none": _("No parking lot with free spaces nearby."),
            "legendTitle": _("Parking"),
        },
    }


def page_config(page: str, request: HttpRequest) -> dict[str, Any]:
    """The layer starts shown on the common map, hidden under the finder's results."""
    return config(show_layer=page == plugins.MAP)


def facility_section(user: User, component: Component) -> plugins.FacilitySection | None:
    """Live free spaces of a car park the user may see (None for other classes or a lot
    without a parking record)."""
    if component.component_class_id not in LOT_CLASSES:
        return None
    lot = live.visible_lots(user).filter(component__identifier=component.identifier).first()
    if lot is None:
        return None
    state = live.availability(lot)
    words = status_strings()
    free, capacity = state.free["total"], state.capacity["total"]
    updated = ""
    if state.last_update is not None:
        local = timezone.localtime(state.last_update)
        updated = words["updated"] % {"time": formats.date_format(local, "SHORT_DATETIME_FORMAT")}
    summary = (
        words["free"] % {"free": free, "capacity": capacity}
        if state.status != "unknown"
        else words["status_unknown"]
    )
    return plugins.FacilitySection(
        template="parking/facility_live.html",
        context={
            "status": state.status,
            "status_label": words[f"status_{state.status}"],
            "free": free,
            "capacity": capacity,
            "summary": summary,
            "updated": updated,
        },
        config={
            "url": reverse("parking-lot", kwargs={"identifier": component.identifier}),
            "refreshSeconds": FACILITY_REFRESH_SECONDS,
            "strings": words,
        },
        scripts=("parking/facility.js",),
        styles=("parking/facility.css",),
    )


def extension() -> plugins.PageExtension:
    """Parking's addition to the map pages (registered by ``ParkingConfig.ready``)."""
    return plugins.PageExtension(
        key="parking",
        pages=frozenset({plugins.RESIDENT, plugins.MAP}),
        scripts=(SCRIPT,),
        styles=(STYLE,),
        config=page_config,
        links=(plugins.Link("parking-find", gettext_lazy("Find my car")),),
        facility=facility_section,
    )


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
            page_js=[static("map_ui/sheet.js"), static("parking/findcar.js")],
            page_css=[static("map_ui/resident.css"), static(STYLE)],
            extra={"findUrl": reverse("parking-find-car"), "strings": find_strings()},
        )
    )
    return render(request, "parking/find_car.html", {"map": rendered})
