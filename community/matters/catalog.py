"""Event-class (事件) catalog facts, copied into the project as Python literals, and the
component-related classes generated from the component catalog.

Source: ``shared/data/catalog/event_classes.csv`` (the event classes of digital urban
management, CJ/T 214-2007 as deployed): code, major code, Chinese and English names, copied
verbatim; ``tests/test_matters_catalog.py`` checks that they still agree.

Pure Python (no Django imports): the data migration, the loader and tests use it.
"""

from __future__ import annotations

from typing import Any

# kinds of matters (事项): 审批 approval, 服务 service, 咨询 consultation, 投诉 complaint,
# 任务 task
KINDS: tuple[str, ...] = ("approval", "service", "consultation", "complaint", "task")

# code, major code ('' for a major class), name_zh, name_en: verbatim from the CSV
EVENT_ROWS: list[tuple[str, str, str, str]] = [
    ("01", "", "市容环境", "City appearance"),
    ("0102", "01", "暴露垃圾", "Exposed garbage"),
    ("0103", "01", "积存垃圾渣土", "Accumulated garbage or muck"),
    ("0104", "01", "道路保洁", "Road cleaning problem"),
    ("0105", "01", "河道保洁", "River cleaning problem"),
    ("0107", "01", "废弃车辆", "Abandoned vehicle"),
    ("0108", "01", "废弃家具设备", "Abandoned furniture or equipment"),
    ("0111", "01", "道路积水", "Road waterlogging"),
    ("0115", "01", "乱倒乱排污水、废水", "Illegal discharge of sewage"),
    ("0123", "01", "垃圾、渣土乱倒乱卸", "Illegal dumping of garbage or muck"),
    ("0141", "01", "油烟污染", "Cooking-fume pollution"),
    ("02", "", "宣传广告", "Posters and advertising"),
    ("0201", "02", "非法张贴小广告", "Illegal small posters"),
    ("0202", "02", "违章张贴悬挂广告牌匾", "Illegal billboards or signs"),
    ("0203", "02", "占道广告牌", "Billboard occupying the road"),
    ("03", "", "施工管理", "Construction management"),
    ("0301", "03", "施工扰民", "Construction noise disturbance"),
    ("0302", "03", "工地扬尘", "Construction dust"),
    ("0304", "03", "道路遗撒", "Spillage on road"),
    ("0306", "03", "道路破损", "Damaged road"),
    ("0307", "03", "施工工地未围挡", "Construction site without hoarding"),
    ("04", "", "突发事件", "Emergencies"),
    ("0401", "04", "路面塌陷", "Road collapse"),
    ("0402", "04", "自来水管破裂", "Burst water main"),
    ("0403", "04", "燃气管道破裂", "Burst gas pipe"),
    ("0404", "04", "下水道堵塞", "Blocked sewer"),
    ("0411", "04", "火灾", "Fire"),
    ("05", "", "街面秩序", "Street order"),
    ("0501", "05", "无照经营游商", "Unlicensed street vending"),
    ("0504", "05", "店外经营", "Business outside the shop"),
    ("0505", "05", "机动车乱停放", "Illegal car parking"),
    ("0506", "05", "非机动车乱停放", "Illegal bicycle parking"),
    ("0507", "05", "乱堆物堆料", "Illegal stacking of materials"),
    ("0510", "05", "露天烧烤", "Open-air barbecue"),
    ("0598", "05", "占压盲道", "Blocking tactile paving"),
]

# Hours to accept and to resolve, per major event class: emergencies (04) are accepted
# within the hour and made safe within a day; the rest follow the usual 12345 terms
# (accept within 2 working hours, resolve within 3 days).
SLA_BY_MAJOR: dict[str, tuple[int, int]] = {
    "01": (2, 72),
    "02": (2, 72),
    "03": (2, 48),
    "04": (1, 24),
    "05": (2, 48),
}
DEFAULT_SLA: tuple[int, int] = (2, 72)

# Emergencies are not shown to the public (a gas leak's place is for the responders).
PRIVATE_MAJORS = frozenset({"04"})

# Problems of a component (部件) a resident can report: code suffix, Chinese, English,
# hours to accept and to resolve.
COMPONENT_PROBLEMS: list[tuple[str, str, str, int, int]] = [
    ("damaged", "破损", "damaged", 2, 72),
    ("missing", "丢失", "missing", 2, 48),
    ("occupied", "占用", "occupied", 2, 48),
]

# The flow of event classes without one of their own, per kind (see ``flows.py``).
STANDARD_FLOW_OF_KIND: dict[str, str] = {
    "approval": "approval",
    "service": "service",
    "consultation": "consultation",
    "complaint": "standard",
    "task": "standard",
}

# The required attributes of a request (JSON Schema draft 2020-12), per CSV class that
# needs more than the text: parked vehicles need the plate's region for the traffic police,
# discharges the kind of water.
ATTRIBUTES: dict[str, dict[str, Any]] = {
    "0505": {
        "type": "object",
        "properties": {"vehicles": {"type": "integer", "minimum": 1, "maximum": 500}},
        "additionalProperties": False,
    },
    "0115": {
        "type": "object",
        "properties": {"kind": {"enum": ["生活污水", "工业废水", "其他"]}},
        "additionalProperties": False,
    },
}

# Classes that take the flow with an on-site inspection before handling (核实).
INSPECTED = frozenset({"0301", "0302", "0307"})

EMPTY_SCHEMA: dict[str, Any] = {"type": "object"}


def event_classes() -> list[dict[str, Any]]:
    """The catalog's event classes as field values of ``EventClass`` (majors included,
    marked by an empty ``major``: they group, nobody reports under them)."""
    result = []
    for code, major, name_zh, name_en in EVENT_ROWS:
        accept, resolve = SLA_BY_MAJOR.get(major or code, DEFAULT_SLA)
        result.append(
            {
                "code": code,
                "major": major,
                "name_zh": name_zh,
                "name_en": name_en,
                "kind": "complaint",
                "sla_accept_hours": accept,
                "sla_resolve_hours": resolve,
                "routing": {"rule": "community_office"},
                "public": (major or code) not in PRIVATE_MAJORS,
                "attribute_schema": ATTRIBUTES.get(code, EMPTY_SCHEMA),
                "flow": "inspected" if code in INSPECTED else "",
                "selectable": bool(major),
            }
        )
    return result


def component_event_code(class_code: str, problem: str) -> str:
    """The event class of a problem of a component class, e.g. ``0101-damaged``."""
    return f"{class_code}-{problem}"


def component_event_classes(component_classes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Damaged / missing / occupied (破损/丢失/占用) per minor component class; each
    ``component_classes`` item has ``code``, ``major``, ``name_zh``, ``name_en`` and
    ``public``. Routed to the component's maintainer, else the steward of the class's
    layer."""
    result = []
    for klass in component_classes:
        for problem, zh, en, accept, resolve in COMPONENT_PROBLEMS:
            result.append(
                {
                    "code": component_event_code(klass["code"], problem),
                    "major": "",
                    "name_zh": f"{klass['name_zh']}{zh}",
                    "name_en": f"{klass['name_en']} {en}".strip(),
                    "kind": "complaint",
                    "sla_accept_hours": accept,
                    "sla_resolve_hours": resolve,
                    "routing": {"rule": "component", "component_class": klass["code"]},
                    "public": bool(klass["public"]),
                    "attribute_schema": EMPTY_SCHEMA,
                    "flow": "",
                    "selectable": True,
                    "component_class": klass["code"],
                }
            )
    return result
