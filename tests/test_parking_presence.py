"""The presence rules as a pure function: whatever order a vehicle's events arrive in,
the end state is the one its latest event says, and an exit/entry pair leaves no anomaly."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from community.parking.presence import State, Step, apply

T0 = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)


def gate(direction: str, minute: int) -> Step:
    return Step(T0 + dt.timedelta(minutes=minute), direction, True, None, None, True)


def run(steps: list[Step]) -> tuple[State, list[list[str]]]:
    state = State()
    flags = []
    for step in steps:
        state, found = apply(state, step)
        flags.append(found)
    return state, flags


@given(st.integers(1, 6).flatmap(lambda n: st.permutations(range(2 * n))))
def test_any_arrival_order_of_alternating_visits_ends_as_the_latest_event_says(order):
    # Visits: in at 10k, out at 10k + 5 (k = 0 .. n-1), arriving in any order.
    visits = [gate("in" if i % 2 == 0 else "out", 10 * (i // 2) + 5 * (i % 2)) for i in order]
    state, _ = run(visits)
    assert state.inside is False  # the latest event is the last exit
    assert state.unmatched_exit is False  # each exit's entry came, early or late
    latest = max(visits, key=lambda s: s.occurred_at)
    assert state.last_event_at == latest.occurred_at


def test_in_order_visits_have_no_flags():
    state, flags = run([gate("in", 0), gate("out", 5), gate("in", 10)])
    assert flags == [[], [], []]
    assert state.inside and state.entered_at == T0 + dt.timedelta(minutes=10)


def test_exit_then_its_late_entry_leaves_no_anomaly():
    state, flags = run([gate("out", 5), gate("in", 0)])
    assert flags == [["exit_without_entry"], ["late"]]
    assert state.inside is False and state.unmatched_exit is False


def test_space_events_in_a_gated_lot_do_not_move_the_car_out():
    state, _ = run(
        [
            gate("in", 0),
            Step(T0 + dt.timedelta(minutes=2), "in", False, 7, "charging", True),
            Step(T0 + dt.timedelta(minutes=50), "out", False, 7, "charging", True),
        ]
    )
    assert state.inside is True and state.space_id is None and state.kind == "standard"


def test_space_events_decide_in_a_lot_without_gates():
    state, flags = run(
        [
            Step(T0, "in", False, 3, "accessible", False),
            Step(T0 + dt.timedelta(minutes=30), "out", False, 3, "accessible", False),
        ]
    )
    assert flags == [[], []]
    assert state.inside is False and state.counts_as is None
