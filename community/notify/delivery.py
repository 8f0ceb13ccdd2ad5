"""Trying one delivery (an email or a webhook call) and recording the try.

Called by the worker (``tasks.deliver``). Every try is a ``DeliveryAttempt`` with its time,
HTTP status and error, committed before the worker learns the outcome, so a retry, a crash
or the last failure leave the record behind. A delivery that is no longer pending (a task
run twice) is left alone."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from community.notify import crypto, webhooks
from community.notify.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus
from community.notify.services import absolute
from community.notify.texts import in_order


class DeliveryFailed(Exception):
    """This try failed and another is due (the task's retry strategy waits first)."""


def email_of(payload: dict[str, Any]) -> tuple[str, str]:
    """Subject and text of an email: the site's language first, then the others."""
    parts = in_order(payload.get("texts") or {})
    subject = parts[0][1]["title"] if parts else ""
    blocks = [f"{t['title']}\n\n{t['body']}".strip() for _code, t in parts]
    link = absolute(payload.get("link") or "")
    text = "\n\n----\n\n".join(blocks) + (f"\n\n{link}" if link else "")
    return subject, text + "\n"


def _send_email(delivery: Delivery) -> webhooks.Outcome:
    user = delivery.recipient
    if user is None or not user.is_active or not user.email:
        return webhooks.Outcome(False, None, "The recipient has no active email address.")
    subject, text = email_of(delivery.payload)
    message = EmailMessage(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={"Auto-Submitted": "auto-generated", "X-Notify-Delivery": str(delivery.pk)},
        connection=get_connection(fail_silently=False),
    )
    try:
        message.send()
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
        return webhooks.Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    return webhooks.Outcome(True, None, "")


def _call_webhook(delivery: Delivery) -> webhooks.Outcome:
    subscription = delivery.subscription
    if subscription is None or not subscription.active:
        return webhooks.Outcome(False, None, "The subscription is no longer active.")
    try:
        secret = crypto.decrypt(subscription.secret_encrypted)
    except crypto.Unsealable:
        return webhooks.Outcome(
            False, None, "The secret cannot be decrypted (was NOTIFY_SECRET_KEY changed?)."
        )
    body = webhooks.encode(delivery.payload)
    return webhooks.post(subscription.url, secret, delivery.kind, delivery.pk, body)


def attempt(delivery_id: int) -> None:
    """Try the delivery once and record it; raise ``DeliveryFailed`` when it failed and
    another try is allowed (``NOTIFY_MAX_ATTEMPTS``), else mark it failed."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("recipient", "subscription")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return
        started = time.monotonic()
        if delivery.channel == Channel.EMAIL:
            outcome = _send_email(delivery)
        else:
            outcome = _call_webhook(delivery)
        delivery.attempts += 1
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            ok=outcome.ok,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        final = outcome.ok or delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS
        if final:
            delivery.status = DeliveryStatus.SENT if outcome.ok else DeliveryStatus.FAILED
            delivery.finished_at = timezone.now()
        delivery.save(update_fields=["attempts", "status", "finished_at"])
    if not final:
        raise DeliveryFailed(outcome.error or f"HTTP {outcome.status_code}")
