from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from gis_app import access
from gis_app.admin_scoping import ScopedAdmin
from gis_app.audit import source_address
from gis_app.errors import DomainError
from gis_app.roles import Action
from layers.area_import import forms as area_forms
from layers.models import AdminArea, GridCell, Layer, Stewardship


class AreaImportAdmin(ScopedAdmin):
    """ "Import from file" on the changelist: the upload form of the import page, run
    through the same service (``layers.area_import``), with its report on the page."""

    change_list_template = "admin/layers/area_changelist.html"
    import_level = "community"

    def get_urls(self) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        extra: list[URLPattern] = [
            path("import/", self.admin_site.admin_view(self.import_view), name=name)
        ]
        return extra + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra = {**(extra_context or {}), "can_import": self._may_import(request)}
        return super().changelist_view(request, extra)

    def _may_import(self, request: HttpRequest) -> bool:
        return access.can_anywhere(request.user, Action.MANAGE, AdminArea)

    def import_view(self, request: HttpRequest) -> TemplateResponse:
        if not self._may_import(request):
            raise PermissionDenied
        form = area_forms.AreaImportForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            initial={"level": self.import_level, "dry_run": True, "tolerance": 30.0},
        )
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import areas from a file"),
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            try:
                report, read = area_forms.run(form, request.user, source_address(request))
            except DomainError as exc:
                where = exc.field if exc.field in form.fields else None
                form.add_error(where, str(exc.message))
            else:
                context.update(area_forms.report_context(report, read))
        return TemplateResponse(request, "admin/layers/area_import.html", context)


@admin.register(AdminArea)
class AdminAreaAdmin(AreaImportAdmin):
    list_display = ["code", "name", "level", "parent", "source_code", "version", "is_public"]
    list_filter = ["level", "is_public"]
    search_fields = ["code", "name", "name_en", "source_code"]
    fields = [
        "code", "level", "name", "name_en", "parent", "source_code", "version", "is_public",
        "boundary",
    ]  # fmt: skip
    # boundaries come with the area (load_demo, "Import from file"); the page draws them
    readonly_fields = ["code", "level", "parent", "source_code", "version", "boundary"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # areas are loaded with their boundaries (load_demo, importers)


@admin.register(GridCell)
class GridCellAdmin(AreaImportAdmin):
    import_level = "grid"
    list_display = ["code", "name", "community", "source_code", "version"]
    search_fields = ["code", "name", "source_code"]
    fields = ["code", "name", "community", "source_code", "version", "boundary"]
    readonly_fields = ["code", "community", "source_code", "version", "boundary"]

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
