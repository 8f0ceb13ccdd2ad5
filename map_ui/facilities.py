"""The residents' facility finder: which facility classes a resident can look for, the
facility page's content, and "open in Amap / Baidu Maps" links with converted coordinates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import get_language, gettext_lazy

from component_catalog.models import Component, ComponentClass, ComponentStatus
from component_catalog.services import get_visible_component
from gis_app import access, coords
from gis_app.types import User
from layers.models import Layer, LayerKind


@dataclass(frozen=True)
class Chip:
    """One choice in the finder: a kind of facility, one or more component classes."""

    key: str
    label: Any  # lazy translation
    classes: tuple[str, ...]


#: The facility kinds residents look for, in the order shown. Only classes the user may see
#: are offered (for anonymous users: the public classes of the catalog).
CHIPS: tuple[Chip, ...] = (
    Chip("toilet", gettext_lazy("Public toilets"), ("0301",)),
    Chip("parking", gettext_lazy("Parking"), ("0201", "0215")),
    Chip("shelter", gettext_lazy("Air-raid shelters"), ("0502",)),
    Chip("bus", gettext_lazy("Bus stops"), ("0203",)),
    Chip("bicycle", gettext_lazy("Bicycle racks"), ("0212",)),
    Chip("police", gettext_lazy("Police booths"), ("0219",)),
    Chip("info", gettext_lazy("Information kiosks"), ("0124",)),
    Chip("hydrant", gettext_lazy("Fire hydrants"), ("0113",)),
    Chip("bench", gettext_lazy("Benches"), ("0407",)),
    Chip("bin", gettext_lazy("Trash bins"), ("0305",)),
)


def chips_for(user: User) -> list[dict[str, Any]]:
    """The finder's chips for this user: classes whose layer the user may not see are left
    out, and a chip with no class left is not offered. ``available`` says whether any
    facility of the chip's classes is there to find (visible and in use); chips with
    nothing to find come after the others, so a resident is not sent looking for what the
    area has none of (the page says so instead of "nothing nearby")."""
    wanted = {code for chip in CHIPS for code in chip.classes}
    # A class's components are visible as its registry layer is (public flag or grants).
    layers = Layer.objects.active().filter(kind=LayerKind.COMPONENT, source__in=wanted)
    visible = set(access.visible(user, layers).values_list("source", flat=True))
    present = _classes_with_data(user, sorted(visible))
    out = []
    for chip in CHIPS:
        codes = [code for code in chip.classes if code in visible]
        if codes:
            available = any(code in present for code in codes)
            out.append(
                {
                    "key": chip.key,
                    "label": str(chip.label),
                    "classes": codes,
                    "available": available,
                }
            )
    # sorted() is stable: the catalogue's order within each group.
    return sorted(out, key=lambda chip: not chip["available"])


def _classes_with_data(user: User, codes: list[str]) -> set[str]:
    """Which of the classes have at least one visible, in-use component (one indexed
    EXISTS per class: cheap at any table size)."""
    base = Component.objects.in_use()
    return {
        code
        for code in codes
        if access.visible(user, base.filter(component_class__code=code)).exists()
    }


def amap_link(lon: float, lat: float, name: str) -> str:
    """An Amap (高德地图) URI marker at a CGCS2000/WGS 84 position (sent in GCJ-02)."""
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    query = urlencode(
        {
            "position": f"{g_lon:.6f},{g_lat:.6f}",
            "name": name,
            "coordinate": "gaode",
            "callnative": "1",
        }
    )
    return f"https://uri.amap.com/marker?{query}"


def baidu_link(lon: float, lat: float, name: str, address: str = "") -> str:
    """A Baidu Maps (百度地图) URI marker at a CGCS2000/WGS 84 position (sent in BD-09)."""
    b_lon, b_lat = coords.wgs84_to_bd09(lon, lat)
    query = urlencode(
        {
            "location": f"{b_lat:.6f},{b_lon:.6f}",
            "title": name,
            "content": address or name,
            "output": "html",
            "coord_type": "bd09ll",
            "src": "smart-community-gis.resident-map",
        }
    )
    return f"https://api.map.baidu.com/marker?{query}"


@dataclass
class Facility:
    """What the facility page shows."""

    component: Component
    class_name: str
    status: str
    status_label: str
    lon: float
    lat: float
    photos: list[dict[str, Any]] = field(default_factory=list)
    amap_url: str = ""
    baidu_url: str = ""


def class_name(klass: ComponentClass) -> str:
    """The class's name in the active language."""
    if (get_language() or "").startswith("en") and klass.name_en:
        return klass.name_en
    return klass.name_zh


def facility(user: User, identifier: str) -> Facility:
    """The facility page of a component the user may see (``NotFound`` otherwise)."""
    component = get_visible_component(user, identifier)
    point = component.geometry.point_on_surface
    klass = component.component_class
    photos = [
        {
            "url": f"/api/v1/components/{component.identifier}/photos/{photo.pk}/image/",
            "caption": photo.caption,
            "width": photo.width,
            "height": photo.height,
        }
        for photo in component.photos.all()
    ]
    title = component.name or class_name(klass)
    return Facility(
        component=component,
        class_name=class_name(klass),
        status=component.status,
        status_label=str(ComponentStatus(component.status).label),
        lon=point.x,
        lat=point.y,
        photos=photos,
        amap_url=amap_link(point.x, point.y, title),
        baidu_url=baidu_link(point.x, point.y, title, component.address),
    )
