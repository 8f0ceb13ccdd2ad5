"""HTTP ingest of passage events: signatures (forged, replayed, expired: 401 and nothing
stored), idempotency by event id, out-of-order events, capacity anomalies, bad input."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from django.test import Client

from community.devices.models import DeviceNonce
from community.parking.models import LotOccupancy, PassageEvent, Presence
from tests.parking_support import URL, event, headers_for, make_lot, occupancy, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot():
    return make_lot()


def stored(lot) -> int:
    return PassageEvent.objects.filter(lot_id=lot.pk).count()


def test_an_entry_is_stored_and_counted(lot):
    response = send(lot.gate, event("e-1", "in", 10))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stored"] == 1 and body["duplicates"] == 0
    assert body["events"] == [{"id": "e-1", "status": "stored", "flags": []}]
    assert occupancy(lot) == {"standard": 1, "charging": 0, "accessible": 0}
    row = PassageEvent.objects.get(lot_id=lot.pk)
    assert (row.direction, row.gate.code, row.channel) == ("in", "G1", "http")
    assert row.credential_masked == "浙A·***45"


def test_duplicate_events_are_counted_once(lot):
    first = send(lot.gate, event("dup-1", "in", 10))
    again = send(lot.gate, event("dup-1", "in", 10))
    batch = send(lot.gate, {"events": [event("dup-2", "in", 9, "浙B22222")] * 3})
    assert first.json()["stored"] == 1
    assert again.status_code == 200
    assert again.json()["events"] == [{"id": "dup-1", "status": "duplicate", "flags": []}]
    assert [e["status"] for e in batch.json()["events"]] == ["stored", "duplicate", "duplicate"]
    assert stored(lot) == 2
    assert occupancy(lot)["standard"] == 2


def test_a_retry_after_more_events_changes_nothing(lot):
    send(lot.gate, event("r-1", "in", 30))
    send(lot.gate, event("r-2", "out", 20, gate="G2"))
    send(lot.gate, event("r-1", "in", 30))  # the device retries the entry
    assert stored(lot) == 2
    assert occupancy(lot)["standard"] == 0


def test_exit_before_its_entry_ends_consistent(lot):
    exit_first = send(lot.gate, event("x-2", "out", 5, gate="G2"))
    assert exit_first.json()["events"][0]["flags"] == ["exit_without_entry"]
    assert occupancy(lot)["standard"] == 0
    assert Presence.objects.get(lot_id=lot.pk).unmatched_exit is True
    late_entry = send(lot.gate, event("x-1", "in", 60))
    assert late_entry.json()["events"][0]["flags"] == ["late"]
    assert occupancy(lot)["standard"] == 0
    vehicle = Presence.objects.get(lot_id=lot.pk)
    assert (vehicle.inside, vehicle.unmatched_exit) == (False, False)
    assert stored(lot) == 2


def test_out_of_order_inside_one_batch_is_sorted_by_time(lot):
    events = [
        event("b-3", "in", 5),
        event("b-2", "out", 30, gate="G2"),
        event("b-1", "in", 60),
    ]
    response = send(lot.gate, {"events": events})
    assert [e["flags"] for e in response.json()["events"]] == [[], [], []]
    assert occupancy(lot)["standard"] == 1


def test_a_missed_exit_never_counts_a_car_twice(lot):
    send(lot.gate, event("m-1", "in", 60))
    response = send(lot.gate, event("m-2", "in", 10))
    assert response.json()["events"][0]["flags"] == ["repeated_entry"]
    assert occupancy(lot)["standard"] == 1


def test_space_events_move_the_car_to_the_kind_of_its_space(lot):
    send(lot.gate, event("k-1", "in", 30))
    send(lot.camera, event("k-2", "in", 28, space="B1-008"))  # a charging space
    assert occupancy(lot) == {"standard": 0, "charging": 1, "accessible": 0}
    send(lot.camera, event("k-3", "out", 10, space="B1-008"))
    assert occupancy(lot) == {"standard": 1, "charging": 0, "accessible": 0}
    send(lot.gate, event("k-4", "out", 5, gate="G2"))
    assert occupancy(lot) == {"standard": 0, "charging": 0, "accessible": 0}


def test_above_capacity_only_with_an_anomaly_flag(lot):
    plates = [f"浙A{n:05d}" for n in range(12)]  # capacity is 10
    events = [event(f"c-{n}", "in", 30 - n, plate) for n, plate in enumerate(plates)]
    response = send(lot.gate, {"events": events})
    assert response.status_code == 200
    state = LotOccupancy.objects.get(lot_id=lot.pk)
    assert state.occupied_standard == 12 and state.over_capacity is True
    assert all("over_capacity" in e["flags"] for e in response.json()["events"])
    exits = [event(f"d-{n}", "out", 10 - n / 10, p, gate="G2") for n, p in enumerate(plates[:3])]
    send(lot.gate, {"events": exits})
    state.refresh_from_db()
    assert state.occupied_standard == 9 and state.over_capacity is False


def test_occupancy_can_never_be_negative_in_the_database(lot):
    with pytest.raises(Exception, match="occupancy_not_negative"), connection.cursor() as c:
        c.execute(
            "UPDATE parking_lotoccupancy SET occupied_standard = -1 WHERE lot_id = %s", [lot.pk]
        )


def nothing_stored(lot, nonces_before: int) -> None:
    assert stored(lot) == 0
    assert occupancy(lot)["standard"] == 0
    assert DeviceNonce.objects.count() == nonces_before
    assert not Presence.objects.filter(lot_id=lot.pk).exists()


def test_a_forged_signature_is_rejected_and_nothing_is_stored(lot):
    before = DeviceNonce.objects.count()
    response = send(lot.gate, event("f-1", "in", 5), secret="0" * 64)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert response.json()["field"] == "X-Signature"
    assert "HMAC-SHA256" in response["WWW-Authenticate"]
    nothing_stored(lot, before)


def test_a_body_changed_after_signing_is_rejected(lot):
    before = DeviceNonce.objects.count()
    body = json.dumps(event("f-2", "in", 5)).encode()
    headers = headers_for(lot.gate, body)
    tampered = body.replace(b'"in"', b'"out"')
    response = send_raw(tampered, headers)
    assert response.status_code == 401
    nothing_stored(lot, before)


def send_raw(body: bytes, headers: dict[str, str]):
    return Client().post(URL, data=body, content_type="application/json", **headers)


def test_a_replayed_request_is_rejected_and_nothing_is_stored(lot):
    body = json.dumps(event("p-1", "in", 5)).encode()
    headers = headers_for(lot.gate, body, nonce="nonce-replay-1")
    assert send_raw(body, headers).status_code == 200
    replay = send_raw(body, headers)
    assert replay.status_code == 401
    assert replay.json()["error"] == "replayed"
    # The same nonce under a valid signature of another event: refused, not stored.
    other = send(lot.gate, event("p-2", "in", 4, "浙C33333"), nonce="nonce-replay-1")
    assert other.status_code == 401
    assert stored(lot) == 1
    assert occupancy(lot)["standard"] == 1


def test_an_old_timestamp_is_outside_the_replay_window(lot):
    before = DeviceNonce.objects.count()
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = send(lot.gate, event("o-1", "in", 5), english, timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert "replay window" in response.json()["detail"]
    nothing_stored(lot, before)


@pytest.mark.parametrize("missing", ["HTTP_X_DEVICE_ID", "HTTP_X_SIGNATURE", "HTTP_X_NONCE"])
def test_missing_signature_headers_are_401(lot, missing):
    body = json.dumps(event("h-1", "in", 5)).encode()
    headers = headers_for(lot.gate, body)
    del headers[missing]
    assert send_raw(body, headers).status_code == 401
    assert stored(lot) == 0


def test_an_unknown_or_inactive_device_is_401(lot):
    from community.devices.models import Device

    Device.objects.filter(pk=lot.gate.pk).update(active=False)
    assert send(lot.gate, event("u-1", "in", 5)).status_code == 401
    assert stored(lot) == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"direction": "sideways"}, "events[1].direction"),
        ({"time": "2025-01-01T08:00:00"}, "events[1].time"),
        ({"credential": "not a plate"}, "events[1].credential"),
        ({"gate": "G9"}, "events[1].gate"),
        ({"space": "Z-999"}, "events[1].space"),
        ({"lot": "3301060201999999"}, "events[1].lot"),
        ({"colour": "red"}, "events[1].colour"),
        ({"id": ""}, "events[1].id"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(lot, bad, field):
    before = DeviceNonce.objects.count()
    events = [event("ok-1", "in", 10), {**event("bad-1", "in", 9, "浙B54321"), **bad}]
    response = send(lot.gate, {"events": events})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert "54321" not in response.content.decode()
    nothing_stored(lot, before)


def test_a_future_event_is_refused(lot):
    response = send(lot.gate, event("t-1", "in", -30))
    assert response.status_code == 400
    assert response.json()["field"] == "time"


def test_events_are_stored_in_their_month_partition(lot):
    send(lot.gate, event("pt-1", "in", 5))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM parking_passageevent WHERE lot_id = %s",
            [lot.pk],
        )
        (partition,) = cursor.fetchone()
    assert partition.startswith("parking_passageevent_p20")
