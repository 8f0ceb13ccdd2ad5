from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gis_app import access
from gis_app.admin_scoping import ScopedAdmin
from gis_app.models import AuditEvent, Membership, Organization
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
    raw_id_fields = ["area"]


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["user", "organization", "role", "area", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "organization__name", "area__name"]
    raw_id_fields = ["user", "organization", "area"]


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
