"""The facility page's content beyond ``facilities.facility``: attribute rows labelled and
valued in the reader's language (``component_catalog.catalog_labels``), opening hours in
words with open/closed now (``opening_hours``), live free spaces of a car park
(``community.parking.live``, the service behind the list and the availability layer),
and what the page's small map needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from community.parking import live
from community.parking.models import LOT_CLASSES
from component_catalog import catalog_labels, opening_hours
from gis_app.types import User
from map_ui import facilities, strings

#: Labels that read more naturally on a facility page than the schema's titles (the
#: others come from the schema, translated by ``catalog_labels``).
NATURAL_LABELS: dict[str, Any] = {
    "capacity": pgettext_lazy("facility field", "Total spaces"),
    "charging_spaces": gettext_lazy("EV charging spaces"),
    "accessible_spaces": gettext_lazy("Accessible parking spaces"),
    "accessible": gettext_lazy("Wheelchair-accessible WC"),
    "baby_care_room": gettext_lazy("Baby-care room"),
    "gender_neutral_room": gettext_lazy("Family / gender-neutral room"),
    "fee": pgettext_lazy("facility field", "Charges"),
    "fee_description": gettext_lazy("Tariff"),
    "capacity_persons": gettext_lazy("Shelters (persons)"),
    "entrance_description": gettext_lazy("Entrances"),
    "protection_level": gettext_lazy("Protection class"),
    "peacetime_use": gettext_lazy("Peacetime use"),
    "level": gettext_lazy("Grade"),
    "routes": gettext_lazy("Routes"),
    "covered": gettext_lazy("Covered"),
    "seats": gettext_lazy("Seats"),
}
HOURS_KEYS = ("opening_hours", "collection_times")
REFRESH_SECONDS = 60  # free spaces on an open car-park page, as often as the map's layer


@dataclass
class Parking:
    """Live state of a car park, as the list and the availability layer show it."""

    status: str
    status_label: str
    free: int
    capacity: int
    summary: str
    updated: str


@dataclass
class HoursRow:
    label: str
    lines: list[str]
    raw: str
    open_now: bool | None


@dataclass
class Page:
    facility: facilities.Facility
    details: list[tuple[str, str]] = field(default_factory=list)
    hours: list[HoursRow] = field(default_factory=list)
    parking: Parking | None = None
    map_extra: dict[str, Any] = field(default_factory=dict)


def _value(prop: dict[str, Any], value: Any, language: str | None) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list):
        return str(pgettext_lazy("list separator", ", ")).join(
            catalog_labels.choice(prop.get("items") or {}, v, language) for v in value
        )
    if isinstance(value, float):
        return formats.number_format(value, use_l10n=True)
    return catalog_labels.choice(prop, value, language)


def details(schema: dict[str, Any], attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """Attribute rows (label, value) in the active language, natural labels first; opening
    hours are left to ``hours``."""
    language = get_language()
    props = schema.get("properties") or {}
    order = list(NATURAL_LABELS)
    keys = sorted(
        (k for k in attributes if k not in HOURS_KEYS and attributes[k] not in ("", None)),
        key=lambda k: (order.index(k) if k in order else len(order), k),
    )
    rows = []
    for key in keys:
        raw = props.get(key)
        prop: dict[str, Any] = raw if isinstance(raw, dict) else {}
        label = (
            str(NATURAL_LABELS[key])
            if key in NATURAL_LABELS
            else catalog_labels.title(prop, key, language)
        )
        rows.append((label, _value(prop, attributes[key], language)))
    return rows


def hours(attributes: dict[str, Any], now: dt.datetime | None = None) -> list[HoursRow]:
    """Opening (and collection) times in words, with open now for opening hours."""
    labels = {"opening_hours": _("Opening hours"), "collection_times": _("Collection times")}
    rows = []
    for key in HOURS_KEYS:
        raw = attributes.get(key)
        if not isinstance(raw, str) or not raw.strip():
            continue
        described = opening_hours.describe(raw, now)
        rows.append(
            HoursRow(
                label=labels[key],
                lines=described.lines,
                raw=raw,
                open_now=described.open_now if key == "opening_hours" else None,
            )
        )
    return rows


def parking(user: User, identifier: str, class_code: str) -> Parking | None:
    """Live free spaces of a visible car park (None for other classes or a lot without a
    parking record)."""
    if class_code not in LOT_CLASSES:
        return None
    lot = live.visible_lots(user).filter(component__identifier=identifier).first()
    if lot is None:
        return None
    state = live.availability(lot)
    labels = {
        "spaces_available": _("Spaces available"),
        "almost_full": _("Almost full"),
        "full": _("Full"),
        "unknown": _("No live data"),
    }
    free, capacity = state.free["total"], state.capacity["total"]
    updated = ""
    if state.last_update is not None:
        local = timezone.localtime(state.last_update)
        updated = _("Updated %(time)s") % {
            "time": formats.date_format(local, "SHORT_DATETIME_FORMAT")
        }
    summary = (
        _("%(free)s of %(capacity)s free") % {"free": free, "capacity": capacity}
        if state.status != "unknown"
        else _("No live data")
    )
    return Parking(state.status, labels[state.status], free, capacity, summary, updated)


def build(user: User, identifier: str) -> Page:
    """Everything the facility page shows (``NotFound`` when the user may not see it)."""
    found = facilities.facility(user, identifier)
    component = found.component
    klass = component.component_class
    attributes = component.attributes or {}
    page = Page(
        facility=found,
        details=details(klass.attribute_schema or {}, attributes),
        hours=hours(attributes),
        parking=parking(user, component.identifier, klass.code),
    )
    page.map_extra = {
        "facility": {
            "lat": found.lat,
            "lon": found.lon,
            "name": component.name or found.class_name,
        },
        "strings": {**strings.resident_strings(), **facility_strings()},
    }
    if page.parking is not None:
        page.map_extra["parking"] = {
            "url": reverse("parking-lot", kwargs={"identifier": component.identifier}),
            "refreshSeconds": REFRESH_SECONDS,
            "strings": {
                "free": _("%(free)s of %(capacity)s free"),
                "updated": _("Updated %(time)s"),
                "status_spaces_available": _("Spaces available"),
                "status_almost_full": _("Almost full"),
                "status_full": _("Full"),
                "status_unknown": _("No live data"),
            },
        }
    return page


def facility_strings() -> dict[str, str]:
    """Text of facility.js in the active language."""
    return {
        "here": _("The facility"),
        "you": _("You are here"),
        "fromYouWords": _("%(where)s from you"),
        "locate": _("Show my position and the distance"),
        "geoDenied": _("Location permission was refused. Allow it in the browser's settings."),
        "geoUnavailable": _("Your position is not available right now. Try again later."),
    }
