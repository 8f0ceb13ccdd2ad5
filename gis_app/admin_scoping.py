"""Django admin through the access module: admins see and change only what their
grants allow, like every other entry point."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gis_app import access
from gis_app.admin_widgets import GEOMETRY_OVERRIDES
from gis_app.roles import Action


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows and permissions come from ``gis_app.access``."""

    change_action = Action.MANAGE
    formfield_overrides = GEOMETRY_OVERRIDES  # the map widget from local files, no CDN

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.visible(request.user, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.has_module_permission(request)
        return access.can(request.user, Action.VIEW, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.can_anywhere(request.user, self.change_action)
        return access.can(request.user, self.change_action, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can_anywhere(request.user, self.change_action)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.can_anywhere(request.user, Action.DELETE)
        return access.can(request.user, Action.DELETE, obj)
