"""The admin's map widget for geometry fields, from the platform's own static files.

GeoDjango's default widget loads OpenLayers from a public CDN and starts it with an inline
script; this one draws with Leaflet and leaflet-draw (npm packages served as
``static/vendor/...``) on the platform's offline basemap (the common map module,
``map_ui/static/map_ui/map.js``, with the basemaps of ``/map/basemaps.json``), and is
started by ``gis_app/static/gis_app/admin_map.js`` from ``data-`` attributes (the
Content-Security-Policy forbids inline script). The form posts the geometry as GeoJSON in
the widget's textarea, which a user may also edit by hand.

Wired for every geometry field of the admin through ``formfield_overrides`` of the admin
base classes (:data:`GEOMETRY_OVERRIDES`).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.db import models as gis_models
from django.contrib.gis.forms.widgets import BaseGeometryWidget
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geometry import json_regex
from django.contrib.gis.geos import GEOSGeometry
from django.urls import reverse
from django.utils.translation import gettext as _

#: The platform's storage SRID (CGCS2000, lon/lat): Leaflet draws it as WGS 84 lon/lat,
#: as the rest of the platform does (the two differ by centimetres).
MAP_SRID = 4490

VENDOR_JS = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "vendor/leaflet-draw/leaflet.draw.js",
)
VENDOR_CSS = ("vendor/leaflet/leaflet.css", "vendor/leaflet-draw/leaflet.draw.css")


def widget_strings() -> dict[str, str]:
    """The widget's texts in the user's language (also the map module's, and the
    leaflet-draw toolbar's)."""
    return {
        "drawPolygon": _("Draw a polygon"),
        "drawRectangle": _("Draw a rectangle"),
        "drawLine": _("Draw a line"),
        "drawPoint": _("Place a point"),
        "edit": _("Edit the geometry"),
        "remove": _("Delete the geometry"),
        "finish": _("Finish"),
        "cancel": _("Cancel"),
        "save": _("Save"),
        "invalid": _("The text is not valid GeoJSON geometry."),
        "loadFailed": _("The basemap could not be loaded."),
        "loading": _("Loading the map"),
    }


class LeafletGeometryWidget(BaseGeometryWidget):
    """A Leaflet map with leaflet-draw for one geometry, kept as GeoJSON in a textarea."""

    template_name = "gis_app/widgets/leaflet_geometry.html"
    map_srid = MAP_SRID

    class Media:
        css = {"all": [*VENDOR_CSS, "map_ui/map.css", "gis_app/admin_map.css"]}
        js = [
            *VENDOR_JS,
            "gis_app/safe_html.js",
            "map_ui/chinacoords.js",
            "map_ui/map.js",
            "gis_app/admin_map.js",
        ]

    def serialize(self, value: Any) -> str:
        return value.json if value else ""

    def deserialize(self, value: Any) -> GEOSGeometry | None:
        """The geometry of the posted text, or None (the field then says the value is
        not a geometry). GeoDjango's own lets GDAL's error on malformed GeoJSON escape."""
        try:
            geom = super().deserialize(value)
        except GDALException:
            return None
        # GeoJSON carries no SRID (GDAL says 4326): its lon/lat are the map's.
        if geom is not None and isinstance(value, str) and json_regex.match(value):
            geom.srid = self.map_srid
        return geom

    #: Drawn only, no drawing tools (pages of users who may view but not change).
    read_only = False

    def __init__(self, attrs: dict[str, Any] | None = None, *, read_only: bool = False) -> None:
        super().__init__(attrs)
        self.read_only = read_only

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if isinstance(value, str) and not context["serialized"]:
            context["serialized"] = value  # refused text stays, for the user to correct
        config = {
            "geomType": context["geom_type"],
            "basemapsUrl": reverse("map_ui:basemaps"),
            "layersUrl": "/api/v1/layers/",
            "tilesBase": "/tiles/",
            "tilejsonUrl": "/tiles/components.json",
            "strings": widget_strings(),
            "readOnly": self.read_only,
        }
        context["read_only"] = self.read_only
        context["config_json"] = json.dumps(config, ensure_ascii=False)
        context["map_label"] = _("Map for drawing the geometry")
        context["text_label"] = (
            _("Geometry as GeoJSON") if self.read_only else _("Geometry as GeoJSON (editable)")
        )
        context["help"] = _(
            "Draw or edit the geometry with the tools on the map, or type its GeoJSON below."
        )
        return context


def render_read_only(name: str, value: GEOSGeometry | None, geom_type: str = "GEOMETRY") -> str:
    """The map of a geometry the user may see but not change (HTML, autoescaped)."""
    widget = LeafletGeometryWidget(attrs={"geom_type": geom_type}, read_only=True)
    return widget.render(f"{name}_map", value, attrs={"id": f"id_{name}_map"})


#: ``formfield_overrides`` of the admin base classes: every geometry field gets the widget.
GEOMETRY_OVERRIDES: dict[Any, dict[str, Any]] = {
    gis_models.GeometryField: {"widget": LeafletGeometryWidget},
}
