"""An Open311 POST (form fields) -> a ``Submission`` with ``source = open311``. Every
refusal is an ``InvalidInput`` naming the spec's field; the view answers it in the spec's
error format."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Point
from django.http import QueryDict
from django.utils.translation import gettext as _

from community.matters.inputs import EMAIL, PHONE, SRID, Submission
from community.matters.models import EventClass, Source
from community.matters.privacy import Contact
from gis_app import parsing
from gis_app.errors import InvalidInput

DESCRIPTION_LIMIT = 4000  # the spec's limit
ATTRIBUTE_KEY = re.compile(r"^attribute\[([A-Za-z0-9_.-]{1,64})\](\[\])?$")
MAX_FIELDS = 100


@dataclass
class Posted:
    submission: Submission
    api_key: str
    media_url: str
    address_string: str


def _one(form: QueryDict, name: str, limit: int) -> str:
    value = form.get(name, "")
    if len(value) > limit:
        raise InvalidInput(
            _("%(field)s must be text of at most %(limit)d characters.")
            % {"field": name, "limit": limit},
            field=name,
        )
    return value.strip()


def _coordinate(form: QueryDict, name: str, bound: float) -> float | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw) if len(raw) <= 32 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise InvalidInput(
            _("%(field)s must be a decimal degree between -%(bound)d and %(bound)d (WGS84).")
            % {"field": name, "bound": bound},
            field=name,
        )
    return value


def place_of(form: QueryDict, address: str) -> Point:
    lat = _coordinate(form, "lat", 90)
    lon = _coordinate(form, "long", 180)
    if lat is None or lon is None:
        if address:
            raise InvalidInput(
                _(
                    "address_string cannot be located here: a location is needed, "
                    "send lat and long (WGS84)."
                ),
                field="address_string",
            )
        raise InvalidInput(
            _("A location is needed: send lat and long (WGS84)."),
            field="lat" if lat is None else "long",
        )
    # WGS84 and CGCS2000 differ by centimetres: the point is taken as is.
    return Point(lon, lat, srid=SRID)


def _attribute_value(code: str, values: list[str], spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    if kind == "array":
        return values
    value = values[-1]
    if kind in ("integer", "number"):
        try:
            number = float(value) if len(value) <= 32 else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or (kind == "integer" and not number.is_integer()):
            raise InvalidInput(
                _("attribute[%(code)s] must be a number.") % {"code": code},
                field=f"attribute[{code}]",
            )
        return int(number) if kind == "integer" else number
    return value


def attributes_of(form: QueryDict, klass: EventClass) -> dict[str, Any]:
    """``attribute[code]`` (and ``attribute[code][]`` for lists) typed by the class's
    schema; any other shape of key is refused."""
    properties = (klass.attribute_schema or {}).get("properties") or {}
    result: dict[str, Any] = {}
    for key, values in form.lists():
        if not key.startswith("attribute"):
            continue
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            raise InvalidInput(
                _("%(field)s is not an attribute field: use attribute[code].")
                % {"field": key[:80]},
                field=key[:80],
            )
        code = match.group(1)
        spec = properties.get(code)
        result[code] = _attribute_value(code, values, spec if isinstance(spec, dict) else {})
    return result


def contact_of(form: QueryDict) -> Contact:
    first = _one(form, "first_name", 25)
    last = _one(form, "last_name", 25)
    phone = _one(form, "phone", 20)
    email = _one(form, "email", 254)
    if phone and not PHONE.match(phone):
        raise InvalidInput(_("phone is not a telephone number."), field="phone")
    if email and not EMAIL.match(email):
        raise InvalidInput(_("email is not an e-mail address."), field="email")
    # A Chinese name is family name first, without a space.
    cjk = any("\u4e00" <= c <= "\u9fff" for c in first + last)
    name = f"{last}{first}" if cjk else " ".join(x for x in (first, last) if x)
    return Contact(name, phone.replace(" ", "").replace("-", ""), email)


def check_form(form: QueryDict) -> None:
    """No control character (NUL included) in any name or value, a bounded number of
    fields."""
    if len(form) > MAX_FIELDS:
        raise InvalidInput(_("Too many fields."), field="body")
    parsing.check_fields(form)


def service_code_of(form: QueryDict) -> str:
    code = form.get("service_code", "").strip()
    if not code:
        raise InvalidInput(_("service_code is required."), field="service_code")
    if len(code) > 32:
        raise InvalidInput(_("service_code is not a service code."), field="service_code")
    return code


def posted(form: QueryDict, klass: EventClass) -> Posted:
    """The submission of a checked form for the service ``klass``."""
    address = _one(form, "address_string", 250)
    media_url = _one(form, "media_url", 500)
    if media_url and not re.match(r"^https?://[^\s]{1,490}$", media_url):
        raise InvalidInput(_("media_url must be an http(s) URL."), field="media_url")
    for name in ("device_id", "account_id"):
        _one(form, name, 100)  # accepted (the spec's fields), not kept: they name a person
    submission = Submission(
        event_class=klass.code,
        place=place_of(form, address),
        text=_one(form, "description", DESCRIPTION_LIMIT),
        attributes=attributes_of(form, klass),
        contact=contact_of(form),
        source=Source.OPEN311,
    )
    return Posted(submission, form.get("api_key", ""), media_url, address)
