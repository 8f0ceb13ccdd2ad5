"""The device registry in the admin, through the access module like every entry point:
rows and writes by the device's area (its point's community, else its building's).
A secret is never shown except once, on the page that answers the add or the "rotate"
action (not in a message: messages may travel in a cookie)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.devices import kinds, sealing, services
from community.devices.models import Device
from gis_app.admin_scoping import ScopedAdmin
from gis_app.errors import DomainError

_SECRET_ATTR = "_devices_new_secrets"  # noqa: S105 (an attribute name)


def _shown_once(request: HttpRequest, secrets: list[tuple[Device, str]]) -> HttpResponse:
    response = TemplateResponse(
        request,
        "devices/admin/secrets.html",
        {"title": _("New device secrets"), "secrets": secrets, "opts": Device._meta},
    )
    response["Cache-Control"] = "no-store"
    return response


@admin.register(Device)
class DeviceAdmin(ScopedAdmin):
    list_display = ["device_id", "name", "kind_label", "area", "owner", "floor", "active"]
    list_filter = ["active"]
    list_select_related = ["area", "owner"]
    search_fields = ["device_id", "name"]
    raw_id_fields = ["building"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["area", "secret_rotated_at", "revoked_at", "created_at"]
    actions = ["rotate_secrets", "revoke_devices"]
    fields = [
        "device_id",
        "name",
        "kind",
        "owner",
        "location",
        "building",
        "floor",
        "area",
        "active",
        "secret_rotated_at",
        "revoked_at",
        "created_at",
    ]

    @admin.display(description=gettext_lazy("kind"), ordering="kind")
    def kind_label(self, obj: Device) -> str:
        kind = kinds.get(obj.kind)
        return str(kind.label) if kind else obj.kind

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "kind":
            return forms.ChoiceField(
                label=db_field.verbose_name,
                choices=[("", "---------"), *kinds.choices()],
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("device_id")  # the sealed secret is bound to it
        return readonly

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            secret = sealing.new_secret()
            obj.secret_sealed = sealing.seal(secret, obj.device_id)
            setattr(request, _SECRET_ATTR, [(obj, secret)])
        super().save_model(request, obj, form, change)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        shown = getattr(request, _SECRET_ATTR, None)
        if shown:
            return _shown_once(request, shown)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=gettext_lazy("Rotate the secret of the selected devices"))
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[Device]) -> Any:
        shown = []
        for device in queryset:
            try:
                shown.append((device, services.rotate(device, actor=request.user)))
            except DomainError as exc:
                self.message_user(request, f"{device}: {exc}", messages.ERROR)
        return _shown_once(request, shown) if shown else None

    @admin.action(description=gettext_lazy("Revoke the selected devices"))
    def revoke_devices(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        count = 0
        for device in queryset:
            try:
                services.revoke(device, actor=request.user)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{device}: {exc}", messages.ERROR)
        if count:
            self.message_user(
                request, _("Devices revoked: %(count)d.") % {"count": count}, messages.SUCCESS
            )
