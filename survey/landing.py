"""Where the survey page opens for a surveyor (when the device has no view of its own and
no GPS fix): on the components the user may edit, in their classes, organization and area,
rather than on the middle of a district where a water surveyor may have nothing.

The page gets three things, from wide to narrow, and uses the widest that it can show at a
zoom where components load (the editor's ``MIN_EDIT_ZOOM``): the extent of all of them, the
extent of those in the community holding most of them, and one of those near that
community's middle (so the first view never lands between clusters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db.models import Count

from component_catalog.models import Component
from gis_app import access
from gis_app.roles import Action
from gis_app.types import User

Bounds = tuple[float, float, float, float]  # west, south, east, north (CGCS2000 degrees)


@dataclass(frozen=True)
class WorkArea:
    """Where a user's editable components are."""

    count: int
    bounds: Bounds  # all of them
    focus: Bounds  # those of the community holding most of them
    point: tuple[float, float]  # lon, lat of one of those, near the focus' middle

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "bounds": list(self.bounds),
            "focus": list(self.focus),
            "point": list(self.point),
        }


def _rounded(extent: tuple[float, ...]) -> Bounds:
    west, south, east, north = (round(float(v), 7) for v in extent)
    return (west, south, east, north)


def editable_components(user: User, class_filter: list[str] | None) -> Any:
    """The in-use components ``user`` may change, of the classes the page loads."""
    rows = access.visible(user, Component.objects.in_use(), Action.CHANGE)
    return rows if class_filter is None else rows.filter(component_class_id__in=class_filter)


def work_area(user: User, class_filter: list[str] | None) -> WorkArea | None:
    """Where the user's editable components are, or ``None`` when there are none (the page
    then frames the user's area)."""
    rows = editable_components(user, class_filter)
    summary = rows.aggregate(extent=Extent("geometry"), count=Count("id"))
    if not summary["count"]:
        return None
    busiest = (
        rows.values("community_id").annotate(n=Count("id")).order_by("-n", "community_id").first()
    )
    assert busiest is not None  # there are rows
    cluster = rows.filter(community_id=busiest["community_id"])
    focus = _rounded(cluster.aggregate(extent=Extent("geometry"))["extent"])
    middle = Point((focus[0] + focus[2]) / 2, (focus[1] + focus[3]) / 2, srid=4490)
    nearest = cluster.annotate(d=Distance("geometry", middle)).order_by("d", "id").first()
    assert nearest is not None
    geometry = nearest.geometry
    anchor = geometry if geometry.geom_type == "Point" else geometry.point_on_surface
    return WorkArea(
        count=int(summary["count"]),
        bounds=_rounded(summary["extent"]),
        focus=focus,
        point=(round(anchor.x, 7), round(anchor.y, 7)),
    )
