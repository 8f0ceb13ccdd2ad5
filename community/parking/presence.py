"""Where a vehicle stands in a lot, as a pure function of its events (no database).

Rules, per lot and credential:

* The latest event by time decides. An event older than the latest one seen (a late,
  out-of-order event) changes nothing and is flagged ``late``; a late *entry* resolves an
  ``exit_without_entry`` that came before it, so "exit, then its entry" ends outside with
  no anomaly left.
* A lot-level event (at a gate; at a space in a lot without gates, e.g. on-street parking
  with a camera per space) moves the vehicle in or out of the lot. An entry while inside is
  flagged ``repeated_entry`` (the exit was missed); an exit while outside
  ``exit_without_entry``. Neither makes occupancy negative or counts a car twice.
* A space-level event in a lot with gates places the vehicle at (``in``) or takes it off
  (``out``) a space; ``in`` also means inside (its gate entry is late or was missed).
* A vehicle inside counts for the kind of its space (standard when unknown).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from community.parking.models import SpaceKind


@dataclass(frozen=True)
class State:
    inside: bool = False
    entered_at: dt.datetime | None = None
    last_event_at: dt.datetime | None = None
    last_direction: str | None = None
    space_id: int | None = None
    kind: str = SpaceKind.STANDARD
    unmatched_exit: bool = False

    @property
    def counts_as(self) -> str | None:
        """The kind this vehicle occupies, or None when outside."""
        return self.kind if self.inside else None


@dataclass(frozen=True)
class Step:
    occurred_at: dt.datetime
    direction: str
    at_gate: bool
    space_id: int | None
    space_kind: str | None
    lot_has_gates: bool


def apply(state: State, step: Step) -> tuple[State, list[str]]:
    """The state after ``step`` and the flags the step gets."""
    flags: list[str] = []
    entering = step.direction == "in"
    lot_level = step.at_gate or not step.lot_has_gates
    if state.last_event_at is not None and step.occurred_at < state.last_event_at:
        flags.append("late")
        if entering and lot_level and state.unmatched_exit:
            return replace(state, unmatched_exit=False), flags
        return state, flags
    new = replace(state, last_event_at=step.occurred_at, last_direction=step.direction)
    if lot_level and entering:
        if state.inside:
            flags.append("repeated_entry")
        new = replace(
            new,
            inside=True,
            entered_at=step.occurred_at,
            space_id=step.space_id,
            kind=step.space_kind or SpaceKind.STANDARD,
            unmatched_exit=False,
        )
    elif lot_level:
        if not state.inside:
            flags.append("exit_without_entry")
        new = replace(
            new,
            inside=False,
            entered_at=None,
            space_id=None,
            kind=SpaceKind.STANDARD,
            unmatched_exit=not state.inside,
        )
    elif entering:
        new = replace(
            new,
            inside=True,
            entered_at=state.entered_at if state.inside else step.occurred_at,
            space_id=step.space_id,
            kind=step.space_kind or SpaceKind.STANDARD,
            unmatched_exit=False,
        )
    elif state.space_id in (None, step.space_id):
        new = replace(new, space_id=None, kind=SpaceKind.STANDARD)
    return new, flags
