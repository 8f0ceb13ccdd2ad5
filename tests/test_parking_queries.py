"""The cost of one signed HTTP batch of parking events, in SQL queries: fixed whatever the
batch's size, and pinned, so a change to the devices app or to parking's handler cannot
make every device request slower without this test saying so."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
    events = [event(f"q-{n}", "in", 20 - n / 10, f"浙B{n:05d}") for n in range(2, 52)]
    events += [event(f"q-x{n}", "out", 5, f"浙C{n:05d}", gate="G2") for n in range(1, 3)]
    many = _queries(lot, {"events": events})
    assert len(many) == len(one), "\n".join(q[:120] for q in many)
    assert len(many) == QUERIES_PER_BATCH, "\n".join(q[:120] for q in many)
