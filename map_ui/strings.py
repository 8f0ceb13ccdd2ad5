"""Text the map's JavaScript shows, translated on the server (one message catalogue)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def map_strings() -> dict[str, str]:
    """Strings of map.js in the active language."""
    return {
        "loading": _("Loading map…"),
        "loadFailed": _("The map could not be loaded. Check your connection and reload the page."),
        "tilesFailed": _("Some map tiles could not be loaded."),
        "legend": _("Legend"),
        "basemap": _("Basemap"),
        "layers": _("Layers"),
        "noOverlays": _("No layers shown"),
        "shifted": _("Amap basemap: overlays are shifted to GCJ-02 for display."),
        "openFacility": _("Open facility page"),
        "status_good": _("Good"),
        "status_damaged": _("Damaged"),
        "status_missing": _("Missing"),
        "status_occupied": _("Occupied"),
        "clusterCount": _("%(count)s items here; zoom in to see them"),
        "status": _("Status"),
        "yes": _("Yes"),
        "no": _("No"),
        "emptyLayer": _("(no data)"),
        "emptyGroup": _("No data in your area yet"),
        "zoomHere": _("Zoom in here"),
        "moreHere": _("%(count)s more features here; zoom in to pick another"),
    }


def resident_strings() -> dict[str, str]:
    """Strings of resident.js (the facility finder) in the active language."""
    return {
        "compass": "|".join(
            [_("north"), _("northeast"), _("east"), _("southeast")]
            + [_("south"), _("southwest"), _("west"), _("northwest")]
        ),
        "directionDistance": _("%(direction)s %(distance)s"),
        "metres": _("%(value)s m"),
        "kilometres": _("%(value)s km"),
        "searching": _("Searching…"),
        "found": _("%(count)s nearest: %(kind)s"),
        "noneInArea": _("No such facilities in this area yet"),
        "shown": _("%(count)s shown"),
        "noMatch": _("No facility matches “%(q)s”."),
        "matches": _("Matches for “%(q)s”: %(count)s"),
        "pickPoint": _("Tap the map to choose a point, or use your location."),
        "fromPoint": _("From the point you chose"),
        "fromYou": _("From your location"),
        "fromCentre": _("From the map's centre"),
        "locating": _("Finding your location…"),
        "geoDenied": _("Location permission was refused. Tap the map to choose a point instead."),
        "geoUnavailable": _("Your location is not available. Tap the map to choose a point."),
        "geoUnsupported": _("This browser cannot share its location. Tap the map instead."),
        "requestFailed": _("The search failed. Check your connection and try again."),
        "hours": _("Hours: %(hours)s"),
        "accessible": _("Wheelchair accessible"),
        "notAccessible": _("No wheelchair access"),
        "accessibleSpaces": _("%(count)s accessible spaces"),
        "status": _("Status"),
        "status_good": _("Good"),
        "status_damaged": _("Damaged"),
        "status_missing": _("Missing"),
        "status_occupied": _("Occupied"),
        "open24": _("Open 24 hours"),
        "openNow": _("Open now"),
        "closedNow": _("Closed now"),
        "listSeparator": pgettext("between the lines of opening hours", "; "),
        "details": _("Details"),
        "yourPoint": _("Chosen point"),
    }
