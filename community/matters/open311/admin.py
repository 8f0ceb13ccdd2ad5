"""Admin of Open311 client applications, for city-level administrators (``policies``).
The api_key is made by the platform and shown once, on the page that answers the save
that made it; only its digest and last four characters are kept. Tick "new key" to rotate
it (the old key stops working at once)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from community.matters.open311 import keys, policies
from community.matters.open311.models import ClientApplication
from gis_app.admin_scoping import ScopedAdmin

_NEW_KEY = "_open311_new_key"

policies.register()


class ApplicationForm(forms.ModelForm):
    new_key = forms.BooleanField(
        label=_("New key"),
        required=False,
        help_text=_("Make a new api_key (shown once after saving); the old one stops working."),
    )

    class Meta:
        model = ClientApplication
        fields = ["name", "contact", "active"]


@admin.register(ClientApplication)
class ClientApplicationAdmin(ScopedAdmin):
    form = ApplicationForm
    scope_field = None  # type: ignore[assignment]  # no area: a city-wide setting
    list_display = ["name", "contact", "active", "key_hint", "last_used_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "contact"]
    readonly_fields = ["key_hint", "last_used_at", "created_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "contact", "active"]
        return fields + ["key_hint", "new_key", "last_used_at", "created_at"] if obj else fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change or form.cleaned_data.get("new_key"):
            setattr(request, _NEW_KEY, keys.issue(obj))
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _show_key(self, request: HttpRequest, obj: Any) -> HttpResponse | None:
        key = getattr(request, _NEW_KEY, None)
        if key is None:
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "application": obj,
            "key": key,
            "title": _("The application's api_key"),
        }
        response = TemplateResponse(request, "matters/open311_key.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        return self._show_key(request, obj) or super().response_add(request, obj)

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        return self._show_key(request, obj) or super().response_change(request, obj)
