"""The common map: a folium ``Map`` whose page references only the platform's own static
files, with the map module (``map_ui/static/map_ui/map.js``) that adds basemaps, the layer
switcher from the layer registry, legend, metric scale, locate-me and the GCJ-02 display
shift for Amap.

Pages render a map with :func:`render_map` and place its two parts in their template:
``head`` (styles and script files) and ``html`` (the map element). The page carries no
inline script (its Content-Security-Policy forbids it): the map element holds Leaflet's
options in a ``data-sc-map`` attribute and the page's configuration in a JSON data block
next to it, and ``map_ui/static/map_ui/boot.js`` creates the map from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import Figure, MacroElement
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from folium.elements import JSCSSMixin
from folium.template import Template

from map_ui import strings, vendor

#: Used when the database holds no city yet (West Lake, Hangzhou).
FALLBACK_CENTER = (30.2741, 120.1551)
#: Deepest zoom of every map page on every basemap (building scale; beyond it there is
#: nothing more to see, and locate-me must not end on a grey screen). A page may allow
#: up to MAX_ZOOM_LIMIT (the survey editor: 20, for placing points between kerbs).
DEFAULT_MAX_ZOOM = 19
MAX_ZOOM_LIMIT = 20


class PlatformMap(folium.Map):
    """folium's Map with local Leaflet files, no page-wide styles and zoom left to the user
    (folium's default header forbids pinch zoom, which hurts accessibility)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>#{{ this.get_name() }} { position: relative; width: 100%; height: 100%; }</style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map sc-map" id={{ this.get_name()|tojson }}
                 role="application" aria-label="{{ this.label|e }}"
                 data-sc-map='{{ this.boot_options()|tojson }}'></div>
        {% endmacro %}
        """
    )

    def __init__(self, label: str, max_zoom: int = DEFAULT_MAX_ZOOM, **kwargs: Any) -> None:
        super().__init__(tiles=None, **kwargs)
        self.label = label
        # folium hands max_zoom only to its tile layers (none here): the map itself needs it.
        self.max_zoom = max_zoom
        self.default_js = [("leaflet", vendor.url("leaflet.js"))]
        self.default_css = [("leaflet_css", vendor.url("leaflet.css"))]
        self.locate: dict[str, Any] | None = None

    def boot_options(self) -> dict[str, Any]:
        """What boot.js creates the map from (Jinja's ``tojson`` escapes it for the
        single-quoted attribute: no ', <, > or & survive)."""
        options = {camelize(k): v for k, v in self.options.items()}
        options["maxZoom"] = self.max_zoom
        return {
            "center": list(self.location),
            "crs": self.crs,
            "options": options,
            "locate": self.locate,
            "config": f"{self.get_name()}-config",
        }


def camelize(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class PlatformControls(JSCSSMixin, MacroElement):
    """The map module's files and the page's configuration (a JSON data block, not run),
    from which boot.js starts the map module."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
            <script type="application/json" id={{ (this._parent.get_name() ~ "-config")|tojson }}>
                {{- this.config|tojson -}}
            </script>
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any], page_js: Sequence[str], page_css: Sequence[str]):
        super().__init__()
        self._name = "PlatformControls"
        self.config = config
        self.default_js = [
            ("vectorgrid", vendor.url("vectorgrid.js")),
            ("chinacoords", static("map_ui/chinacoords.js")),
            ("sclabels", static("map_ui/labels.js")),
            ("scmap", static("map_ui/map.js")),
            ("scboot", static("map_ui/boot.js")),
            *[(f"page_js_{i}", path) for i, path in enumerate(page_js)],
        ]
        self.default_css = [
            ("scmap_css", static("map_ui/map.css")),
            ("sclabels_css", static("map_ui/labels.css")),
            *[(f"page_css_{i}", path) for i, path in enumerate(page_css)],
        ]


class LocateFiles(JSCSSMixin, MacroElement):
    """leaflet.locatecontrol's files from the local static files (boot.js adds the
    control with :func:`locate_options`)."""

    _template = Template("")

    def __init__(self) -> None:
        super().__init__()
        self._name = "LocateFiles"
        self.default_js = [("locate_js", vendor.url("locate.js"))]
        self.default_css = [("locate_css", vendor.url("locate.css"))]


def locate_options() -> dict[str, Any]:
    """Options of L.control.locate, labelled in the user's language."""
    return {
        "position": "bottomright",
        "flyTo": False,
        "showPopup": False,
        "setView": "untilPanOrZoom",
        "keepCurrentZoomLevel": False,
        "locateOptions": {"enableHighAccuracy": True, "maxZoom": 17},
        "strings": {"title": _("Show my location")},
    }


@dataclass
class MapOptions:
    """What a page wants from the common map."""

    label: str = ""
    center: tuple[float, float] | None = None  # (lat, lon); None: the platform's city
    zoom: int = 14
    overlays: Sequence[str] = ()  # registry layer codes shown at start
    locate: bool = True
    legend: bool = True
    layer_switcher: bool = True
    page_js: Sequence[str] = ()  # static URLs of the page's own modules (after map.js)
    page_css: Sequence[str] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # passed to the page's JavaScript
    max_zoom: int = DEFAULT_MAX_ZOOM  # at most MAX_ZOOM_LIMIT (the survey allows 20)
    identify: bool = True  # a click on a vector-tile feature opens its popup

    def __post_init__(self) -> None:
        if not 1 <= self.max_zoom <= MAX_ZOOM_LIMIT:
            raise ValueError(f"max_zoom must be 1..{MAX_ZOOM_LIMIT}, not {self.max_zoom}")


@dataclass(frozen=True)
class RenderedMap:
    head: SafeString
    html: SafeString
    name: str  # the JavaScript variable holding the Leaflet map


def city_center() -> tuple[float, float]:
    """(lat, lon) of the centre of the platform's city, or :data:`FALLBACK_CENTER`."""
    from tiles.tilejson import city_bounds

    west, south, east, north = city_bounds()
    if west <= -180 or east >= 180:
        return FALLBACK_CENTER
    return ((south + north) / 2, (west + east) / 2)


def map_config(options: MapOptions) -> dict[str, Any]:
    """The JSON configuration map.js starts from."""
    return {
        "basemapsUrl": reverse("map_ui:basemaps"),
        "layersUrl": "/api/v1/layers/",
        "tilesBase": "/tiles/",
        "overlays": list(options.overlays),
        "legend": options.legend,
        "layerSwitcher": options.layer_switcher,
        "maxZoom": options.max_zoom,
        "identify": options.identify,
        "language": get_language() or "zh-hans",
        "strings": strings.map_strings(),
        "extra": options.extra,
    }


def build_map(options: MapOptions) -> PlatformMap:
    """The folium map of a page, ready to render."""
    center = options.center or city_center()
    fmap = PlatformMap(
        label=options.label or _("Map"),
        location=list(center),
        zoom_start=min(options.zoom, options.max_zoom),
        max_zoom=options.max_zoom,
        prefer_canvas=False,
    )
    PlatformControls(map_config(options), options.page_js, options.page_css).add_to(fmap)
    if options.locate:
        fmap.locate = locate_options()
        LocateFiles().add_to(fmap)
    return fmap


def render_map(options: MapOptions) -> RenderedMap:
    """Render the map of a page into the parts its template places."""
    fmap = build_map(options)
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.render()
    # folium renders trusted templates with escaped JSON: the parts are safe HTML.
    script = figure.script.render().strip()
    if script:  # pragma: no cover - an element that emits code would need 'unsafe-inline'
        raise AssertionError(f"the map emitted inline script: {script[:80]!r}")
    return RenderedMap(
        head=mark_safe(figure.header.render()),  # noqa: S308
        html=mark_safe(figure.html.render()),  # noqa: S308
        name=fmap.get_name(),
    )
