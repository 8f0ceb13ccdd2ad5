"""Front-end packages installed from npm (package.json) and served as static files under
``/static/vendor/<package>/`` (see STATICFILES_DIRS in the settings): never a CDN."""

from __future__ import annotations

from django.templatetags.static import static

#: name -> static path of the file a page needs.
FILES: dict[str, str] = {
    "leaflet.js": "vendor/leaflet/leaflet.js",
    "leaflet.css": "vendor/leaflet/leaflet.css",
    "vectorgrid.js": "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "draw.js": "vendor/leaflet-draw/leaflet.draw.js",
    "draw.css": "vendor/leaflet-draw/leaflet.draw.css",
    "markercluster.js": "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "markercluster.css": "vendor/leaflet.markercluster/MarkerCluster.css",
    "markercluster-default.css": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
    "locate.js": "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
    "locate.css": "vendor/leaflet.locatecontrol/L.Control.Locate.min.css",
    "chart.js": "vendor/chart.js/chart.umd.min.js",
}


def url(name: str) -> str:
    """The URL of a vendored file, e.g. ``url("leaflet.js")`` -> ``/static/vendor/...``."""
    return static(FILES[name])
