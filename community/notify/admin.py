"""Admin pages of notifications, through the access module (``policies``: a city-level
grant that may manage): webhook subscriptions and the record of their deliveries.

A subscription's secret is made by the platform (256 random bits), encrypted at rest, and
shown once, on the page that answers the save that made it (never in a message, which would
travel in a cookie); afterwards only its last four characters are shown. Tick "new secret"
to rotate it. Email deliveries are not listed: they name a person."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from community.notify import crypto, kinds
from community.notify.models import Channel, Delivery, DeliveryAttempt, WebhookSubscription
from gis_app import access
from gis_app.admin_scoping import ScopedAdmin
from gis_app.roles import Action

_NEW_SECRET = "_notify_new_secret"  # noqa: S105 (the request attribute that holds it)


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    kinds = forms.MultipleChoiceField(
        label=_("kinds"),
        required=False,
        choices=kinds.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The kinds of notification sent to it; none chosen means all."),
    )
    new_secret = forms.BooleanField(
        label=_("New secret"),
        required=False,
        help_text=_("Make a new secret (shown once after saving); the old one stops working."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "kinds", "active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ScopedAdmin):
    form = SubscriptionForm
    scope_field = None  # type: ignore[assignment]  # no area: a city-wide setting
    list_display = ["name", "url", "active", "secret_hint", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_hint", "created_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "url", "kinds", "active"]
        return fields + ["secret_hint", "new_secret", "created_at"] if obj else fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change or form.cleaned_data.get("new_secret"):
            secret = crypto.new_secret()
            obj.secret_encrypted = crypto.encrypt(secret)
            obj.secret_hint = crypto.hint(secret)
            setattr(request, _NEW_SECRET, secret)
        super().save_model(request, obj, form, change)

    def _show_secret(self, request: HttpRequest, obj: Any) -> HttpResponse | None:
        secret = getattr(request, _NEW_SECRET, None)
        if secret is None:
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "subscription": obj,
            "secret": secret,
            "title": _("The subscription's secret"),
        }
        response = TemplateResponse(request, "notify/admin_secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        return self._show_secret(request, obj) or super().response_add(request, obj)

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        return self._show_secret(request, obj) or super().response_change(request, obj)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ("number", "at", "ok", "status_code", "error", "duration_ms")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.can_anywhere(request.user, Action.VIEW, DeliveryAttempt)
        return access.can(request.user, Action.VIEW, obj)  # obj: the delivery

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdmin):
    """Webhook calls and their tries, read only."""

    scope_field = None  # type: ignore[assignment]  # no area: a city-wide setting
    list_display = ["id", "subscription", "kind", "status", "attempts", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["subscription"]
    fields = readonly_fields = (
        "subscription",
        "kind",
        "status",
        "attempts",
        "created_at",
        "finished_at",
    )
    inlines = [AttemptInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(channel=Channel.WEBHOOK)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
