"""The notification service: ``send`` puts a message into users' inboxes and queues its
emails and webhook calls, all in one transaction; reading and marking the inbox.

Deliveries are queued with the procrastinate job in the same transaction as the messages
(procrastinate writes its job row through Django's connection): if the caller's transaction
rolls back, nothing was sent and nothing is queued, and the worker sees a delivery only once
it is committed. The worker (``tasks.deliver``) tries each delivery and records every try."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from community.notify import kinds
from community.notify.models import Channel, Delivery, Message, WebhookSubscription
from community.notify.texts import Text, render
from gis_app.errors import InvalidInput, NotFound
from gis_app.types import User

DEFAULT_CHANNELS = frozenset({Channel.INBOX, Channel.EMAIL})


@dataclass(frozen=True)
class Sent:
    """What ``send`` made: inbox messages and the deliveries queued."""

    messages: list[Message]
    deliveries: list[Delivery]


def _check_link(link: str) -> str:
    """A path on this site (no scheme, no host): a notification never sends people away."""
    link = link.strip()
    if link and (
        not link.startswith("/")
        or link.startswith("//")
        or "\\" in link
        or len(link) > 500
        or any(ord(c) < 32 for c in link)
    ):
        raise InvalidInput(
            _("The link must be a path on this site, such as /imports/1/."), field="link"
        )
    return link


def absolute(link: str) -> str:
    return settings.NOTIFY_SITE_URL.rstrip("/") + link if link else ""


def _webhook_body(kind: str, texts: dict[str, dict[str, str]], link: str) -> dict[str, object]:
    """What other platforms receive: the event, never who it was for."""
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "created_at": timezone.now().isoformat(),
        "texts": texts,
        "link": absolute(link),
    }


def send(
    recipients: Iterable[AuthUser],
    kind: str,
    title: Text,
    body: Text = "",
    link: str = "",
    channels: Collection[str] = DEFAULT_CHANNELS,
) -> Sent:
    """Notify ``recipients`` of an event of ``kind`` (registered with ``kinds.register``).

    Channels: ``inbox`` (a message per recipient), ``email`` (to each active recipient
    with an address, through Django's email backend), ``webhook`` (one signed POST per
    active subscription that wants ``kind``, whoever the recipients). ``title``/``body``
    follow ``texts`` (rendered per language, refused if they carry personal data); ``link``
    is a path on this site. Emails and webhook calls are queued in this transaction and
    tried by the worker with backoff."""
    kinds.label(kind)
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"unknown notification channels {sorted(unknown)}")
    texts = render(title, body)
    link = _check_link(link)
    people = list({u.pk: u for u in recipients if u.is_active}.values())
    with transaction.atomic():
        messages: list[Message] = []
        if Channel.INBOX in channels:
            messages = Message.objects.bulk_create(
                Message(recipient=u, kind=kind, texts=texts, link=link) for u in people
            )
        outgoing: list[Delivery] = []
        if Channel.EMAIL in channels:
            payload = {"texts": texts, "link": link}
            outgoing += [
                Delivery(channel=Channel.EMAIL, kind=kind, recipient=u, payload=payload)
                for u in people
                if u.email
            ]
        if Channel.WEBHOOK in channels:
            outgoing += [
                Delivery(
                    channel=Channel.WEBHOOK,
                    kind=kind,
                    subscription=s,
                    payload=_webhook_body(kind, texts, link),
                )
                for s in WebhookSubscription.objects.filter(active=True)
                if s.wants(kind)
            ]
        deliveries = Delivery.objects.bulk_create(outgoing)
        if deliveries:
            from community.notify.tasks import deliver

            for delivery in deliveries:
                deliver.defer(delivery_id=delivery.pk)
    return Sent(messages, deliveries)


# --- the inbox ----------------------------------------------------------------------------


def inbox(user: User) -> QuerySet[Message]:
    """The user's own messages, newest first (nobody else's, whatever their grants)."""
    if not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(recipient_id=user.pk)


def unread_count(user: User) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def own_message(user: User, pk: int) -> Message:
    """One of the user's messages; another's answers ``NotFound`` like a missing one."""
    message = inbox(user).filter(pk=pk).first()
    if message is None:
        raise NotFound(_("No such message."))
    return message


def mark_read(user: User, pk: int | None = None) -> int:
    """Mark one of the user's messages (``pk``) or all of them read; the number changed."""
    unread = inbox(user).filter(read_at__isnull=True)
    if pk is not None:
        own_message(user, pk)
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())
