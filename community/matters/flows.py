"""Flow definitions (办理流程) as data: the states of a request, and per action the states
it leaves, the state it reaches and who may take it. The ``Flow`` model stores these
definitions (loaded by a data migration); an administrator may add a non-standard flow
(an extra step, a co-handling department) as data without code.

Who may take an action is a list of tokens:

``area:<role>``
    a grant of that platform role whose area covers the request's place;
``routed:<role>``
    a grant of that role in the organization the request is routed to (its staff);
``reporter``
    whoever holds the request's tracking code (no account needed).

A transition may require a note (``"note": "required"``), a merge target (``"merge"``), or
be open to the reporter only for some days after closing (``"within_days"``).
"""

from __future__ import annotations

import copy
from typing import Any

DESK = ["area:community_worker", "area:street_admin", "area:district_admin", "area:city_admin"]
HANDLER = [
    "routed:maintainer",
    "routed:surveyor",
    "routed:community_worker",
    "routed:street_admin",
]
REOPEN_DAYS = 7  # a reporter may reopen a closed request this many days after closing

OPEN_STATES = ["submitted", "reopened", "accepted"]
FINAL_STATES = ["closed", "rejected", "merged"]


def _t(action: str, sources: list[str], to: str, by: list[str], **extra: Any) -> dict[str, Any]:
    return {"action": action, "from": sources, "to": to, "by": by, **extra}


STANDARD: dict[str, Any] = {
    "name_zh": "标准流程",
    "name_en": "Standard flow",
    "initial": "submitted",
    "states": [
        "submitted",
        "accepted",
        "dispatched",
        "in_progress",
        "resolved",
        "verified",
        "closed",
        "rejected",
        "merged",
        "reopened",
    ],
    "final": FINAL_STATES,
    "transitions": [
        _t("accept", ["submitted", "reopened"], "accepted", DESK),
        _t("reject", OPEN_STATES, "rejected", DESK, note="required"),
        _t("merge", OPEN_STATES, "merged", DESK, merge=True),
        _t("dispatch", ["accepted"], "dispatched", DESK),
        _t("start", ["dispatched"], "in_progress", HANDLER),
        _t("resolve", ["in_progress"], "resolved", HANDLER),
        _t("verify", ["resolved"], "verified", DESK),
        _t("send_back", ["resolved"], "reopened", DESK, note="required"),
        _t("close", ["verified"], "closed", DESK),
        _t("reopen", ["closed"], "reopened", ["reporter"], within_days=REOPEN_DAYS),
    ],
}


def _inspected() -> dict[str, Any]:
    """The standard flow with an on-site inspection (现场核实) by the handling
    organization between dispatch and handling."""
    flow = copy.deepcopy(STANDARD)
    flow["name_zh"] = "现场核实流程"
    flow["name_en"] = "Flow with on-site inspection"
    flow["states"].insert(flow["states"].index("in_progress"), "inspected")
    flow["transitions"].insert(4, _t("inspect", ["dispatched"], "inspected", HANDLER))
    for t in flow["transitions"]:
        if t["action"] == "start":
            t["from"] = ["inspected"]
    return flow


CONSULTATION: dict[str, Any] = {
    "name_zh": "咨询流程",
    "name_en": "Consultation flow",
    "initial": "submitted",
    "states": ["submitted", "accepted", "resolved", "closed", "rejected", "merged", "reopened"],
    "final": FINAL_STATES,
    "transitions": [
        _t("accept", ["submitted", "reopened"], "accepted", DESK),
        _t("reject", OPEN_STATES, "rejected", DESK, note="required"),
        _t("merge", OPEN_STATES, "merged", DESK, merge=True),
        _t("resolve", ["accepted"], "resolved", DESK, note="required"),  # the answer
        _t("close", ["resolved"], "closed", DESK),
        _t("reopen", ["closed"], "reopened", ["reporter"], within_days=REOPEN_DAYS),
    ],
}

APPROVAL: dict[str, Any] = {
    "name_zh": "审批流程",
    "name_en": "Approval flow",
    "initial": "submitted",
    "states": [
        "submitted",
        "accepted",
        "in_progress",
        "resolved",
        "closed",
        "rejected",
        "merged",
        "reopened",
    ],
    "final": FINAL_STATES,
    "transitions": [
        _t("accept", ["submitted", "reopened"], "accepted", DESK),
        _t("reject", [*OPEN_STATES, "in_progress"], "rejected", DESK, note="required"),
        _t("merge", OPEN_STATES, "merged", DESK, merge=True),
        _t("start", ["accepted"], "in_progress", DESK),  # review (审查)
        _t("resolve", ["in_progress"], "resolved", DESK, note="required"),  # decision
        _t("close", ["resolved"], "closed", DESK),
        _t("reopen", ["closed"], "reopened", ["reporter"], within_days=REOPEN_DAYS),
    ],
}

FLOWS: dict[str, dict[str, Any]] = {
    "standard": STANDARD,
    "inspected": _inspected(),
    "service": {**copy.deepcopy(STANDARD), "name_zh": "服务流程", "name_en": "Service flow"},
    "consultation": CONSULTATION,
    "approval": APPROVAL,
}

ROLE_PREFIXES = ("area:", "routed:")


def problems(definition: Any, roles: set[str]) -> list[str]:
    """What is wrong with a flow definition (empty: it is sound): every state named is
    declared, every transition has an action, sources, a target and takers, and every
    role named is a platform role."""
    if not isinstance(definition, dict):
        return ["the definition must be a JSON object"]
    states = definition.get("states")
    if not isinstance(states, list) or not states or not all(isinstance(s, str) for s in states):
        return ["states must be a list of state names"]
    found = []
    if definition.get("initial") not in states:
        found.append("initial must be one of the states")
    for state in definition.get("final", []):
        if state not in states:
            found.append(f"final state {state!r} is not declared")
    transitions = definition.get("transitions")
    if not isinstance(transitions, list) or not transitions:
        return [*found, "transitions must be a non-empty list"]
    actions = set()
    for index, t in enumerate(transitions, 1):
        if not isinstance(t, dict) or not isinstance(t.get("action"), str):
            found.append(f"transition {index}: action missing")
            continue
        actions.add(t["action"])
        for state in [*(t.get("from") or []), t.get("to")]:
            if state not in states:
                found.append(f"transition {t['action']}: state {state!r} is not declared")
        takers = t.get("by")
        if not isinstance(takers, list) or not takers:
            found.append(f"transition {t['action']}: nobody may take it")
            continue
        for token in takers:
            if token == "reporter":  # noqa: S105 (a taker, not a secret)
                continue
            prefix, _, role = str(token).partition(":")
            if f"{prefix}:" not in ROLE_PREFIXES or role not in roles:
                found.append(f"transition {t['action']}: unknown taker {token!r}")
    if len(actions) != len(transitions):
        found.append("an action is defined twice")
    return found
