"""Buildings and base features follow the areas: after an import changed community
boundaries, those inside the changed region get the community holding their point on
surface again (``services.community_of``, as when they are drawn), and the moved ones are
announced to the tiles. Registered with ``layers.area_links`` in ``layers/apps.py``."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import GEOSGeometry

from layers import changes
from layers.basemap.models import LAYER_OF_KIND, BaseFeature, Building
from layers.basemap.services import TILE_LAYERS_OF_BUILDINGS, community_of


def _moved(rows: list[Any], *, keep_without: bool) -> list[Any]:
    moved = []
    for row in rows:
        community = community_of(row.geometry)
        if community is None and keep_without:
            continue
        if community != row.community_id:
            row.community_id = community
            moved.append(row)
    return moved


def rederive_buildings(region: GEOSGeometry) -> int:
    """Buildings inside ``region`` moved to another community (a footprint whose point now
    lies in no community keeps its community: a building always has one)."""
    rows = list(
        Building.objects.filter(geometry__intersects=region).only("id", "geometry", "community_id")
    )
    moved = _moved(rows, keep_without=True)
    if moved:
        Building.objects.bulk_update(moved, ["community_id"])
        changes.geometries_changed(TILE_LAYERS_OF_BUILDINGS, [b.geometry for b in moved])
    return len(moved)


def rederive_base_features(region: GEOSGeometry) -> int:
    """Roads, rivers, water and green space inside ``region`` moved to another community
    (or to none)."""
    rows = list(
        BaseFeature.objects.filter(geometry__intersects=region).only(
            "id", "kind", "geometry", "community_id"
        )
    )
    moved = _moved(rows, keep_without=False)
    if moved:
        BaseFeature.objects.bulk_update(moved, ["community_id"])
        layers = {LAYER_OF_KIND[f.kind] for f in moved if f.kind in LAYER_OF_KIND}
        changes.geometries_changed(layers, [f.geometry for f in moved])
    return len(moved)
