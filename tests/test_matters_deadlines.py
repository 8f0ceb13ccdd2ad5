"""Deadlines of requests (issue 19, item 5): reminders (催办) before a deadline and
escalation (督办) up the area hierarchy after it, on a frozen clock (the time is passed to
``deadlines.run``; nothing sleeps), counted as inbox rows of the people told; the overdue
flag and filter of the list; the periodic job registered with procrastinate and run by a
real worker (which has its own connection, so that test commits and cleans up)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test import override_settings
from django.utils import timezone, translation

from community.matters import deadlines
from community.matters.models import DeadlineNotice, ServiceRequest, TimelineEntry
from community.notify.models import Delivery, Message
from gis_app.models import AuditEvent
from tests.components_helpers import Api
from tests.test_matters_requests import submitted

REPO = Path(__file__).resolve().parent.parent
STREET_ADMINS = {"street_admin"}
DISTRICT_ADMINS = {"district_admin"}
# routed to the street office (XH-JD-001): its community worker; the community's grid
# worker, whose cell holds the place. Not the admins, not other organizations' staff.
REMINDED = {"community_worker", "grid_worker"}


def told(pk: int, kind: str) -> Counter[str]:
    """Inbox rows about request ``pk`` of ``kind``, per recipient's username."""
    rows = Message.objects.filter(kind=kind, link=f"/api/v1/requests/{pk}/")
    return Counter(rows.values_list("recipient__username", flat=True))


def streamed(response: Any) -> str:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content).decode()


def new_request() -> ServiceRequest:
    made = submitted()
    return ServiceRequest.objects.get(pk=made["id"])


def step(obj: ServiceRequest, action: str, actor: str = "community_worker") -> None:
    obj.refresh_from_db()
    body = {"action": action, "version": obj.version}
    answer = Api(actor).post(f"/api/v1/requests/{obj.pk}/transitions/", body)
    assert answer.status_code == 200, answer.content


@pytest.mark.django_db
def test_one_reminder_then_one_escalation_per_level_and_never_more() -> None:
    obj = new_request()
    start, due = obj.created_at, obj.accept_due
    span = due - start
    period = deadlines.escalation_period()

    deadlines.run(start + span * 0.79)
    assert not told(obj.pk, deadlines.REMINDER) and not told(obj.pk, deadlines.ESCALATION)

    deadlines.run(start + span * 0.81)
    assert told(obj.pk, deadlines.REMINDER) == Counter(REMINDED)
    for _again in range(2):  # the job runs again: nobody is reminded twice
        deadlines.run(start + span * 0.9)
    assert told(obj.pk, deadlines.REMINDER) == Counter(REMINDED)
    assert not told(obj.pk, deadlines.ESCALATION)

    late = due + timedelta(hours=1)
    deadlines.run(late)
    deadlines.run(late + timedelta(minutes=5))
    assert told(obj.pk, deadlines.ESCALATION) == Counter(STREET_ADMINS)
    obj.refresh_from_db()
    assert obj.escalation_level == 1

    deadlines.run(due + period + timedelta(hours=1))
    deadlines.run(due + period * 5)
    deadlines.run(due + period * 50)
    assert told(obj.pk, deadlines.ESCALATION) == Counter(STREET_ADMINS | DISTRICT_ADMINS)
    assert told(obj.pk, deadlines.REMINDER) == Counter(REMINDED)  # unchanged

    # the texts name the request by number, in Chinese and English
    message = Message.objects.get(
        kind=deadlines.ESCALATION,
        recipient__username="district_admin",
        link__endswith=f"/{obj.pk}/",
    )
    assert (
        f"{obj.pk}" in message.texts["zh-hans"]["title"]
        and "督办" in message.texts["zh-hans"]["title"]
    )
    assert "overdue" in message.texts["en"]["title"]

    # each step leaves a timeline entry by the system and an audit event
    entries = TimelineEntry.objects.filter(request=obj, actor_username="system")
    assert [(e.action, e.changes["level"]) for e in entries.order_by("id")] == [
        ("remind", 0),
        ("escalate", 1),
        ("escalate", 2),
    ]
    assert all(e.actor_id is None and e.to_state == "submitted" for e in entries)
    events = AuditEvent.objects.filter(
        object_type="matters.servicerequest", object_id=str(obj.pk), action="request.escalate"
    )
    assert sorted(e.detail["level"] for e in events) == [1, 2]

    detail = Api("street_admin").get(f"/api/v1/requests/{obj.pk}/").json()
    assert detail["escalation_level"] == 2
    levels = [e.get("level") for e in detail["timeline"] if e["action"] == "escalate"]
    assert levels == [1, 2] and all(
        e["by"] == "system" for e in detail["timeline"] if e["action"] == "escalate"
    )
    tracked = Api(None).get(f"/api/v1/requests/track/{obj.tracking_code}/").json()
    assert [e["by"] for e in tracked["timeline"] if e["action"] == "escalate"] == ["system"] * 2
    assert "street_admin" not in json.dumps(tracked)
    # staff may still take a step: the job did not make the version stale
    step(obj, "accept")


@pytest.mark.django_db
def test_accepting_moves_to_the_resolve_deadline_and_resolving_stops_it() -> None:
    obj = new_request()
    start = obj.created_at
    step(obj, "accept")
    obj.refresh_from_db()
    # the accept deadline is met: at 90% of it nothing is sent
    deadlines.run(start + (obj.accept_due - start) * 0.9)
    assert not told(obj.pk, deadlines.REMINDER)
    # the resolve deadline is watched instead
    deadlines.run(start + (obj.resolve_due - start) * 0.85)
    assert told(obj.pk, deadlines.REMINDER) == Counter(REMINDED)

    for action in ("dispatch", "start", "resolve"):
        step(obj, action)
    obj.refresh_from_db()
    for hours in (1, 25, 49, 500):
        deadlines.run(obj.resolve_due + timedelta(hours=hours))
    assert not told(obj.pk, deadlines.ESCALATION)
    assert told(obj.pk, deadlines.REMINDER) == Counter(REMINDED)
    assert not DeadlineNotice.objects.filter(request=obj, level__gte=1).exists()


@pytest.mark.django_db
def test_rejected_requests_are_left_alone() -> None:
    obj = new_request()
    obj.refresh_from_db()
    answer = Api("community_worker").post(
        f"/api/v1/requests/{obj.pk}/transitions/",
        {"action": "reject", "version": obj.version, "note": "不属于本社区"},
    )
    assert answer.status_code == 200, answer.content
    deadlines.run(obj.resolve_due + timedelta(days=30))
    assert not DeadlineNotice.objects.filter(request=obj).exists()


@pytest.mark.django_db
def test_overdue_flag_hours_and_filter_in_the_list() -> None:
    late, on_time, accepted_late = new_request(), new_request(), new_request()
    now = timezone.now()
    ServiceRequest.objects.filter(pk=late.pk).update(
        created_at=now - timedelta(hours=10), accept_due=now - timedelta(hours=5)
    )
    # accepted after its accept deadline, resolve deadline still ahead: not overdue now
    step(accepted_late, "accept")
    ServiceRequest.objects.filter(pk=accepted_late.pk).update(accept_due=now - timedelta(hours=3))

    api = Api("community_worker")
    detail = api.get(f"/api/v1/requests/{late.pk}/").json()
    assert detail["overdue"] is True and 4.9 <= detail["overdue_by_hours"] <= 5.1
    fresh = api.get(f"/api/v1/requests/{on_time.pk}/").json()
    assert fresh["overdue"] is False and fresh["overdue_by_hours"] is None

    def ids(query: str) -> set[int]:
        answer = api.get(f"/api/v1/requests/?limit=500&{query}")
        assert answer.status_code == 200, answer.content
        return {r["id"] for r in answer.json()["results"]}

    mine = {late.pk, on_time.pk, accepted_late.pk}
    assert ids("overdue=true") & mine == {late.pk}
    assert ids("overdue=false") & mine == {on_time.pk, accepted_late.pk}
    listed = {r["id"]: r for r in api.get("/api/v1/requests/?limit=500").json()["results"]}
    assert listed[late.pk]["overdue"] is True and listed[late.pk]["overdue_by_hours"] >= 4.9
    assert listed[late.pk]["escalation_level"] == 0
    # anonymous public list shows the flag too
    public = Api(None).get(f"/api/v1/requests/{late.pk}/").json()
    assert public["overdue"] is True
    # and the map's collection carries it, filterable
    url = "/ogc/collections/matters-requests/items?f=json&limit=1000"
    features = json.loads(streamed(api.get(url + "&overdue=true")))["features"]
    assert {f["id"] for f in features} & mine == {late.pk}
    assert all(f["properties"]["overdue"] is True for f in features)
    features = json.loads(streamed(api.get(url)))["features"]
    flags = {f["id"]: f["properties"]["overdue"] for f in features if f["id"] in mine}
    assert flags == {late.pk: True, on_time.pk: False, accepted_late.pk: False}
    bad = api.get("/api/v1/requests/?overdue=maybe")
    assert bad.status_code == 400 and bad.json()["field"] == "overdue"


# --- the periodic job through a real procrastinate worker -----------------------------------


def test_the_periodic_job_is_registered_and_the_worker_queue_listed() -> None:
    from procrastinate.contrib.django import app

    from community.matters import tasks

    periodic = {
        (p.task.name, p.periodic_id): p for p in app.periodic_registry.periodic_tasks.values()
    }
    found = periodic[(tasks.check_deadlines.name, "deadlines")]
    assert found.cron == "*/5 * * * *" and found.task.queue == "matters"
    makefile = (REPO / "Makefile").read_text()
    assert "--queues imports,reports,notify,matters" in makefile


@pytest.fixture
def real_db(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Real commits (the worker cannot see a test transaction), removed afterwards."""
    with django_db_blocker.unblock(), translation.override("en"):
        first_request = ServiceRequest.objects.order_by("-id").values_list("id", flat=True).first()
        first_message = Message.objects.order_by("-id").values_list("id", flat=True).first()
        first_delivery = Delivery.objects.order_by("-id").values_list("id", flat=True).first()
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
            first_job = cursor.fetchone()[0]
        yield
        ServiceRequest.objects.filter(id__gt=first_request or 0).delete()
        Message.objects.filter(id__gt=first_message or 0).delete()
        Delivery.objects.filter(id__gt=first_delivery or 0).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM procrastinate_jobs "
                "WHERE id > %s AND queue_name IN ('notify', 'matters')",
                [first_job],
            )


def work(queue: str, concurrency: int = 1) -> None:
    """Run a procrastinate worker on ``queue`` until nothing is due."""
    from procrastinate.contrib.django import app

    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            wait=False,
            install_signal_handlers=False,
            listen_notify=False,
            queues=[queue],
            concurrency=concurrency,
        )


def test_the_worker_runs_the_job_at_its_scheduled_time_and_twice_sends_once(
    real_db: None,
) -> None:
    from community.matters import tasks

    obj = new_request()
    # the job decides by the time it was scheduled for: an hour past the accept deadline
    at = int((obj.accept_due + timedelta(hours=1)).timestamp())
    tasks.check_deadlines.configure().defer(timestamp=at)
    tasks.check_deadlines.configure().defer(timestamp=at)  # a second run, concurrently
    work("matters", concurrency=2)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM procrastinate_jobs WHERE queue_name = 'matters' "
            "AND args->>'timestamp' = %s GROUP BY status",
            [str(at)],
        )
        assert dict(cursor.fetchall()) == {"succeeded": 2}
    assert told(obj.pk, deadlines.ESCALATION) == Counter(STREET_ADMINS)
    assert not told(obj.pk, deadlines.REMINDER)  # already late: escalated, not reminded
    notices = DeadlineNotice.objects.filter(request=obj)
    assert list(notices.values_list("stage", "level")) == [("accept", 1)]
    assert notices.get().sent_at == datetime.fromtimestamp(at, tz=UTC)


def test_two_runs_at_once_send_each_level_once(real_db: None) -> None:
    obj = new_request()
    now = obj.accept_due + deadlines.escalation_period() + timedelta(hours=1)
    start = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=30)
            results.append(deadlines.run(now))
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert told(obj.pk, deadlines.ESCALATION) == Counter(STREET_ADMINS | DISTRICT_ADMINS)
    assert len(results) == 2 and sum(r["escalations"] for r in results) == 2
    assert DeadlineNotice.objects.filter(request=obj).count() == 2
    obj.refresh_from_db()
    assert obj.escalation_level == 2


@pytest.mark.django_db
def test_the_reminder_share_and_the_escalation_period_are_settings() -> None:
    obj = new_request()
    start, due = obj.created_at, obj.accept_due
    with override_settings(MATTERS_REMIND_AT=0.5, MATTERS_ESCALATE_EVERY_HOURS=2):
        deadlines.run(start + (due - start) * 0.45)
        assert not told(obj.pk, deadlines.REMINDER)
        deadlines.run(start + (due - start) * 0.55)
        assert told(obj.pk, deadlines.REMINDER) == Counter(REMINDED)
        deadlines.run(due + timedelta(hours=1))
        assert told(obj.pk, deadlines.ESCALATION) == Counter(STREET_ADMINS)
        deadlines.run(due + timedelta(hours=3))  # 24 h by default: 2 h here
        assert told(obj.pk, deadlines.ESCALATION) == Counter(STREET_ADMINS | DISTRICT_ADMINS)
