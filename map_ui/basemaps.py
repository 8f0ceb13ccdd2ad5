"""The basemaps a map page offers: the platform's own offline basemap (vector tiles of its
base layers, the default) and, as options, OpenStreetMap, Tianditu (only with a key) and
Amap (GCJ-02, so overlays are shifted while it is shown)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gis_app import access
from gis_app.types import User
from layers.models import Layer

#: Base layers drawn by the offline basemap, bottom to top.
OFFLINE_LAYERS = ("green-space", "rivers", "roads", "buildings", "admin-areas")
WGS84 = "wgs84"  # CGCS2000 and WGS 84 agree within centimetres: the same for display
GCJ02 = "gcj02"


@dataclass(frozen=True)
class VectorPart:
    """One registry layer of the offline basemap, as a vector tile source."""

    code: str
    name: str
    tiles: str
    style: dict[str, Any]
    min_zoom: int
    max_zoom: int
    geometry: str


@dataclass(frozen=True)
class Basemap:
    """A basemap as the map's JavaScript wants it (see map_ui/static/map_ui/map.js)."""

    id: str
    name: str
    kind: str  # "vector" (offline, from the platform's tiles) or "raster"
    crs: str  # WGS84 or GCJ02: the datum the basemap is drawn in
    tiles: list[str] = field(default_factory=list)
    subdomains: str = ""
    attribution: str = ""
    max_zoom: int = 19
    parts: list[VectorPart] = field(default_factory=list)
    labels: str = ""  # label tiles (tiles/labels.py) drawn over the basemap, if any
    default: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def layer_name(layer: Layer) -> str:
    """The layer's name in the current language (Chinese unless English is active)."""
    if (get_language() or "").startswith("en") and layer.name_en:
        return layer.name_en
    return layer.name_zh


def offline_basemap(user: User) -> Basemap:
    """The platform basemap from the base layers the user may see."""
    layers = access.visible(user, Layer.objects.active().filter(code__in=OFFLINE_LAYERS))
    by_code = {layer.code: layer for layer in layers}
    parts = [
        VectorPart(
            code=code,
            name=layer_name(by_code[code]),
            tiles=f"/tiles/{code}/{{z}}/{{x}}/{{y}}.mvt",
            style=dict(by_code[code].style or {}),
            min_zoom=by_code[code].min_zoom,
            max_zoom=by_code[code].max_zoom,
            geometry=by_code[code].geometry_kind,
        )
        for code in OFFLINE_LAYERS
        if code in by_code
    ]
    return Basemap(
        id="platform",
        name=_("Platform map (offline)"),
        kind="vector",
        crs=WGS84,
        parts=parts,
        labels="/tiles/labels/{z}/{x}/{y}.json",
        attribution=_("Smart community platform"),
        max_zoom=22,
        default=True,
    )


def online_basemaps() -> list[Basemap]:
    """OpenStreetMap, Tianditu (when TIANDITU_KEY is set) and Amap."""
    found = [
        Basemap(
            id="osm",
            name=_("OpenStreetMap"),
            kind="raster",
            crs=WGS84,
            tiles=[settings.MAP_OSM_TILE_URL],
            attribution="© OpenStreetMap",
            max_zoom=19,
        )
    ]
    key = getattr(settings, "TIANDITU_KEY", "")
    if key:
        template = settings.MAP_TIANDITU_TILE_URL.replace("{key}", key)
        found.append(
            Basemap(
                id="tianditu",
                name=_("Tianditu"),
                kind="raster",
                crs=WGS84,
                tiles=[template.replace("{layer}", "vec"), template.replace("{layer}", "cva")],
                subdomains="01234567",
                attribution=_("Tianditu"),
                max_zoom=18,
            )
        )
    found.append(
        Basemap(
            id="amap",
            name=_("Amap"),
            kind="raster",
            crs=GCJ02,
            tiles=[settings.MAP_AMAP_TILE_URL],
            subdomains="1234",
            attribution=_("Amap"),
            max_zoom=18,
        )
    )
    return found


def available(user: User) -> list[Basemap]:
    """Every basemap the user may pick, the offline one first (the default)."""
    return [offline_basemap(user), *online_basemaps()]
