"""Requests follow the areas: after an area import changed community or grid-cell
boundaries, the requests whose place lies in the changed region get their community and
grid cell derived again, as on submission. Registered with ``layers.area_links`` in
``apps.py``."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry

from community.matters.models import ServiceRequest
from component_catalog.area_links import relocate


def rederive(region: GEOSGeometry) -> int:
    """Re-derive the community and grid cell of the requests inside ``region``; the number
    that moved. A request whose place now lies in no community keeps its community."""
    rows = list(
        ServiceRequest.objects.filter(place__intersects=region).only(
            "id", "place", "community_id", "grid_cell_id"
        )
    )
    moved = relocate(rows, lambda r: r.place, lambda r, community: False)
    ServiceRequest.objects.bulk_update(moved, ["community_id", "grid_cell_id"], batch_size=1000)
    return len(moved)
