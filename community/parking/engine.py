"""Processing passage events: deduplicate, apply to vehicle presence, update live
occupancy and its history, store the events. Set-based: one batch costs a handful of
statements whatever its size, so HTTP batches and MQTT bursts share one code path.

Concurrency: the lots' occupancy rows are locked (in lot order) before anything is read, so
two batches that touch the same lot run one after the other: the duplicate check and the
presence rows see the other batch's commit, and counters change by ``+ delta``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from django.db import transaction

from community.devices.kinds import Outcome
from community.parking import presence, sql
from community.parking.inputs import EventIn
from community.parking.models import KINDS

KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}


def _state(row: tuple[object, ...] | None) -> presence.State:
    if row is None:
        return presence.State()
    inside, entered_at, last_at, last_direction, space_id, kind, unmatched = row
    return presence.State(
        inside=bool(inside),
        entered_at=entered_at,  # type: ignore[arg-type]
        last_event_at=last_at,  # type: ignore[arg-type]
        last_direction=last_direction,  # type: ignore[arg-type]
        space_id=space_id,  # type: ignore[arg-type]
        kind=str(kind),
        unmatched_exit=bool(unmatched),
    )


def record(events: list[EventIn], channel: str, received_at: dt.datetime) -> list[Outcome]:
    """Store and apply the events; one outcome per input event, in input order. Must run
    inside ``transaction.atomic()`` (everything or nothing)."""
    assert transaction.get_connection().in_atomic_block, "record() needs a transaction"
    outcomes: list[Outcome] = [Outcome(ev.event_id, "duplicate") for ev in events]
    first: dict[tuple[int, str], int] = {}
    for i, ev in enumerate(events):
        first.setdefault((ev.device_id, ev.event_id), i)
    candidates = sorted(first.values())

    sql.lock_lots(events[i].lot_id for i in candidates)
    stored = sql.existing_events([(events[i].device_id, events[i].event_id) for i in candidates])
    fresh = [i for i in candidates if (events[i].device_id, events[i].event_id) not in stored]
    if not fresh:
        return outcomes

    by_vehicle: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for i in fresh:
        by_vehicle[(events[i].lot_id, events[i].credential.hash)].append(i)
    states = sql.presence_states(list(by_vehicle))

    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    latest: dict[int, dt.datetime] = {}
    presence_rows = []
    for key, indexes in by_vehicle.items():
        indexes.sort(key=lambda i: events[i].occurred_at)
        state = _state(states.get(key))
        before = state.counts_as
        for i in indexes:
            ev = events[i]
            state, flags = presence.apply(
                state,
                presence.Step(
                    ev.occurred_at,
                    ev.direction,
                    ev.gate_id is not None,
                    ev.space_id,
                    ev.space_kind,
                    ev.lot_has_gates,
                ),
            )
            outcomes[i] = Outcome(ev.event_id, "stored", flags)
        after = state.counts_as
        lot_id = key[0]
        if before is not None:
            deltas[lot_id][KIND_INDEX[before]] -= 1
        if after is not None:
            deltas[lot_id][KIND_INDEX[after]] += 1
        last = events[indexes[-1]]
        latest[lot_id] = max(latest.get(lot_id, last.occurred_at), last.occurred_at)
        presence_rows.append(
            (
                lot_id,
                key[1],
                last.credential.type,
                last.credential.masked,
                state.inside,
                state.entered_at,
                state.last_event_at,
                state.last_direction,
                state.space_id,
                state.kind,
                state.unmatched_exit,
            )
        )

    over = sql.apply_occupancy({lot: (d[0], d[1], d[2]) for lot, d in deltas.items()}, latest)
    rows = []
    for i in fresh:
        ev = events[i]
        flags = outcomes[i].flags
        if over.get(ev.lot_id) and ev.direction == "in" and "late" not in flags:
            flags.append("over_capacity")
        rows.append(
            (
                ev.occurred_at,
                ev.device_id,
                ev.event_id,
                ev.lot_id,
                ev.gate_id,
                ev.space_id,
                ev.direction,
                ev.credential.type,
                ev.credential.hash,
                ev.credential.masked,
                json.dumps(flags),
            )
        )
    sql.upsert_presence(presence_rows)
    sql.insert_events(rows, received_at, channel)
    return outcomes
