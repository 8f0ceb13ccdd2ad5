"""Loads the flows and the event-class catalog (``flows.py``, ``catalog.py``) into the
database: from the data migration (historical models) and again after the component
catalog grows (new component classes get their damaged / missing / occupied classes).
Existing rows are left as administrators edited them; only missing ones are added."""

from __future__ import annotations

from typing import Any

from community.matters import catalog, flows


def load(apps: Any) -> dict[str, int]:
    """Add the missing flows and event classes; returns how many of each were added."""
    flow_model = apps.get_model("matters", "Flow")
    event_class = apps.get_model("matters", "EventClass")
    component_class = apps.get_model("component_catalog", "ComponentClass")
    added_flows = 0
    for code, definition in flows.FLOWS.items():
        _, created = flow_model.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": definition["name_zh"],
                "name_en": definition["name_en"],
                "definition": definition,
            },
        )
        added_flows += created
    by_code = {f.code: f for f in flow_model.objects.all()}
    minor = [
        {
            "code": c.code,
            "major": c.major_id,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "public": c.default_public,
        }
        for c in component_class.objects.filter(active=True).order_by("code")
        if len(c.code) == 4
    ]
    existing = set(event_class.objects.values_list("code", flat=True))
    rows = []
    for row in [*catalog.event_classes(), *catalog.component_event_classes(minor)]:
        if row["code"] in existing:
            continue
        fields = dict(row)
        flow = fields.pop("flow")
        fields["flow"] = by_code[flow] if flow else None
        fields["component_class_id"] = fields.pop("component_class", None)
        rows.append(event_class(**fields))
    event_class.objects.bulk_create(rows)
    return {"flows": added_flows, "event_classes": len(rows)}
