"""Client applications of the Open311 endpoint (their ``api_key``, stored only as a digest)
and what an Open311 submission carried beyond the request itself."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientApplication(models.Model):
    """An application allowed to submit requests. Its key is made by the platform, shown
    once when it is made, and kept only as a SHA-256 digest (the key has 256 random bits,
    so a plain digest cannot be reversed by guessing)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(
        _("operator"), max_length=200, blank=True, help_text=_("Who runs the application.")
    )
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(_("key ends with"), max_length=8, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        app_label = "matters"
        ordering = ["name"]
        verbose_name = _("Open311 client application")
        verbose_name_plural = _("Open311 client applications")

    def __str__(self) -> str:
        return self.name


class Open311Submission(models.Model):
    """Which application submitted a request, and the ``media_url`` it sent (answered back
    as the request's ``media_url``). No contact field is kept here."""

    request = models.OneToOneField(
        "matters.ServiceRequest", on_delete=models.CASCADE, related_name="open311"
    )
    application = models.ForeignKey(ClientApplication, on_delete=models.PROTECT, related_name="+")
    media_url = models.URLField(max_length=500, blank=True)
    address_string = models.CharField(max_length=250, blank=True)

    class Meta:
        app_label = "matters"

    def __str__(self) -> str:
        return f"{self.application_id}: {self.request_id}"
