"""Components follow the areas: after an import changed community or grid-cell boundaries,
the components inside the changed region get their community and grid cell derived
again (from their point on surface, as when they are placed) and the moved ones are
announced to the tiles. Registered with ``layers.area_links`` in ``apps.py``."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry

from component_catalog import sql
from component_catalog.models import Component
from layers import changes


def rederive(region: GEOSGeometry) -> int:
    """Re-derive the community and grid cell of the components inside ``region``; the
    number that moved. A component whose point now lies in no community, or in one of
    another county (its identifier carries the county), keeps its community."""
    rows = list(
        Component.objects.filter(geometry__intersects=region).only(
            "id", "geometry", "community_id", "grid_cell_id", "component_class_id", "county_code"
        )
    )
    if not rows:
        return 0
    found = sql.locate_many([bytes(c.geometry.wkb) for c in rows])
    moved: list[Component] = []
    for component, (community, grid) in zip(rows, found, strict=True):
        if community is None or community[:6] != component.county_code:
            continue
        if (community, grid) == (component.community_id, component.grid_cell_id):
            continue
        component.community_id = community
        component.grid_cell_id = grid
        moved.append(component)
    if moved:
        Component.objects.bulk_update(moved, ["community_id", "grid_cell_id"], batch_size=1000)
        changes.components_changed(
            {c.component_class_id for c in moved}, [c.geometry for c in moved]
        )
    return len(moved)
