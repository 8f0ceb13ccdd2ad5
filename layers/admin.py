from typing import Any

from django.contrib import admin

from gis_app.admin_scoping import ScopedAdmin
from gis_app.roles import Action
from layers.models import AdminArea, GridCell, Layer, Stewardship


@admin.register(AdminArea)
class AdminAreaAdmin(ScopedAdmin):
    list_display = ["code", "name", "level", "parent", "is_public"]
    list_filter = ["level", "is_public"]
    search_fields = ["code", "name", "name_en"]
    fields = ["code", "level", "name", "name_en", "parent", "is_public", "boundary"]
    # boundaries come with the area (load_demo, importers); the page draws it on a map
    readonly_fields = ["code", "level", "parent", "boundary"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # areas are loaded with their boundaries (load_demo, importers)


@admin.register(GridCell)
class GridCellAdmin(ScopedAdmin):
    list_display = ["code", "name", "community"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "community", "boundary"]
    readonly_fields = ["code", "community", "boundary"]

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
    autocomplete_fields = ["layer", "area", "organization"]
    autocomplete_actions = {"area": Action.MANAGE}  # only areas the user administers
    list_select_related = ["layer", "area", "organization"]
