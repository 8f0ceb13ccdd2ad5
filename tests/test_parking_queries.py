"""The cost of one signed HTTP batch of parking events, in SQL queries: fixed whatever the
batch's size, and pinned, so a change to the devices app or to parking's handler cannot
make every device request slower without this test saying so."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.devices import events, kinds
from community.devices.kinds import Submission
from community.devices.models import Device as Registered
from community.parking.models import Gate
from tests.parking_support import event, make_lot, send

pytestmark = pytest.mark.django_db

# The registry device with parking's row (lot, gate, lot identifier and state) in one
# query; the gates of the lot (a batch naming spaces adds one for them); the nonce; the
# engine: occupancy rows ensured, then locked, known event ids, presence states,
# occupancy and its samples, presence rows, events (7). As before issue 17 (41656be).
QUERIES_PER_BATCH = 10


def _queries(lot, payload) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = send(lot.gate, payload)
    assert response.status_code == 200, response.content
    # the test runs in a transaction, so the ingest's own transaction is a savepoint here
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


def test_one_http_batch_costs_a_fixed_number_of_queries():
    lot = make_lot()
    send(lot.gate, event("warm-1", "in", 30, "浙C00001"))  # a sealed secret opens once
    one = _queries(lot, {"events": [event("q-1", "in", 20, "浙B00001")]})
    batch = [event(f"q-{n}", "in", 20 - n / 10, f"浙B{n:05d}") for n in range(2, 52)]
    batch += [event(f"q-x{n}", "out", 5, f"浙C{n:05d}", gate="G2") for n in range(1, 3)]
    many = _queries(lot, {"events": batch})
    assert len(many) == len(one), "\n".join(q[:120] for q in many)
    assert len(many) == QUERIES_PER_BATCH, "\n".join(q[:120] for q in many)


def test_the_handler_loads_its_rows_itself_when_a_device_came_without_them():
    lot = make_lot()
    kind = kinds.get("parking.gate_reader")
    assert kind is not None
    device = Registered.objects.get(pk=lot.gate.pk)  # loaded without parking's row
    received = events.check(kind, [event("f-1", "in", 5)], batched=False)
    with CaptureQueriesContext(connection) as captured:
        (prepared,) = kind.handler.prepare([Submission(device, received, False)])
    assert not isinstance(prepared, Exception), prepared
    assert [e.gate_id for e in prepared] == [Gate.objects.get(lot=lot.lot, code="G1").pk]
    assert len(captured) == 2  # parking's row of the device, the lot's gates
