"""Parsing and validating component input (GeoJSON features) into typed values.

Every error names the field (``geometry``, ``properties.attributes.capacity`` ...); nothing
here touches the database except to look up classes and organizations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from component_catalog.models import (
    GEOMETRY_TYPES,
    ComponentClass,
    ComponentStatus,
    DataSource,
    GeometryKind,
    GnssFix,
)
from gis_app import geometry_input, parsing, schema_messages
from gis_app.errors import InvalidInput
from gis_app.models import Organization

ORGANIZATION_FIELDS = ("competent_department", "owner", "maintainer")
#: The component's own descriptive fields, written as given (API properties, admin form).
DESCRIPTIVE_FIELDS = (
    "name",
    "address",
    "status",
    "data_source",
    "initial_date",
    "change_date",
    "notes",
)
CLOCK_SKEW = dt.timedelta(minutes=5)
REQUIRED_ON_CREATE = ("class", *ORGANIZATION_FIELDS)
# Properties a client may send; anything else is refused (a typo must not vanish silently).
KNOWN_PROPERTIES = {
    "class",
    *DESCRIPTIVE_FIELDS,
    "attributes",
    "gnss",
    "version",
    *ORGANIZATION_FIELDS,
    # read-only properties clients echo back from GET (READ_ONLY below):
    "identifier",
    "class_name",
    "currency",
    "community",
    "grid_cell",
    "needs_review",
    "review_reason",
    "updated_at",
    "created_at",
    "competent_department_name",
    "owner_name",
    "maintainer_name",
    "county_code",
}
# read-only properties clients echo back from GET: accepted when equal to the stored value
# (see ``services``), refused when they differ
READ_ONLY = KNOWN_PROPERTIES - {
    "class",
    *DESCRIPTIVE_FIELDS,
    "attributes",
    "gnss",
    "version",
    *ORGANIZATION_FIELDS,
}


@dataclass
class Gnss:
    fix: str = ""
    accuracy_m: float | None = None
    satellites: int | None = None
    time: dt.datetime | None = None
    device: str = ""


@dataclass
class ComponentInput:
    """What a client asked to set; ``fields`` holds only the properties given."""

    geometry: shapely.Geometry | None = None
    component_class: ComponentClass | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    gnss: Gnss | None = None
    version: int | None = None
    read_only: dict[str, Any] = field(default_factory=dict)  # read-only properties given


def parse_geometry(value: Any, crs: str) -> shapely.Geometry:
    """GeoJSON geometry in ``crs`` -> a valid 2D shapely geometry in CGCS2000 (lon/lat)."""
    return geometry_input.parse_geojson(value, crs)


class Lookups:
    """Classes and organizations looked up once per request (a batch of 1,000 features
    names the same few dozen)."""

    def __init__(self) -> None:
        self._classes: dict[str, ComponentClass | None] = {}
        self._organizations: dict[str, Organization | None] = {}

    def component_class(self, code: str) -> ComponentClass | None:
        if code not in self._classes:
            self._classes[code] = ComponentClass.objects.filter(code=code, active=True).first()
        return self._classes[code]

    def organization(self, code: str) -> Organization | None:
        if code not in self._organizations:
            self._organizations[code] = Organization.objects.filter(code=code, active=True).first()
        return self._organizations[code]


def parse_class(code: Any, lookups: Lookups | None = None) -> ComponentClass:
    if not isinstance(code, str) or not code:
        raise InvalidInput(
            _("properties.class must be a 4-digit class code."), field="properties.class"
        )
    found = (lookups or Lookups()).component_class(code)
    if found is None or not found.is_minor:
        raise InvalidInput(
            _("properties.class: unknown component class %(code)r.") % {"code": code},
            field="properties.class",
        )
    return found


def check_geometry_kind(geom: shapely.Geometry, klass: ComponentClass) -> None:
    allowed = GEOMETRY_TYPES.get(GeometryKind(klass.geometry_kind), ())
    if geom.geom_type.upper() not in allowed:
        raise InvalidInput(
            _("geometry: class %(code)s %(name)s needs a %(kind)s, not a %(type)s.")
            % {
                "code": klass.code,
                "name": klass.name_zh,
                "kind": klass.get_geometry_kind_display(),
                "type": geom.geom_type,
            },
            field="geometry",
        )


def check_geometry(geom: shapely.Geometry, klass: ComponentClass) -> None:
    """The geometry suits the class: its kind, and the class's maximum area and vertex
    count (``ComponentClass.max_area_m2``, ``max_vertices``)."""
    check_geometry_kind(geom, klass)
    geometry_input.check_size(
        geom, max_area_m2=klass.max_area_m2, max_vertices=klass.max_vertices, field="geometry"
    )


def validate_attributes(value: Any, klass: ComponentClass) -> dict[str, Any]:
    attrs = geometry_input.json_object(value, "properties.attributes")
    validator = Draft202012Validator(klass.attribute_schema or {"type": "object"})
    errors = sorted(validator.iter_errors(attrs), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = ".".join(str(p) for p in first.absolute_path)
        if first.validator == "additionalProperties":
            extra = sorted(set(attrs) - set((klass.attribute_schema or {}).get("properties", {})))
            path = extra[0] if extra else path
        name = "properties.attributes" + (f".{path}" if path else "")
        raise InvalidInput(
            _("%(field)s: %(reason)s (class %(code)s)")
            % {"field": name, "reason": schema_messages.explain(first), "code": klass.code},
            field=name,
        )
    return attrs


def latest_date() -> dt.date:
    """The latest date a survey may carry: today in the platform's zone (Asia/Shanghai),
    with a few minutes of grace for a device clock running ahead at midnight."""
    return timezone.localdate(timezone.now() + CLOCK_SKEW)


def check_not_future(value: dt.date, field_name: str) -> None:
    """Dates of surveys and changes are facts of the past: a future date would game the
    timeliness figures."""
    if value > latest_date():
        raise InvalidInput(
            _("%(field)s %(date)s is in the future; today is %(today)s (China Standard Time).")
            % {"field": field_name, "date": value.isoformat(), "today": timezone.localdate()},
            field=field_name,
        )


def _date(props: dict[str, Any], name: str) -> dt.date:
    parsed = parsing.date_value(props[name], f"properties.{name}")
    check_not_future(parsed, f"properties.{name}")
    return parsed


def _organization(props: dict[str, Any], name: str, lookups: Lookups) -> Organization:
    code = props[name]
    found = lookups.organization(code) if isinstance(code, str) else None
    if found is None:
        raise InvalidInput(
            _("properties.%(name)s: unknown organization %(code)r.") % {"name": name, "code": code},
            field=f"properties.{name}",
        )
    return found


def parse_gnss(value: Any) -> Gnss:
    obj = geometry_input.json_object(value, "properties.gnss")
    unknown = set(obj) - {"fix", "accuracy_m", "satellites", "time", "device"}
    if unknown:
        name = f"properties.gnss.{sorted(unknown)[0]}"
        raise InvalidInput(_("%(field)s is not a known field.") % {"field": name}, field=name)
    gnss = Gnss()
    if obj.get("fix") is not None:
        if obj["fix"] not in GnssFix.values:
            raise InvalidInput(
                _("properties.gnss.fix must be one of %(options)s.")
                % {"options": ", ".join(GnssFix.values)},
                field="properties.gnss.fix",
            )
        gnss.fix = obj["fix"]
    if obj.get("accuracy_m") is not None:
        acc = obj["accuracy_m"]
        if isinstance(acc, bool) or not isinstance(acc, int | float) or not 0 <= acc < 100000:
            raise InvalidInput(
                _("properties.gnss.accuracy_m must be a number of metres >= 0."),
                field="properties.gnss.accuracy_m",
            )
        gnss.accuracy_m = float(acc)
    if obj.get("satellites") is not None:
        sats = obj["satellites"]
        if isinstance(sats, bool) or not isinstance(sats, int) or not 0 <= sats <= 200:
            raise InvalidInput(
                _("properties.gnss.satellites must be a whole number 0-200."),
                field="properties.gnss.satellites",
            )
        gnss.satellites = sats
    if obj.get("time") is not None:
        gnss.time = parsing.datetime_value(obj["time"], "properties.gnss.time")
    if obj.get("device") is not None:
        gnss.device = parsing.property_text(obj, "device", 100)
    return gnss


def parse_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(_("version must be a positive whole number."), field="version")
    return value


def parse_feature(
    data: Any,
    *,
    crs: str,
    creating: bool,
    partial: bool = False,
    lookups: Lookups | None = None,
) -> ComponentInput:
    """A GeoJSON Feature (or bare properties + geometry) -> ComponentInput.

    ``creating``: class, geometry and the three organizations are required.
    ``partial`` (PATCH): only what is given changes; otherwise (PUT) the same as creating,
    except that the class may not change.
    """
    feature = geometry_input.json_object(data, "feature")
    if feature.get("type") not in (None, "Feature"):
        raise InvalidInput(_("The body must be a GeoJSON Feature."), field="type")
    props = geometry_input.json_object(feature.get("properties") or {}, "properties")
    unknown = set(props) - KNOWN_PROPERTIES
    if unknown:
        name = f"properties.{sorted(unknown)[0]}"
        raise InvalidInput(_("%(field)s is not a known property.") % {"field": name}, field=name)
    lookups = lookups or Lookups()
    result = ComponentInput()
    full = creating or not partial
    if full:
        for name in REQUIRED_ON_CREATE:
            if props.get(name) in (None, ""):
                raise InvalidInput(
                    _("properties.%(name)s is required.") % {"name": name},
                    field=f"properties.{name}",
                )
        if feature.get("geometry") is None:
            raise InvalidInput(_("geometry is required."), field="geometry")
    if props.get("class") not in (None, ""):
        result.component_class = parse_class(props["class"], lookups)
    if feature.get("geometry") is not None:
        result.geometry = parse_geometry(feature["geometry"], crs)
        if result.component_class is not None:
            check_geometry(result.geometry, result.component_class)
    for name in ORGANIZATION_FIELDS:
        if props.get(name) not in (None, ""):
            result.organizations[name] = _organization(props, name, lookups)
    fields = result.fields
    if "status" in props:
        fields["status"] = parsing.property_choice(props, "status", ComponentStatus.values)
    if "data_source" in props:
        fields["data_source"] = parsing.property_choice(props, "data_source", DataSource.values)
    if "name" in props:
        fields["name"] = parsing.property_text(props, "name", 200)
    if "address" in props:
        fields["address"] = parsing.property_text(props, "address", 300)
    if "notes" in props:
        fields["notes"] = parsing.property_text(props, "notes", 5000)
    for name in ("initial_date", "change_date"):
        if props.get(name) is not None:
            fields[name] = _date(props, name)
    if "attributes" in props:
        fields["attributes"] = props["attributes"] if props["attributes"] is not None else {}
        if result.component_class is not None:
            validate_attributes(fields["attributes"], result.component_class)
    if props.get("gnss") is not None:
        result.gnss = parse_gnss(props["gnss"])
    if props.get("version") is not None:
        result.version = parse_version(props["version"])
    result.read_only = {name: props[name] for name in sorted(READ_ONLY & set(props))}
    return result
