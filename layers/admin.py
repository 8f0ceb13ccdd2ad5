from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gis_app.admin_scoping import ScopedAdmin
from layers.models import AdminArea, GridCell, Layer, Stewardship


class BoundaryReadonly:
    """Boundaries are edited on the map, not as text; the admin shows a summary.
    (GeoDjango's map widget loads OpenLayers from a CDN, which the platform never does.)"""

    @admin.display(description=_("boundary"))
    def boundary_summary(self, obj: Any) -> str:
        if obj is None or obj.boundary is None:
            return "-"
        geom = obj.boundary
        return _("%(parts)d part(s), %(points)d vertices, centre %(x).5f, %(y).5f") % {
            "parts": len(geom),
            "points": geom.num_coords,
            "x": geom.point_on_surface.x,
            "y": geom.point_on_surface.y,
        }


@admin.register(AdminArea)
class AdminAreaAdmin(BoundaryReadonly, ScopedAdmin):
    list_display = ["code", "name", "level", "parent", "is_public"]
    list_filter = ["level", "is_public"]
    search_fields = ["code", "name", "name_en"]
    fields = ["code", "level", "name", "name_en", "parent", "is_public", "boundary_summary"]
    readonly_fields = ["code", "level", "parent", "boundary_summary"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # areas are loaded with their boundaries (load_demo, importers)


@admin.register(GridCell)
class GridCellAdmin(BoundaryReadonly, ScopedAdmin):
    list_display = ["code", "name", "community"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "community", "boundary_summary"]
    readonly_fields = ["code", "community", "boundary_summary"]

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(Layer)
class LayerAdmin(ScopedAdmin):
    list_display = [
        "code",
        "name_zh",
        "kind",
        "source",
        "geometry_kind",
        "is_public",
        "update_interval_days",
        "min_zoom",
        "max_zoom",
        "active",
    ]
    list_filter = ["kind", "is_public", "active", "geometry_kind"]
    search_fields = ["code", "name_zh", "name_en", "source"]
    list_editable = ["is_public", "active"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return ["code", "kind", "source", "geometry_kind"] if obj is not None else []


@admin.register(Stewardship)
class StewardshipAdmin(ScopedAdmin):
    list_display = ["layer", "area", "organization", "role", "note"]
    list_filter = ["role", "layer__kind"]
    search_fields = ["layer__code", "area__name", "organization__name"]
    raw_id_fields = ["area"]
    list_select_related = ["layer", "area", "organization"]
