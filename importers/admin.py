"""Import jobs in the admin: read-only, and only the jobs the access module lets one see."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gis_app.admin_scoping import AuditedAdmin
from importers.models import ImportJob
from importers.policies import visible_jobs


@admin.register(ImportJob)
class ImportJobAdmin(AuditedAdmin):
    list_display = ("id", "file_name", "username", "status", "dry_run", "rows", "created_at")
    list_filter = ("status", "dry_run")
    search_fields = ("file_name", "username", "sha256")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportJob]:
        return visible_jobs(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
