"""Where the residents' map opens: framing the public district the data is in, not a fixed
point. The extent of the public, in-use components (what a resident can find), else of the
public district areas, else the centre of the platform's city."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models import Extent

from component_catalog.models import Component
from gis_app import access
from layers.models import AdminArea

Bounds = tuple[float, float, float, float]  # west, south, east, north (CGCS2000 degrees)


def public_bounds() -> Bounds | None:
    """The extent of what anyone may find on the residents' map (the same for every
    visitor: the public scope, not the visitor's grants), or ``None`` when the platform
    holds nothing public yet."""
    public = access.visible(AnonymousUser(), Component.objects.in_use())
    found = public.aggregate(extent=Extent("geometry"))["extent"]
    if found is None:
        districts = access.visible(AnonymousUser(), AdminArea.objects.filter(level="district"))
        found = districts.aggregate(extent=Extent("boundary"))["extent"]
    if found is None:
        return None
    west, south, east, north = (round(float(v), 7) for v in found)
    return (west, south, east, north)


def centre_of(bounds: Bounds) -> tuple[float, float]:
    """(lat, lon) of the middle of ``bounds`` (the map's first centre, before it fits)."""
    west, south, east, north = bounds
    return ((south + north) / 2, (west + east) / 2)
