from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator, SchemaError

from component_catalog import catalog_data
from component_catalog.models import Changeset, Component, ComponentClass
from gis_app.admin_scoping import AuditedAdmin, ScopedAdmin
from layers.registry import ensure_component_layer


class ComponentClassForm(forms.ModelForm):
    class Meta:
        model = ComponentClass
        fields = [
            "code",
            "major",
            "name_zh",
            "name_en",
            "geometry_kind",
            "attribute_schema",
            "accuracy_threshold_m",
            "max_area_m2",
            "max_vertices",
            "default_public",
            "active",
        ]

    def clean_attribute_schema(self) -> dict[str, Any]:
        schema = self.cleaned_data.get("attribute_schema") or {}
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise forms.ValidationError(
                _("Not a valid JSON Schema: %(reason)s") % {"reason": exc.message}
            ) from None
        if schema.get("type", "object") != "object":
            raise forms.ValidationError(_("The attribute schema must describe an object."))
        return schema


@admin.register(ComponentClass)
class ComponentClassAdmin(ScopedAdmin):
    """The catalog; admins add local extension classes (e.g. 0127+, 9xxx)."""

    form = ComponentClassForm
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "geometry_kind",
        "default_public",
        "is_local",
        "accuracy_threshold_m",
        "active",
    ]
    list_filter = ["major", "geometry_kind", "default_public", "is_local"]
    search_fields = ["code", "name_zh", "name_en"]

    def save_model(
        self, request: HttpRequest, obj: ComponentClass, form: Any, change: bool
    ) -> None:
        obj.is_local = obj.code not in catalog_data.class_by_code() and len(obj.code) == 4
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if obj.is_minor:
                # every class has its map layer in the registry
                ensure_component_layer(
                    obj.code, obj.name_zh, obj.name_en, obj.geometry_kind, obj.default_public
                )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # a class's code and geometry cannot change once components may use it
        return ["code", "major", "geometry_kind"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: components refer to it


@admin.register(Component)
class ComponentAdmin(ScopedAdmin):
    """Read-only here: edits go through the versioned API and map editor, so that every
    change has a version, a changeset and history."""

    list_display = [
        "identifier",
        "name",
        "component_class",
        "status",
        "currency",
        "community",
        "owner",
        "maintainer",
        "version",
        "needs_review",
    ]
    list_filter = ["status", "currency", "needs_review", "component_class__major"]
    search_fields = ["identifier", "name", "address"]
    list_select_related = ["component_class", "owner", "maintainer", "community"]
    exclude = ["geometry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Changeset)
class ChangesetAdmin(AuditedAdmin):
    list_display = ["id", "user", "comment", "source", "created_at", "closed_at"]
    list_filter = ["source"]
    search_fields = ["comment", "user__username"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
