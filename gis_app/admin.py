from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gis_app import access, class_scope
from gis_app.admin_scoping import AuditedAdmin, ScopedAdmin, is_autocomplete
from gis_app.models import AuditEvent, Membership, Organization
from gis_app.policies import classes_within
from gis_app.roles import Action, Role, may_grant
from gis_app.views import ThrottledAuthenticationForm


class AdminLoginForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    """Admin login through the throttled, audited login service (staff only)."""


admin.site.login_form = AdminLoginForm
admin.site.site_header = _("Smart community platform administration")
admin.site.site_title = _("Smart community platform")


@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "area", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["area"]
    autocomplete_actions = {"area": Action.MANAGE}  # only areas the user administers
    fieldsets = [
        (None, {"fields": ["code", "name", "name_en", "kind"]}),
        (_("Home area"), {"fields": ["area", "active"]}),
    ]


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    """Grants: an admin gives only roles below its own, inside its own area and classes.
    A grant narrowed to a grid cell (a grid worker's) names the cell, one the admin
    administers; its area may be left empty: it becomes the cell's community."""

    list_display = ["user", "organization", "role", "area", "grid_cell", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "organization__name", "area__name", "grid_cell__code"]
    autocomplete_fields = ["user", "organization", "area", "grid_cell"]
    # a grant's area and cell: ones the user administers; users: see ``UserAdmin``
    autocomplete_actions = {
        "area": Action.MANAGE,
        "grid_cell": Action.MANAGE,
        "user": Action.MANAGE,
    }
    fieldsets = [
        (_("Who"), {"fields": ["user", "organization"]}),
        (_("Role and scope"), {"fields": ["role", "area", "grid_cell", "class_codes", "active"]}),
    ]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        grouped = class_scope.choices() if db_field.name == "class_codes" else None
        if grouped is None:
            formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
            if db_field.name == "area" and formfield is not None:
                # with a grid cell the area follows from it (``Membership.clean``)
                formfield.required = False
                formfield.help_text = _("May be left empty when a grid cell is chosen.")
            return formfield
        # picked from the catalog, not typed: a list of codes the ArrayField stores as is
        return forms.TypedMultipleChoiceField(
            choices=grouped,
            required=False,
            label=db_field.verbose_name,
            help_text=_("None chosen means all classes. Hold Ctrl (⌘ on a Mac) to choose several."),
            widget=forms.SelectMultiple(attrs={"size": 12}),
        )

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not access.is_superuser(request.user):
            grantable = {
                role
                for grant in access.grants(request.user)
                if grant.allows(Action.MANAGE)
                for role in Role.values
                if may_grant(grant.role, role)
            }
            kwargs["choices"] = [("", "---------")] + [
                (value, label) for value, label in Role.choices if value in grantable
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def scope_errors(self, request: HttpRequest, obj: Any) -> dict[str | None, str]:
        """Name the field that takes the membership outside the caller's grants."""
        if self.may_write(request, obj):
            return {}
        managing = [g for g in access.grants(request.user) if g.allows(Action.MANAGE)]
        covering = [g for g in managing if g.covers_area(obj.area_id)]
        if not covering:
            if obj.grid_cell_id:
                return {"grid_cell": gettext("This grid cell is outside the areas you administer.")}
            return {"area": gettext("This area is outside the areas you administer.")}
        if not any(may_grant(g.role, obj.role) for g in covering):
            return {"role": gettext("You may not give this role: it is not below your own.")}
        if not any(classes_within(g, obj.class_codes) for g in covering):
            return {"class_codes": gettext("These component classes are outside your own scope.")}
        return super().scope_errors(request, obj)


User = get_user_model()


class UserAdmin(AuditedAdmin, auth_admin.UserAdmin):
    """Django's user admin (its own permissions), and the user search behind a grant's
    "user" field for every admin who may grant roles: the users whose grants they see, and
    the accounts with no grant yet (new staff waiting for one), never the rest."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None and is_autocomplete(request):
            return access.can_anywhere(request.user, Action.MANAGE)
        return super().has_view_permission(request, obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if is_autocomplete(request):
            queryset = queryset.filter(is_active=True)
            if not access.is_superuser(request.user):
                granted = access.visible(request.user, Membership.objects.all(), Action.VIEW)
                queryset = queryset.filter(
                    Exists(granted.filter(user=OuterRef("pk")))
                    | ~Exists(Membership.objects.filter(user=OuterRef("pk"), active=True))
                )
        return super().get_search_results(request, queryset, search_term)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)


def audit_every_admin(site: admin.AdminSite) -> None:
    """Admins registered by other packages (users, groups, tokens, jobs) get the platform's
    audit of writes too; ours inherit it from ``AuditedAdmin``."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdmin):
            continue
        audited = type(type(model_admin).__name__, (AuditedAdmin, type(model_admin)), {})
        site.unregister(model)
        site.register(model, audited)


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdmin):
    """Read-only: the audit log is append-only in the database as well."""

    list_display = ["time", "actor_username", "action", "object_type", "object_id", "result"]
    list_filter = ["result", "action"]
    search_fields = ["actor_username", "object_id", "action"]
    date_hierarchy = "time"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_anywhere(request.user, access.Action.VIEW_AUDIT)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
