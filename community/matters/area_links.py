"""Requests follow the areas: after an area import changed community or grid-cell
boundaries, the requests whose place lies in the changed region get their community and
grid cell derived again, as on submission. Registered with ``layers.area_links`` in
``apps.py``."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry

from community.matters.models import ServiceRequest
from component_catalog import sql as component_sql


def rederive(region: GEOSGeometry) -> int:
    """Re-derive the community and grid cell of the requests inside ``region``; the number
    that moved. A request whose place now lies in no community keeps its community."""
    rows = list(
        ServiceRequest.objects.filter(place__intersects=region).only(
            "id", "place", "community_id", "grid_cell_id"
        )
    )
    if not rows:
        return 0
    found = component_sql.locate_many([bytes(r.place.wkb) for r in rows])
    moved = []
    for request, (community, grid) in zip(rows, found, strict=True):
        if community is None or (community, grid) == (request.community_id, request.grid_cell_id):
            continue
        request.community_id = community
        request.grid_cell_id = grid
        moved.append(request)
    ServiceRequest.objects.bulk_update(moved, ["community_id", "grid_cell_id"], batch_size=1000)
    return len(moved)
