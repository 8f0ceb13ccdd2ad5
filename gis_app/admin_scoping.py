"""Django admin through the access module: admins see and change only what their grants
allow, like every other entry point, and every admin write is audited like an API write.

The checks sit where every admin write passes, not in each view:

* the form (add and change pages, and the change list's editable rows): the row as it
  would be saved must be within the caller's grants, else the form shows an error naming
  the field and nothing is saved;
* ``save_model``: the row before and after the change, again (a guard for any other path);
* deletes (one object or "delete selected"): every object must be deletable by the
  caller, and a delete the database would refuse (rows still referenced, e.g. parking
  events) is shown as protected instead of failing with a server error;
* ``log_addition``/``log_change``/``log_deletions``: an audit event per row, in the
  admin's transaction.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.gis.db.models import GeometryField
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gis_app import access, audit
from gis_app.admin_widgets import GEOMETRY_OVERRIDES, LeafletGeometryWidget, render_read_only
from gis_app.models import AuditResult
from gis_app.roles import Action


def _record(request: HttpRequest, action: str, obj: Model, result: str, detail: Any) -> None:
    audit.record(
        action,
        actor=request.user,
        obj=obj if obj.pk is not None else None,
        object_type=obj._meta.label_lower,
        result=result,
        address=audit.source_address(request),
        detail=detail,
    )


def _changed_fields(message: Any) -> list[str]:
    """Field names out of the admin's change message (a list of {"changed": {...}})."""
    fields: list[str] = []
    for part in message if isinstance(message, list) else []:
        for kind in ("added", "changed", "deleted"):
            entry = part.get(kind) if isinstance(part, dict) else None
            if isinstance(entry, dict):
                fields.extend(entry.get("fields", []))
                if entry.get("name"):
                    fields.append(f"{kind}:{entry['name']}")
    return fields


class AuditedAdmin(admin.ModelAdmin):
    """Every write through the admin leaves an audit event, as API writes do. Field names
    are recorded, not values (values may be personal data)."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        _record(request, "admin.add", obj, AuditResult.SUCCESS, {"fields": "all"})
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        detail = {"fields": _changed_fields(message)}
        _record(request, "admin.change", obj, AuditResult.SUCCESS, detail)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        objects = list(queryset)
        entries = super().log_deletions(request, queryset)
        for obj in objects:
            _record(request, "admin.delete", obj, AuditResult.SUCCESS, {"repr": str(obj)[:200]})
        return entries


#: Suffix of the read-only map shown in place of a geometry field (``boundary_map``).
MAP_SUFFIX = "_map"


def is_autocomplete(request: HttpRequest) -> bool:
    """Is this the admin's autocomplete view (the search behind ``autocomplete_fields``)?"""
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name == "autocomplete")


def autocomplete_action(request: HttpRequest) -> Action:
    """What the autocomplete being answered serves: the action the source admin names for
    the field being filled in (``autocomplete_actions``, e.g. ``MANAGE`` for the area of a
    grant: only areas the user administers), else ``VIEW``."""
    try:
        model = apps.get_model(request.GET.get("app_label", ""), request.GET.get("model_name", ""))
    except (LookupError, ValueError):
        return Action.VIEW
    source = admin.site._registry.get(model)
    actions = getattr(source, "autocomplete_actions", {})
    return actions.get(request.GET.get("field_name", ""), Action.VIEW)


def _swap_fields(fields: Any, swap: set[str], seen: set[str]) -> Any:
    """``fields`` of a fieldset with each geometry field in ``swap`` shown as its map, once
    (Django's default fieldsets list the field and its read-only map both)."""
    if isinstance(fields, (list, tuple)):
        swapped = [_swap_fields(f, swap, seen) for f in fields]
        return type(fields)(f for f in swapped if f is not None)
    name = f"{fields}{MAP_SUFFIX}" if fields in swap else fields
    if isinstance(name, str) and name.endswith(MAP_SUFFIX):
        if name in seen:
            return None
        seen.add(name)
    return name


class MapsForGeometry:
    """Every geometry field drawn on a map: an editable widget on change and add pages
    (``formfield_overrides``), and the same map without drawing tools where the field is
    read-only (a view-only page, or a field in ``readonly_fields``), in place of GeoDjango's
    text ("1 part, 6 vertices").

    A read-only geometry field ``boundary`` is shown through a display callable named
    ``boundary_map`` (``__getattr__``), swapped into the fieldsets and read-only fields."""

    formfield_overrides: Any = GEOMETRY_OVERRIDES  # the map widget from local files, no CDN

    def _geometry_fields(self) -> dict[str, Any]:
        model = self.model  # type: ignore[attr-defined]
        return {f.name: f for f in model._meta.fields if isinstance(f, GeometryField)}

    def __getattr__(self, name: str) -> Any:
        if name.endswith(MAP_SUFFIX) and not name.startswith("_"):
            field = self._geometry_fields().get(name[: -len(MAP_SUFFIX)])
            if field is not None:
                return self._map_display(field)
        raise AttributeError(name)

    @staticmethod
    def _map_display(field: Any) -> Any:
        def show(obj: Any) -> str:
            value = getattr(obj, field.name, None) if obj is not None else None
            return render_read_only(field.name, value, field.geom_type)

        show.short_description = field.verbose_name  # type: ignore[attr-defined]
        return show

    def _maps_for(self, request: HttpRequest, obj: Any, readonly: Any) -> set[str]:
        geometry = set(self._geometry_fields())
        if not geometry:
            return set()
        if obj is not None and not self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            return geometry  # a view-only page: every field is read-only
        return geometry & set(readonly)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        swap = self._maps_for(request, obj, readonly)
        return [f for f in readonly if f not in swap] + [f"{f}{MAP_SUFFIX}" for f in sorted(swap)]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        readonly = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        swap = self._maps_for(request, obj, readonly)
        if not swap:
            return fieldsets
        seen: set[str] = set()
        return [
            (title, {**options, "fields": _swap_fields(options["fields"], swap, seen)})
            for title, options in fieldsets
        ]

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        if self._geometry_fields():
            # a view-only page has no geometry form field to bring the map's files along
            context["media"] = context["media"] + LeafletGeometryWidget().media
        return super().render_change_form(request, context, *args, **kwargs)  # type: ignore[misc]


#: Labels of foreign keys whose models give none (their default, the field's name, is
#: English on every page): the admin shows these, translated, instead.
FIELD_LABELS: dict[str, Any] = {
    "user": gettext_lazy("user"),
    "organization": gettext_lazy("organization"),
    "area": gettext_lazy("area"),
    "layer": gettext_lazy("layer"),
    "lot": gettext_lazy("parking lot"),
    "floor": gettext_lazy("floor"),
    "gate": gettext_lazy("gate"),
    "space": gettext_lazy("parking space"),
    "component": gettext_lazy("component"),
}


def _untranslated(field: Any) -> bool:
    return isinstance(field.verbose_name, str) and field.verbose_name == field.name.replace(
        "_", " "
    )


class TranslatedLabels:
    """Form labels and list columns of fields without a translated verbose name."""

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is not None and db_field.name in FIELD_LABELS and _untranslated(db_field):
            formfield.label = FIELD_LABELS[db_field.name]
        return formfield

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = super().get_list_display(request)  # type: ignore[misc]
        model = self.model  # type: ignore[attr-defined]
        return [_column(model, name) if isinstance(name, str) else name for name in columns]


def _column(model: Any, name: str) -> Any:
    try:
        field = model._meta.get_field(name)
    except Exception:  # a method or property of the admin or model
        return name
    if name not in FIELD_LABELS or not _untranslated(field):
        return name

    @admin.display(description=FIELD_LABELS[name], ordering=name)
    def show(obj: Any) -> Any:
        return getattr(obj, name)

    show.__name__ = name
    return show


class GuardedAdmin(TranslatedLabels, MapsForGeometry, AuditedAdmin):
    """An audited admin whose writes are checked row by row with ``may_write``; subclasses
    say what a write needs (``ScopedAdmin``: the model's access policy)."""

    # The form field an out-of-scope error is shown on (None: at the top of the form).
    scope_field: str | None = None

    def may_write(self, request: HttpRequest, obj: Any) -> bool:
        """May the user save ``obj`` as it stands? Subclasses say what a write needs; a
        subclass that does not writes nothing."""
        return False

    def scope_errors(self, request: HttpRequest, obj: Any) -> dict[str | None, str]:
        """Why ``obj`` may not be saved by this user, by form field (empty: it may)."""
        if self.may_write(request, obj):
            return {}
        return {
            self.scope_field: _(
                "This is outside what your role and area allow you to create or change."
            )
        }

    def _original(self, obj: Any) -> Any:
        if obj.pk is None or obj._state.adding:
            return None
        return type(obj)._base_manager.filter(pk=obj.pk).first()

    def _guard_form(self, request: HttpRequest, form_class: type[BaseForm]) -> Any:
        model_admin = self

        class GuardedForm(form_class):  # type: ignore[valid-type,misc]
            def _post_clean(self) -> None:
                super()._post_clean()  # type: ignore[misc]
                if self.errors:
                    return
                errors = model_admin.scope_errors(request, self.instance)
                if not errors:
                    return
                _record(
                    request,
                    "admin.change" if self.instance.pk else "admin.add",
                    self.instance,
                    AuditResult.DENIED,
                    {"fields": [name for name in errors if name]},
                )
                for name, message in errors.items():
                    self.add_error(name if name in self.fields else None, message)

        GuardedForm.__name__ = form_class.__name__
        return GuardedForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return self._guard_form(request, super().get_form(request, obj, change=change, **kwargs))

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        return self._guard_form(request, super().get_changelist_form(request, **kwargs))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        original = self._original(obj) if change else None
        if (original is not None and not self.may_write(request, original)) or not (
            self.may_write(request, obj)
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if any(not self.has_delete_permission(request, obj) for obj in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        objects = list(objs)
        if any(not self.has_delete_permission(request, obj) for obj in objects):
            perms_needed = set(perms_needed) | {str(self.opts.verbose_name)}
        if not protected and not perms_needed:
            protected = _refused_by_database(objects)
        return deleted, counts, perms_needed, protected


class _TrialOver(Exception):
    pass


def _refused_by_database(objects: list[Any]) -> list[str]:
    """Delete the objects in a savepoint that is always rolled back, with every deferred
    constraint checked at once: rows the database keeps referring to (history such as
    parking events, whose foreign keys the application never cascades) show up here as
    protected, instead of as an IntegrityError when the admin commits."""
    if not objects:
        return []
    alias = router.db_for_write(type(objects[0]))
    try:
        with transaction.atomic(using=alias):
            # a queryset delete: deleting the instances would clear their primary keys
            model = type(objects[0])
            model._base_manager.filter(pk__in=[obj.pk for obj in objects]).delete()
            with connections[alias].cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            raise _TrialOver
    except _TrialOver:
        return []
    except IntegrityError:
        return [
            _(
                "%(object)s is still referred to by recorded history (for example parking "
                "events) and cannot be deleted; deactivate it instead."
            )
            % {"object": obj}
            for obj in objects
        ]


class ScopedAdmin(GuardedAdmin):
    """A ModelAdmin whose rows and permissions come from ``gis_app.access``."""

    change_action = Action.MANAGE
    scope_field = "area"

    def may_write(self, request: HttpRequest, obj: Any) -> bool:
        return access.can(request.user, self.change_action, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.visible(request.user, super().get_queryset(request))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if is_autocomplete(request):
            # a choice for another admin's field: only rows the field's purpose allows
            queryset = access.visible(request.user, queryset, autocomplete_action(request))
        return super().get_search_results(request, queryset, search_term)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.has_module_permission(request)
        return access.can(request.user, Action.VIEW, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.can_anywhere(request.user, self.change_action, self.model)
        return access.can(request.user, self.change_action, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can_anywhere(request.user, self.change_action, self.model)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.can_anywhere(request.user, Action.DELETE, self.model)
        return access.can(request.user, Action.DELETE, obj)
