"""A submission's body -> typed values, every error naming its field (services check the
rest: the place inside the platform, the component, the class's attribute schema)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from community.matters.models import Source
from community.matters.privacy import Contact
from gis_app import geometry_input, parsing
from gis_app.errors import InvalidInput

SRID = 4490
TEXT_LIMIT = 2000
NOTE_LIMIT = 2000
PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}$")


@dataclass
class Submission:
    event_class: str
    place: Point
    text: str = ""
    component: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    contact: Contact = field(default_factory=Contact)
    source: str = Source.RESIDENT_WEB


def _text(body: dict[str, Any], name: str, limit: int, *, required: bool = False) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(_("%(field)s is required.") % {"field": name}, field=name)
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(
            _("%(field)s must be text of at most %(limit)d characters.")
            % {"field": name, "limit": limit},
            field=name,
        )
    return parsing.refuse_control(value, name).strip()


def parse_place(value: Any, crs: str) -> Point:
    """A GeoJSON Point in ``crs`` (CRS84 by default; GCJ02 and BD09 accepted) -> a
    CGCS2000 point. Errors name ``place``."""
    if value is None:
        raise InvalidInput(_("place is required: the point where it is."), field="place")
    try:
        geom = geometry_input.parse_geojson(value, crs)
    except InvalidInput as exc:
        raise InvalidInput(str(exc.message).replace("geometry", "place"), field="place") from None
    if geom.geom_type != "Point":
        raise InvalidInput(_("place must be a GeoJSON Point."), field="place")
    return Point(geom.x, geom.y, srid=SRID)


def parse_contact(value: Any) -> Contact:
    if value is None:
        return Contact()
    data = geometry_input.json_object(value, "contact")
    name = _text(data, "name", 50)
    phone = _text(data, "phone", 20)
    email = _text(data, "email", 254)
    if phone and not PHONE.match(phone):
        raise InvalidInput(_("contact.phone is not a telephone number."), field="contact.phone")
    if email and not EMAIL.match(email):
        raise InvalidInput(_("contact.email is not an e-mail address."), field="contact.email")
    return Contact(name, phone.replace(" ", "").replace("-", ""), email)


def parse_submission(body: dict[str, Any], crs: str) -> Submission:
    """The submission in ``body``: ``class`` (an event-class code), ``place`` (GeoJSON
    Point), optional ``text``, ``component`` (its 16-digit identifier), ``attributes``,
    ``contact`` ({name, phone, email}) and ``source``."""
    parsing.check_tree(body)
    code = body.get("class")
    if not isinstance(code, str) or not code or len(code) > 32:
        raise InvalidInput(_("class must be an event-class code."), field="class")
    place = parse_place(body.get("place"), crs)
    component = body.get("component")
    if component is not None and (
        not isinstance(component, str) or not component.isdigit() or len(component) != 16
    ):
        raise InvalidInput(_("component must be a 16-digit identifier."), field="component")
    attributes = geometry_input.json_object(body.get("attributes") or {}, "attributes")
    source = body.get("source") or Source.RESIDENT_WEB
    if source not in Source.values:
        raise InvalidInput(
            _("source must be one of %(options)s.") % {"options": ", ".join(Source.values)},
            field="source",
        )
    return Submission(
        event_class=code,
        place=place,
        text=_text(body, "text", TEXT_LIMIT),
        component=component,
        attributes=attributes,
        contact=parse_contact(body.get("contact")),
        source=str(source),
    )


def note_of(body: dict[str, Any]) -> str:
    return _text(body, "note", NOTE_LIMIT)


def action_of(body: dict[str, Any]) -> str:
    value = body.get("action")
    if not isinstance(value, str) or not re.match(r"^[a-z_]{1,32}$", value):
        raise InvalidInput(_("action must name a step of the request's flow."), field="action")
    return value
