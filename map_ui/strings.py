"""Text the map's JavaScript shows, translated on the server (one message catalogue)."""

from __future__ import annotations

from django.utils.translation import gettext as _


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
        "status_good": _("good"),
        "status_damaged": _("damaged"),
        "status_missing": _("missing"),
        "status_occupied": _("occupied"),
        "clusterCount": _("%(count)s items here; zoom in to see them"),
    }
