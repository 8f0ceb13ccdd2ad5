"""What notifications leave behind: the inbox (``Message``), the webhook subscriptions of
other platforms, and one ``Delivery`` per message sent outside the platform (an email, a
webhook call) with each ``DeliveryAttempt`` and its outcome.

Message texts are stored in every language of the site (``texts``), so each reader sees
them in their own. They hold no personal data (see ``community.notify.texts``)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")


class Message(models.Model):
    """One notification in one user's inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    texts = models.JSONField(_("texts"))  # {language: {"title": ..., "body": ...}}
    link = models.CharField(_("link"), max_length=500, blank=True)  # a path on this site
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notify_message_unread",
            ),
            models.Index(fields=["recipient", "-created_at"], name="notify_message_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def text(self, part: str, language: str | None = None) -> str:
        """The title or body in ``language`` (the active one by default), else the site's."""
        texts: dict[str, dict[str, str]] = self.texts or {}
        for code in (language or get_language(), settings.LANGUAGE_CODE):
            if code in texts:
                return str(texts[code].get(part, ""))
        first: dict[str, str] = next(iter(texts.values()), {})
        return str(first.get(part, ""))

    @property
    def title(self) -> str:
        return self.text("title")

    @property
    def body(self) -> str:
        return self.text("body")


class WebhookSubscription(models.Model):
    """Another platform that receives notifications as signed HTTP POSTs. The secret is
    encrypted at rest (``crypto``) and never shown back: the admin shows its last four
    characters and a new one once, when it is made."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(_("secret"), max_length=16, editable=False)
    kinds = models.JSONField(
        _("kinds"),
        default=list,
        blank=True,
        help_text=_("The kinds of notification sent to it; none chosen means all."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return self.active and (not self.kinds or kind in self.kinds)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")  # every attempt failed


class Delivery(models.Model):
    """One message on its way out: an email to a user, or a webhook call."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=64)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )  # email: the user it goes to (the address is read when it is sent)
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    payload = models.JSONField(default=dict, blank=True)  # texts, link (email); body (webhook)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="notify_delivery_target",
                condition=(
                    models.Q(channel="email", recipient__isnull=False, subscription__isnull=True)
                    | models.Q(
                        channel="webhook", recipient__isnull=True, subscription__isnull=False
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk}"


class DeliveryAttempt(models.Model):
    """One try of a delivery: when, the HTTP status (webhooks) and the error, if any."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("time"), auto_now_add=True)
    ok = models.BooleanField(_("succeeded"))
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="notify_attempt_once")
        ]

    def __str__(self) -> str:
        return f"{self.delivery} try {self.number}"
