"""Parking on the map pages (issue 8): the configuration and translated text of
``static/map_ui/parking.js`` — the availability layer coloured by free spaces, and the
resident finder's parking chip answered by the guidance endpoint (lots with free spaces,
ranked by distance and availability) instead of the plain nearest-component search."""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

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
