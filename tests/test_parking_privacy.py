"""A plate never appears unmasked: not in any API answer (ingest, feed, guidance, lot,
spaces, history, events JSON and CSV, reverse car finding, errors), not in a log line, not
in the database (events, presence, audit)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from community.parking import privacy
from tests.components_helpers import Api
from tests.parking_support import event, make_lot, send

pytestmark = pytest.mark.django_db

PLATE = "浙A9K27Q"
CLEAR = ["浙A9K27Q", "A9K27Q", "9K27Q", "浙A 9K27Q", "浙A·9K27Q"]


def assert_clean(text: str, where: str) -> None:
    for clear in CLEAR:
        assert clear not in text, f"{clear!r} in {where}"


def test_masking_rules():
    assert privacy.credential("plate", "浙A12345").masked == "浙A·***45"
    assert privacy.credential("plate", "浙a·1234 5").masked == "浙A·***45"  # normalised
    assert privacy.credential("plate", "浙AD12345").masked == "浙A·****45"  # new energy
    assert (
        privacy.credential("plate", "浙ＡＤ１２３４５").hash
        == privacy.credential("plate", "浙AD12345").hash
    )  # full-width input
    assert privacy.credential("ic_card", "6222 0212 3456 7890").masked == "****7890"
    assert privacy.credential("rfid", "e2:80:11").masked == "****11"
    with pytest.raises(privacy.InvalidCredential):
        privacy.credential("plate", "ABC123")
    with pytest.raises(privacy.InvalidCredential):
        privacy.credential("ic_card", "not-a-card")


def test_the_hash_is_keyed(settings):
    plain = privacy.credential("plate", PLATE).hash
    settings.PARKING_CREDENTIAL_KEY = "another key of at least thirty-two characters"
    assert privacy.credential("plate", PLATE).hash != plain


def test_a_plate_never_appears_unmasked(caplog):
    caplog.set_level(logging.DEBUG)
    lot = make_lot("隐私测试停车场")
    planner = Api("planner")
    anonymous = Api(None)
    answers = []
    answers.append(send(lot.gate, event("pv-1", "in", 30, PLATE)))
    answers.append(send(lot.camera, event("pv-2", "in", 28, PLATE, space="B1-003")))
    answers.append(send(lot.gate, event("pv-3", "in", 27, "浙A9K27")))  # malformed: 400
    answers.append(send(lot.gate, {"events": [event("pv-4", "in", 1, PLATE, gate="G9")]}))
    answers.append(send(lot.gate, event("pv-5", "in", 2, PLATE), secret="1" * 64))
    lon, lat = lot.centre
    answers.append(anonymous.get("/api/v1/parking/availability/"))
    answers.append(anonymous.get(f"/api/v1/parking/nearby/?lon={lon}&lat={lat}"))
    base = f"/api/v1/parking/lots/{lot.identifier}/"
    for url in (base, base + "spaces/", base + "occupancy/", base + "events/"):
        answers.append(anonymous.get(url))
        answers.append(planner.get(url))
    csv_answer = planner.get(base + "events.csv")
    answers.append(csv_answer)
    found = anonymous.post("/api/v1/parking/find-car/", {"plate": PLATE})
    answers.append(found)
    answers.append(anonymous.post("/api/v1/parking/find-car/", {"plate": "浙A9K27"}))
    assert found.status_code == 200 and found.json()["space"]["code"] == "B1-003"
    assert found.json()["plate"] == "浙A·***7Q"
    assert csv_answer.status_code == 200 and "浙A·***7Q" in csv_answer.content.decode("utf-8-sig")
    events = planner.get(base + "events/").json()["events"]
    assert {e["credential"] for e in events} == {"浙A·***7Q"}
    for response in answers:
        assert_clean(response.content.decode("utf-8", "replace"), response.request["PATH_INFO"])
    assert_clean("\n".join(r.getMessage() for r in caplog.records), "log records")
    assert_clean(caplog.text, "log output")
    with connection.cursor() as cursor:
        for table in ("parking_passageevent", "parking_presence", "core_auditevent"):
            cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t")  # noqa: S608
            assert_clean("\n".join(row for (row,) in cursor.fetchall()), table)


def test_production_refuses_the_development_key(settings):
    from community.parking.checks import credential_key

    settings.DEBUG = False
    settings.PARKING_CREDENTIAL_KEY = settings.PARKING_DEV_CREDENTIAL_KEY
    assert [e.id for e in credential_key()] == ["parking.E001"]
    settings.PARKING_CREDENTIAL_KEY = "short"
    assert [e.id for e in credential_key()] == ["parking.E001"]
    settings.PARKING_CREDENTIAL_KEY = "k" * 48
    assert credential_key() == []
