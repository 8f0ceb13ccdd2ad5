"""Components follow the areas: after an import changed community or grid-cell boundaries,
the components inside the changed region get their community and grid cell derived
again (from their point on surface, as when they are placed) and the moved ones are
announced to the tiles. Registered with ``layers.area_links`` in ``apps.py``.

:func:`relocate` is the shared step for any model placed by community and grid cell (the
service requests of ``community.matters`` use it too)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.gis.geos import GEOSGeometry

from component_catalog import sql
from component_catalog.models import Component
from layers import changes


def relocate(
    rows: Sequence[Any], geometry: Callable[[Any], Any], keeps: Callable[[Any, str], bool]
) -> list[Any]:
    """Derive the community and grid cell of each row from ``geometry(row)`` and set them on
    the rows that moved (not saved); the moved rows. A row whose geometry now lies in no
    community, or for which ``keeps(row, new_community)`` is true, keeps its place."""
    found = sql.locate_many([bytes(geometry(row).wkb) for row in rows]) if rows else []
    moved = []
    for row, (community, grid) in zip(rows, found, strict=True):
        current = (row.community_id, row.grid_cell_id)
        if community is None or keeps(row, community) or (community, grid) == current:
            continue
        row.community_id = community
        row.grid_cell_id = grid
        moved.append(row)
    return moved


def rederive(region: GEOSGeometry) -> int:
    """Re-derive the community and grid cell of the components inside ``region``; the
    number that moved. A component whose point now lies in no community, or in one of
    another county (its identifier carries the county), keeps its community."""
    rows = list(
        Component.objects.filter(geometry__intersects=region).only(
            "id", "geometry", "community_id", "grid_cell_id", "component_class_id", "county_code"
        )
    )
    moved = relocate(
        rows, lambda c: c.geometry, lambda c, community: community[:6] != c.county_code
    )
    if moved:
        Component.objects.bulk_update(moved, ["community_id", "grid_cell_id"], batch_size=1000)
        changes.components_changed(
            {c.component_class_id for c in moved}, [c.geometry for c in moved]
        )
    return len(moved)
