"""Concurrent edits on the real database, in parallel threads (each with its own
connection, committing for real): exactly one of two edits from the same version wins;
identifiers stay unique and gapless when eight surveyors create at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from component_catalog.models import Component, ComponentHistory, IdentifierCounter
from gis_app.models import Membership, Organization
from tests.components_helpers import (
    Api,
    inside,
    last_component_id,
    manhole,
    remove_components_after,
)

URL = "/api/v1/components/"


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Real commits (threads cannot see a test transaction); cleaned up afterwards.
    Audit rows stay: they are append-only even here, and die with the test database."""
    with django_db_blocker.unblock():
        start = last_component_id()
        users = set(get_user_model().objects.values_list("id", flat=True))
        yield
        remove_components_after(start)
        extra = get_user_model().objects.exclude(id__in=users)
        Membership.objects.filter(user__in=extra).delete()
        extra.delete()


def run_together(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Start all tasks at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)

    def runner(i: int, task: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = task()
        except Exception as exc:  # surfaced in the assertion below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(tasks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def second_water_surveyor() -> Api:
    user = get_user_model().objects.create_user("surveyor_water_2", password="water-pass-2024")
    Membership.objects.create(
        user=user,
        organization=Organization.objects.get(code="HZ-SW"),
        role="surveyor",
        area_id="330106",
        class_codes=["0101", "0102", "0103"],
    )
    api = Api.__new__(Api)
    from django.test import Client

    token = (
        Client()
        .post(
            "/api/v1/auth/token/", {"username": "surveyor_water_2", "password": "water-pass-2024"}
        )
        .json()["token"]
    )
    api.client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    api.username = "surveyor_water_2"
    return api


def test_two_surveyors_same_version_exactly_one_wins(committed: None) -> None:
    first, second = Api("surveyor_water"), second_water_surveyor()
    response = first.create(manhole("0103"))
    assert response.status_code == 201
    ident = response.json()["id"]
    url = f"{URL}{ident}/"
    # both start from version 1
    assert first.get(url).json()["properties"]["version"] == 1
    assert second.get(url).json()["properties"]["version"] == 1
    edits = [
        {"properties": {"version": 1, "status": "damaged", "notes": "A: 井盖破损"}, "comment": "A"},
        {"properties": {"version": 1, "status": "missing", "notes": "B: 井盖丢失"}, "comment": "B"},
    ]
    results = run_together(
        [
            lambda: first.patch(url, edits[0]),
            lambda: second.patch(url, edits[1]),
        ]
    )
    assert not any(isinstance(r, Exception) for r in results), results
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.content for r in results]
    winner = next(r for r in results if r.status_code == 200).json()
    loser = next(r for r in results if r.status_code == 409).json()
    assert loser["current"]["properties"]["version"] == 2
    assert loser["current"]["properties"]["status"] == winner["properties"]["status"]
    stored = Component.objects.get(identifier=ident)
    assert (stored.version, stored.status, stored.notes) == (
        2,
        winner["properties"]["status"],
        winner["properties"]["notes"],
    )
    updates = ComponentHistory.objects.filter(identifier=ident, action="update")
    assert updates.count() == 1
    assert updates.get().changes["status"] == ["good", stored.status]
    connection.close()


def test_eight_threads_creating_get_unique_gapless_identifiers(committed: None) -> None:
    api = Api("surveyor_water")
    per_thread = 6
    before = (
        IdentifierCounter.objects.filter(class_code="0102")
        .values_list("last_serial", flat=True)
        .first()
        or 0
    )

    def create_many(t: int) -> Callable[[], list[str]]:
        def work() -> list[str]:
            made = []
            for i in range(per_thread):
                feature = manhole("0102", at=inside("330106004002", 1 + (t % 4), shift=i * 1e-6))
                response = api.create(feature, comment=f"线程 {t}")
                assert response.status_code == 201, response.content
                made.append(response.json()["id"])
            return made

        return work

    results = run_together([create_many(t) for t in range(8)])
    assert not any(isinstance(r, Exception) for r in results), results
    identifiers = [i for r in results for i in r]
    assert len(identifiers) == len(set(identifiers)) == 8 * per_thread
    serials = sorted(int(i[-6:]) for i in identifiers)
    assert serials == list(range(before + 1, before + 1 + 8 * per_thread))
    assert all(i.startswith("3301060102") for i in identifiers)
    connection.close()
