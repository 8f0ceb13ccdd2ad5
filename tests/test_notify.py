"""Notifications (issue 17, item 5): the inbox and its unread badge on the main menu, email
received by a real SMTP server (aiosmtpd) started here, signed webhooks to a local receiver
that answers 500 and then 200 (retried, both tries recorded), and background imports that
tell their owner how they ended.

The worker has its own database connection, so the delivery tests commit for real and
remove what they made."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from community import notify
from community.notify import kinds
from community.notify.models import Delivery, DeliveryStatus, Message, WebhookSubscription
from community.notify.texts import localized
from gis_app.errors import InvalidInput
from importers.models import ImportJob, ImportStatus
from tests.components_helpers import inside
from tests.test_import_jobs import geojson, point, upload

PASSWORD = "demo-pass-2019"
KIND = "test.notice"
kinds.register(KIND, "Test notice")


def login(username: str, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=username, password=PASSWORD)
    return client


def menu_entry(client: Client) -> str | None:
    """The inbox entry of the main menu as HTML (None when the menu has none)."""
    html = client.get("/").content.decode()
    nav = html.split('class="topnav"', 1)[1].split("</nav>", 1)[0]
    found = re.search(r'<a href="/notifications/"[^>]*>(.*?)</a>', nav, re.S)
    return found.group(1) if found else None


def badge(client: Client) -> str | None:
    entry = menu_entry(client)
    assert entry is not None, "no inbox entry in the menu"
    found = re.search(r'<span class="badge"[^>]*>([^<]+)</span>', entry)
    return found.group(1) if found else None


def all_read() -> None:
    """Start from an empty badge: imports run by other tests leave committed messages."""
    Message.objects.filter(read_at__isnull=True).update(read_at=timezone.now())


def work(queue: str = "notify") -> None:
    """Run a procrastinate worker on ``queue`` until nothing is due."""
    from procrastinate.contrib.django import app

    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            wait=False, install_signal_handlers=False, listen_notify=False, queues=[queue]
        )


# --- the inbox ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_inbox_and_unread_badge_in_both_languages() -> None:
    all_read()
    worker = User.objects.get(username="community_worker")
    first = notify.send(
        [worker],
        KIND,
        localized(_("Import job %(job)s finished"), job=41),
        localized(_("Import job %(job)s failed"), job=41),
        link="/imports/",
        channels={"inbox"},
    )
    notify.send([worker], KIND, "第二条 second", channels={"inbox"})
    zh, en = login("community_worker"), login("community_worker", "en")
    assert "消息" in (menu_entry(zh) or "") and badge(zh) == "2"
    assert "Messages" in (menu_entry(en) or "") and badge(en) == "2"

    page = zh.get("/notifications/").content.decode()
    assert "导入任务 41 已完成" in page and "2 条未读消息" in page
    assert page.index("第二条") < page.index("导入任务 41 已完成")  # newest first
    page_en = en.get("/notifications/").content.decode()
    assert "Import job 41 finished" in page_en and "2 unread messages" in page_en
    assert "导入" not in page_en

    opened = zh.get(f"/notifications/{first.messages[0].pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/imports/"
    assert badge(zh) == "1"
    assert zh.post("/notifications/read/").status_code == 302
    assert badge(zh) is None and "消息" in (menu_entry(zh) or "")
    assert Message.objects.filter(recipient=worker, read_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_nobody_reads_another_users_inbox() -> None:
    all_read()
    worker = User.objects.get(username="community_worker")
    sent = notify.send([worker], KIND, "只给社区工作人员", channels={"inbox"})
    message = sent.messages[0]
    for username in ("surveyor_water", "city_admin"):
        other = login(username)
        assert other.get(f"/notifications/{message.pk}/").status_code == 404
        assert other.post(f"/notifications/{message.pk}/read/").status_code == 404
        assert "只给社区工作人员" not in other.get("/notifications/").content.decode()
        assert badge(other) is None
    message.refresh_from_db()
    assert message.read_at is None
    anonymous = Client()
    assert anonymous.get("/notifications/").status_code == 302  # to the login page
    assert menu_entry(anonymous) is None


@pytest.mark.django_db
def test_personal_data_is_refused_and_nothing_is_stored() -> None:
    worker = User.objects.get(username="community_worker")
    for title, body in (
        ("请回电 13812345678", ""),
        ("身份证", "330106199001011234 已登记"),
        ("联系", "write to zhang.san@example.com"),
    ):
        with pytest.raises(InvalidInput) as refused:
            notify.send([worker], KIND, title, body, channels={"inbox", "email"})
        assert refused.value.field == ("title" if not body else "body")
    with pytest.raises(InvalidInput) as away:
        notify.send([worker], KIND, "ok", link="https://elsewhere.example/", channels={"inbox"})
    assert away.value.field == "link"
    assert not Message.objects.filter(recipient=worker).exists()


@pytest.mark.django_db
def test_a_rolled_back_send_queues_nothing() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        before = cursor.fetchone()[0]
    worker = User.objects.get(username="community_worker")
    worker.email = "worker@example.test"
    worker.save()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.send([worker], KIND, "回滚", channels={"inbox", "email"})
        raise RuntimeError
    assert not Message.objects.filter(recipient=worker).exists()
    assert not Delivery.objects.filter(recipient=worker).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE id > %s", [before])
        assert cursor.fetchone()[0] == 0


# --- email and webhooks, through the worker ---------------------------------------------------


@pytest.fixture
def real_db(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Real commits (the worker cannot see a test transaction), removed afterwards."""
    with django_db_blocker.unblock(), translation.override("en"):
        first_message = Message.objects.order_by("-id").values_list("id", flat=True).first()
        first_delivery = Delivery.objects.order_by("-id").values_list("id", flat=True).first()
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
            first_job = cursor.fetchone()[0]
        emails = dict(User.objects.values_list("username", "email"))
        first_import = ImportJob.objects.order_by("-id").values_list("id", flat=True).first()
        yield
        ImportJob.objects.filter(id__gt=first_import or 0).delete()
        Message.objects.filter(id__gt=first_message or 0).delete()
        Delivery.objects.filter(id__gt=first_delivery or 0).delete()
        WebhookSubscription.objects.all().delete()
        for username, email in emails.items():
            User.objects.filter(username=username).exclude(email=email).update(email=email)
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM procrastinate_jobs "
                "WHERE id > %s AND queue_name IN ('notify', 'imports')",
                [first_job],
            )


class Inbox:
    """aiosmtpd handler: keeps every message the server accepts."""

    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:  # a free port (the controller cannot take port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_email_is_sent_through_smtp(real_db: None, smtp_server: tuple[Inbox, int]) -> None:
    handler, port = smtp_server
    worker = User.objects.get(username="community_worker")
    worker.email = "worker@example.test"
    worker.save()
    surveyor = User.objects.get(username="surveyor_green")  # no address: inbox only
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    with override_settings(EMAIL_BACKEND=smtp, EMAIL_HOST="127.0.0.1", EMAIL_PORT=port):
        sent = notify.send(
            [worker, surveyor],
            KIND,
            localized(_("Import job %(job)s finished"), job=7),
            "2 rows",
            link="/imports/7/",
        )
        assert len(sent.messages) == 2 and len(sent.deliveries) == 1
        work()
    assert len(handler.received) == 1
    envelope = handler.received[0]
    assert envelope.rcpt_tos == ["worker@example.test"]
    parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert parsed["Subject"] == "导入任务 7 已完成"
    assert parsed["To"] == "worker@example.test"
    content = parsed.get_content()
    assert content.index("导入任务 7 已完成") < content.index("Import job 7 finished")
    assert "http://127.0.0.1:8000/imports/7/" in content
    delivery = Delivery.objects.get(pk=sent.deliveries[0].pk)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert [(a.ok, a.error) for a in delivery.tries.all()] == [(True, "")]


class Receiver(BaseHTTPRequestHandler):
    """Another platform: answers 500 to the first call, 200 after; checks signatures."""

    secret = ""
    failures = 1  # how many calls get a 500 before the others get a 200
    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        stamp = self.headers["X-Notify-Timestamp"]
        expected = hmac.new(self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        valid = hmac.compare_digest(
            "sha256=" + expected.hexdigest(), self.headers["X-Notify-Signature"]
        )
        fresh = abs(time.time() - int(stamp)) < 300
        type(self).calls.append(
            {"valid": valid and fresh, "body": body, "delivery": self.headers["X-Notify-Delivery"]}
        )
        self.send_response(500 if len(self.calls) <= self.failures else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.calls, Receiver.failures = [], 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        thread.join()


def test_webhook_is_signed_retried_after_a_500_and_recorded(real_db: None, receiver: str) -> None:
    # a city administrator subscribes the other platform; the secret is shown once
    admin = login("city_admin")
    add = "/admin/notify/webhooksubscription/add/"
    assert login("district_admin").get(add).status_code == 403  # a city-wide setting
    made = admin.post(add, {"name": "区平台", "url": receiver, "kinds": [KIND], "active": "on"})
    assert made.status_code == 200, made.content
    secret = re.search(r'<code id="webhook-secret">([^<]+)</code>', made.content.decode())
    assert secret is not None
    Receiver.secret = secret.group(1)
    subscription = WebhookSubscription.objects.get(name="区平台")
    assert Receiver.secret not in subscription.secret_encrypted
    change = admin.get(f"/admin/notify/webhooksubscription/{subscription.pk}/change/")
    assert Receiver.secret not in change.content.decode()
    assert Receiver.secret[-4:] in change.content.decode()

    with override_settings(NOTIFY_RETRY_BASE_SECONDS=60):
        sent = notify.send([], KIND, "设施 0101 巡检完成", link="/", channels={"webhook"})
        (delivery,) = sent.deliveries
        work()  # the first try: 500, and a retry scheduled a minute later
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT status, scheduled_at > now() + interval '30 seconds' "
                "FROM procrastinate_jobs WHERE queue_name = 'notify' AND args->>'delivery_id' = %s",
                [str(delivery.pk)],
            )
            assert cursor.fetchone() == ("todo", True)
            # the minute passes
            cursor.execute(
                "UPDATE procrastinate_jobs SET scheduled_at = now() "
                "WHERE queue_name = 'notify' AND args->>'delivery_id' = %s",
                [str(delivery.pk)],
            )
        work()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    tries = [(a.number, a.ok, a.status_code) for a in delivery.tries.all()]
    assert tries == [(1, False, 500), (2, True, 200)]
    assert "500" in delivery.tries.get(number=1).error
    assert [c["valid"] for c in Receiver.calls] == [True, True]
    assert {c["delivery"] for c in Receiver.calls} == {str(delivery.pk)}
    body = json.loads(Receiver.calls[1]["body"])
    assert body["kind"] == KIND and body["texts"]["zh-hans"]["title"] == "设施 0101 巡检完成"
    assert "recipients" not in body and "community_worker" not in Receiver.calls[1]["body"].decode()

    listed = admin.get(f"/admin/notify/delivery/{delivery.pk}/change/").content.decode()
    assert "HTTP 500" in listed


# --- background imports tell their owner ----------------------------------------------------


def test_finished_and_failed_imports_notify_their_owner(real_db: None) -> None:
    all_read()
    owner = User.objects.get(username="surveyor_water")
    owner.email = "surveyor@example.test"
    owner.save()
    surveyor = login("surveyor_water")
    good = upload(surveyor, geojson(point("上水井盖 A", inside())))
    bad = upload(surveyor, b"this is not GeoJSON", name="broken.geojson")
    assert good.status_code == 202 and bad.status_code == 202, (good.content, bad.content)
    good_id, bad_id = good.json()["id"], bad.json()["id"]
    assert badge(surveyor) is None  # nothing has ended yet
    work("imports")
    assert ImportJob.objects.get(pk=good_id).status == ImportStatus.DRY_RUN
    assert ImportJob.objects.get(pk=bad_id).status in (ImportStatus.REFUSED, ImportStatus.FAILED)

    assert badge(surveyor) == "2"
    page = surveyor.get("/notifications/").content.decode()
    assert f"导入任务 {good_id} 试运行已完成" in page and f"导入任务 {bad_id} 失败" in page
    assert "broken.geojson" not in page  # file names are not repeated in notifications
    messages = {m.link: m for m in Message.objects.filter(recipient=owner, read_at=None)}
    assert set(messages) == {f"/imports/{good_id}/", f"/imports/{bad_id}/"}
    assert {m.kind for m in messages.values()} == {"import.finished", "import.failed"}
    for other in ("surveyor_green", "district_admin"):
        assert badge(login(other)) is None  # only the owner is told

    work()  # the emails, through the test's email backend
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [f"导入任务 {good_id} 试运行已完成", f"导入任务 {bad_id} 失败"]
    )
    assert all(m.to == ["surveyor@example.test"] for m in mail.outbox)
    opened = surveyor.get(f"/notifications/{messages[f'/imports/{bad_id}/'].pk}/", follow=True)
    assert opened.status_code == 200 and badge(surveyor) == "1"


def test_a_webhook_that_keeps_failing_is_given_up_and_rotating_the_secret(
    real_db: None, receiver: str
) -> None:
    admin = login("city_admin")
    add = "/admin/notify/webhooksubscription/add/"
    made = admin.post(add, {"name": "街道平台", "url": receiver, "kinds": [KIND], "active": "on"})
    first = re.search(r'<code id="webhook-secret">([^<]+)</code>', made.content.decode())
    assert first is not None
    subscription = WebhookSubscription.objects.get(name="街道平台")
    change = f"/admin/notify/webhooksubscription/{subscription.pk}/change/"
    form = {"name": "街道平台", "url": receiver, "kinds": [KIND], "active": "on"}
    unchanged = admin.post(change, form)
    assert unchanged.status_code == 302  # no new secret asked: none shown, the old one kept
    rotated = admin.post(change, {**form, "new_secret": "on"})
    second = re.search(r'<code id="webhook-secret">([^<]+)</code>', rotated.content.decode())
    assert second is not None and second.group(1) != first.group(1)
    Receiver.secret, Receiver.failures = second.group(1), 99

    assert notify.send([], "import.finished", "其他类型", channels={"webhook"}).deliveries == []
    with override_settings(NOTIFY_MAX_ATTEMPTS=2, NOTIFY_RETRY_BASE_SECONDS=60):
        (delivery,) = notify.send([], KIND, "一直失败", channels={"webhook"}).deliveries
        work()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE procrastinate_jobs SET scheduled_at = now() "
                "WHERE queue_name = 'notify' AND args->>'delivery_id' = %s",
                [str(delivery.pk)],
            )
        work()
        work()  # nothing is left to try
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2
    assert delivery.finished_at is not None
    assert [(a.ok, a.status_code) for a in delivery.tries.all()] == [(False, 500)] * 2
    assert [c["valid"] for c in Receiver.calls] == [True, True]  # signed with the new secret
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM procrastinate_jobs "
            "WHERE queue_name = 'notify' AND args->>'delivery_id' = %s",
            [str(delivery.pk)],
        )
        assert cursor.fetchone() == ("succeeded",)  # given up, not an error of the worker


@pytest.mark.django_db
def test_a_secret_that_cannot_be_decrypted_is_a_recorded_failed_try() -> None:
    from community.notify import crypto, delivery

    secret = crypto.new_secret()
    WebhookSubscription.objects.create(
        name="旧密钥",
        url="http://127.0.0.1:9/hook",
        secret_encrypted=crypto.encrypt(secret),
        secret_hint=crypto.hint(secret),
    )
    (made,) = notify.send([], KIND, "密钥", channels={"webhook"}).deliveries
    changed = override_settings(NOTIFY_SECRET_KEY="another-key-" + "x" * 32)
    with changed, pytest.raises(delivery.DeliveryFailed):
        delivery.attempt(made.pk)
    made.refresh_from_db()
    assert made.status == DeliveryStatus.PENDING and made.attempts == 1
    (tried,) = made.tries.all()
    assert not tried.ok and "NOTIFY_SECRET_KEY" in tried.error and secret not in tried.error
