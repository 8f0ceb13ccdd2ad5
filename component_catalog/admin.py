from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator, SchemaError

from component_catalog import admin_attributes, catalog_data, services
from component_catalog.admin_editing import ComponentAdminForm
from component_catalog.inputs import ORGANIZATION_FIELDS
from component_catalog.models import Changeset, Component, ComponentClass
from gis_app import access
from gis_app.admin_scoping import MAP_SUFFIX, AuditedAdmin, ScopedAdmin
from gis_app.history import EditorView
from gis_app.roles import Action
from layers.registry import ensure_component_layer

HISTORY_ROWS = 10  # the change page shows the latest edits; the API has them all
#: The request of the change page being rendered (a display callable gets only the object).
_VIEWER: ContextVar[HttpRequest | None] = ContextVar("component_admin_viewer", default=None)


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


def class_label(klass: ComponentClass) -> str:
    """``0101 上水井盖`` on a Chinese page, ``0101 Water-supply manhole cover`` on others."""
    english = admin_attributes.english() and klass.name_en
    return f"{klass.code} {klass.name_en if english else klass.name_zh}"


class MajorClassFilter(admin.RelatedFieldListFilter):
    """Filter by major class (the two-digit codes only), named in the page's language."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        majors = ComponentClass.objects.filter(code__regex=r"^\d{2}$").order_by("code")
        return [(k.code, class_label(k)) for k in majors]


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
    list_filter = [("major", MajorClassFilter), "geometry_kind", "default_public", "is_local"]
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


#: Read-only fields of a component's survey and provenance record (a folded section).
SURVEY_RECORD_FIELDS = [
    "gnss_fix",
    "gnss_accuracy_m",
    "gnss_satellites",
    "gnss_time",
    "gnss_device",
    "needs_review",
    "review_reason",
    "source_name",
    "source_row",
    "created_at",
    "updated_at",
]


@admin.register(Component)
class ComponentAdmin(ScopedAdmin):
    """Components, edited through the same service as the API (``admin_editing``): every
    change names the version it started from, bumps it, and leaves history and an audit
    event. Creating, retiring and deleting stay with the API and the map editor."""

    form = ComponentAdminForm
    change_action = Action.CHANGE
    scope_field = "geometry"
    list_display = [
        "identifier",
        "name",
        "class_name",
        "status",
        "currency",
        "community",
        "owner",
        "maintainer",
        "version",
        "needs_review",
    ]
    list_filter = [
        "status",
        "currency",
        "needs_review",
        ("component_class__major", MajorClassFilter),
    ]
    search_fields = ["identifier", "name", "address"]
    list_select_related = ["component_class", "owner", "maintainer", "community"]
    autocomplete_fields = ["competent_department", "owner", "maintainer"]
    readonly_fields = [
        "identifier",
        "class_name",
        "version",
        "currency",
        "community",
        "grid_cell",
        "attributes_table",
        *SURVEY_RECORD_FIELDS,
        "recent_history",
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = obj is not None and self.has_change_permission(request, obj)
        attributes = (
            list(admin_attributes.schema_fields(obj.component_class.attribute_schema))
            if editable
            else ["attributes_table"]
        )
        fieldsets: list[tuple[Any, dict[str, Any]]] = [
            (None, {"fields": ["identifier", "class_name", "version", "currency"]}),
            (_("Location"), {"fields": ["geometry", "community", "grid_cell"]}),
            (
                _("Description"),
                {
                    "fields": [
                        "name",
                        "address",
                        "status",
                        "data_source",
                        ("initial_date", "change_date"),
                        "notes",
                    ]
                },
            ),
            (_("Class attributes"), {"fields": attributes}),
            (_("Ownership"), {"fields": list(ORGANIZATION_FIELDS)}),
            (
                _("Survey record"),
                {
                    "classes": ["collapse"],
                    "fields": SURVEY_RECORD_FIELDS,
                },
            ),
        ]
        fieldsets.append((_("Recent changes"), {"fields": ["recent_history"]}))
        if editable:
            change = ["comment", "base_version"]
            if access.can(request.user, Action.RETIRE, obj):
                change.insert(1, "retire")
            fieldsets.append((_("Your change"), {"fields": change}))
        # the geometry on a map, drawn read-only where the user may not change it
        swap = self._maps_for(request, obj, self.get_readonly_fields(request, obj))
        return [
            (title, {**opts, "fields": [_map_name(f, swap) for f in opts["fields"]]})
            for title, opts in fieldsets
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        # the class's attribute fields are made by the form itself, per component
        if kwargs.get("fields") is not None:
            kwargs["fields"] = [
                f for f in kwargs["fields"] if not f.startswith(admin_attributes.PREFIX)
            ]
        return super().get_form(request, obj, change=change, **kwargs)

    def _guard_form(self, request: HttpRequest, form_class: type[BaseForm]) -> Any:
        guarded = super()._guard_form(request, form_class)

        class SavedThroughServices(guarded):  # type: ignore[valid-type,misc]
            def _post_clean(self) -> None:
                super()._post_clean()
                if not self.errors and self.instance.pk is not None:
                    self.save_through_services(request)

        SavedThroughServices.__name__ = form_class.__name__
        return SavedThroughServices

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # the form saved it through the services while it was validated
        if not getattr(form, "saved_through_services", False):
            raise PermissionDenied

    @admin.display(description=_("class"), ordering="component_class")
    def class_name(self, obj: Component) -> str:
        return class_label(obj.component_class)

    @admin.display(description=_("attributes"))
    def attributes_table(self, obj: Component) -> str:
        schema = obj.component_class.attribute_schema or {}
        props = schema.get("properties") or {}
        values = obj.attributes or {}
        rows = [
            (admin_attributes.label_of(name, props.get(name) or {}), values[name])
            for name in [*props, *sorted(set(values) - set(props))]
            if name in values
        ]
        if not rows:
            return "-"
        return format_html(
            '<table class="sc-attributes"><tbody>{}</tbody></table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("recent changes"))
    def recent_history(self, obj: Component) -> str:
        request = _VIEWER.get()
        if request is None:
            return "-"
        _component, entries = services.history_of(request.user, obj.identifier)
        entries = list(reversed(entries))[:HISTORY_ROWS]
        editors = EditorView(request.user, obj, [e.actor_id for e in entries])
        rows = []
        for entry in entries:
            who = editors.fields(entry.actor_id, entry.actor_username, entry.changeset.comment)
            rows.append(
                (
                    entry.version,
                    date_format(timezone.localtime(entry.time), "SHORT_DATETIME_FORMAT"),
                    entry.get_action_display(),
                    who["actor"],
                    who["comment"] or "",
                    ", ".join(sorted(entry.changes)) if entry.action == "update" else "",
                )
            )
        if not rows:
            return "-"
        heads = [_("version"), _("time"), _("action"), _("by"), _("comment"), _("changed")]
        return format_html(
            '<table class="sc-history"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
            format_html_join("", "<th>{}</th>", ((h,) for h in heads)),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                rows,
            ),
        )

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # the history table shows editors as this user may see them (``EditorView``)
        token = _VIEWER.set(request)
        try:
            response = super().changeform_view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()  # now, while the viewer is known
            return response
        finally:
            _VIEWER.reset(token)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a new component gets its identifier from the API or map editor

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire it instead (API, map editor): history keeps referring to it


def _map_name(field: Any, swap: set[str]) -> Any:
    return f"{field}{MAP_SUFFIX}" if isinstance(field, str) and field in swap else field


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
