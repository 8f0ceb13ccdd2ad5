"""Event classes as Open311 services and service definitions, requests as Open311
service requests. No contact field of the reporter is ever part of these."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language

from community.matters import flows
from community.matters.models import EventClass, ServiceRequest, TimelineEntry
from community.matters.open311.ids import public_id

# Open311 has two statuses: a request is closed once it is resolved or ended otherwise.
OPEN_STATES = ("submitted", "accepted", "dispatched", "inspected", "in_progress", "reopened")


def _zh() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def _name(zh: str, en: str) -> str:
    return zh if _zh() or not en else en


def services_queryset() -> QuerySet[EventClass]:
    """The services: active, public event classes a resident can report."""
    return EventClass.objects.filter(active=True, public=True, selectable=True).select_related(
        "component_class", "component_class__major"
    )


def _group(klass: EventClass, majors: dict[str, EventClass]) -> str:
    major = majors.get(klass.major)
    if major is not None:
        return _name(major.name_zh, major.name_en)
    component = klass.component_class
    if component is not None and component.major is not None:
        return _name(component.major.name_zh, component.major.name_en)
    return ""


def majors() -> dict[str, EventClass]:
    return {m.code: m for m in EventClass.objects.filter(major="")}


def service(klass: EventClass, major_classes: dict[str, EventClass]) -> dict[str, Any]:
    properties = (klass.attribute_schema or {}).get("properties") or {}
    return {
        "service_code": klass.code,
        "service_name": _name(klass.name_zh, klass.name_en),
        "description": _name(klass.name_zh, klass.name_en),
        "metadata": bool(properties),
        "type": "realtime",
        "keywords": ", ".join(x for x in (klass.name_zh, klass.name_en) if x),
        "group": _group(klass, major_classes),
    }


def _datatype(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "singlevaluelist"
    if spec.get("type") == "array" and "enum" in (spec.get("items") or {}):
        return "multivaluelist"
    if spec.get("type") in ("integer", "number"):
        return "number"
    if spec.get("format") == "date-time":
        return "datetime"
    if spec.get("maxLength", 0) > 250 or spec.get("format") == "textarea":
        return "text"
    return "string"


def _describe(spec: dict[str, Any]) -> str:
    parts = []
    if "minimum" in spec:
        parts.append(f">= {spec['minimum']}")
    if "maximum" in spec:
        parts.append(f"<= {spec['maximum']}")
    if spec.get("type") == "integer":
        parts.append("integer")
    return ", ".join(parts)


def attribute(code: str, spec: dict[str, Any], order: int, required: bool) -> dict[str, Any]:
    datatype = _datatype(spec)
    choices = spec.get("enum") or (spec.get("items") or {}).get("enum") or []
    result: dict[str, Any] = {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": spec.get("description") or _describe(spec),
        "order": order,
        "description": spec.get("title") or code,
    }
    if choices:
        result["values"] = [{"key": str(c), "name": str(c)} for c in choices]
    return result


def definition(klass: EventClass) -> dict[str, Any]:
    """The class's attributes from its JSON Schema, in the schema's order."""
    schema = klass.attribute_schema or {}
    required = set(schema.get("required") or [])
    properties = schema.get("properties") or {}
    return {
        "service_code": klass.code,
        "attributes": [
            attribute(code, spec if isinstance(spec, dict) else {}, n, code in required)
            for n, (code, spec) in enumerate(properties.items(), start=1)
        ],
    }


def status_of(obj: ServiceRequest) -> str:
    return "open" if obj.state in OPEN_STATES else "closed"


def _notes(obj: ServiceRequest) -> str:
    entries: list[TimelineEntry] = list(obj.timeline.all())
    # the submit entry's note names the client application, not an outcome
    notes = [e.note for e in entries if e.note and e.action != "submit"]
    return notes[-1] if notes else ""


def _updated(obj: ServiceRequest) -> str:
    entries = list(obj.timeline.all())
    last = max((e.time for e in entries), default=obj.updated_at)
    return last.isoformat()


def service_request(obj: ServiceRequest) -> dict[str, Any]:
    """A request in GeoReport v2 fields (no contact, no staff names, no database id)."""
    klass = obj.event_class
    org = obj.organization
    sub = getattr(obj, "open311", None)
    return {
        "service_request_id": public_id(obj.tracking_code),
        "status": status_of(obj),
        "status_notes": _notes(obj),
        "service_name": _name(klass.name_zh, klass.name_en),
        "service_code": klass.code,
        "description": obj.text,
        "agency_responsible": (_name(org.name, org.name_en) if org is not None else ""),
        "service_notice": "",
        "requested_datetime": obj.created_at.isoformat(),
        "updated_datetime": _updated(obj),
        "expected_datetime": (
            obj.resolve_due.isoformat() if obj.state not in flows.FINAL_STATES else ""
        ),
        "address": _address(obj),
        "address_id": "",
        "zipcode": "",
        "lat": round(obj.place.y, 7),
        "long": round(obj.place.x, 7),
        "media_url": sub.media_url if sub is not None else "",
    }


def _address(obj: ServiceRequest) -> str:
    sub = getattr(obj, "open311", None)
    if sub is not None and sub.address_string:
        return str(sub.address_string)
    community = obj.community
    return _name(community.name, getattr(community, "name_en", "") or "")
