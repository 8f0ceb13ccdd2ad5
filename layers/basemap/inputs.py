"""Parsing base-layer input: a GeoJSON Feature (buildings, roads, rivers, water, green
space) -> a checked ``BuildingInput`` / ``FeatureInput``. Errors name the field at fault.

Input geometry is GeoJSON in the request's CRS (CRS84 by default), converted to CGCS2000
with ``gis_app.coords`` and validated here (``layers`` does not import the component
catalog).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import shapely
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from gis_app import geometry_input, parsing
from gis_app.errors import InvalidInput
from layers.basemap.models import (
    LINE_KINDS,
    LINE_TYPES,
    POLYGON_TYPES,
    BaseFeatureKind,
    BuildingUse,
)

DETAIL_FIELDS = ("floors", "use", "units_count", "build_year")
ROAD_CLASSES = ["快速路", "主干路", "次干路", "支路"]
GREEN_TYPES = ["公园绿地", "防护绿地", "广场用地", "附属绿地", "区域绿地"]
WATER_TYPES = ["湖泊", "水库", "池塘", "湿地"]
# The English name of a road, river, water body or park (the basemap's labels show it on
# English pages).
NAME_EN = {"type": "string", "maxLength": 200}
# Attributes of each base-feature kind; unknown attributes are refused (typos must not
# vanish silently).
ATTRIBUTE_SCHEMAS: dict[str, dict[str, Any]] = {
    BaseFeatureKind.ROAD: {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "road_class": {"enum": ROAD_CLASSES},
            "width_m": {"type": "number", "exclusiveMinimum": 0, "maximum": 200},
            "lanes": {"type": "integer", "minimum": 1, "maximum": 16},
            "one_way": {"type": "boolean"},
            "name_en": NAME_EN,
        },
    },
    BaseFeatureKind.RIVER: {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "width_m": {"type": "number", "exclusiveMinimum": 0, "maximum": 5000},
            "name_en": NAME_EN,
        },
    },
    BaseFeatureKind.WATER: {
        "type": "object",
        "additionalProperties": False,
        "properties": {"water_type": {"enum": WATER_TYPES}, "name_en": NAME_EN},
    },
    BaseFeatureKind.GREEN: {
        "type": "object",
        "additionalProperties": False,
        "properties": {"green_type": {"enum": GREEN_TYPES}, "name_en": NAME_EN},
    },
}
GEOJSON_TYPES = {
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
}
READ_ONLY = {"id", "key", "community", "layer", "created_at", "updated_at"}
BUILDING = "building"
# Size limits of base-layer geometries (geodesic area, vertices), by kind: a building is
# under 1 km²; a lake or a park may be large (West Lake is 6.4 km², Xixi wetland 11.5), but
# not a district; lines may be long and detailed.
SIZE_LIMITS: dict[str, tuple[float | None, int]] = {
    BUILDING: (1_000_000.0, 5_000),
    BaseFeatureKind.ROAD: (None, 20_000),
    BaseFeatureKind.RIVER: (None, 20_000),
    BaseFeatureKind.WATER: (20_000_000.0, 20_000),
    BaseFeatureKind.GREEN: (20_000_000.0, 20_000),
}
BUILDING_PROPERTIES = {"name", "address", *DETAIL_FIELDS, "version", *READ_ONLY}
FEATURE_PROPERTIES = {"kind", "name", "attributes", "version", *READ_ONLY}


@dataclass
class BuildingInput:
    """What a client asked to set; ``fields`` holds only the properties given."""

    geometry: shapely.Geometry | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    read_only: dict[str, Any] = field(default_factory=dict)  # read-only properties given


@dataclass
class FeatureInput:
    kind: str | None = None
    geometry: shapely.Geometry | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    read_only: dict[str, Any] = field(default_factory=dict)


def check_geometry_type(geom: shapely.Geometry, allowed: tuple[str, ...], what: str) -> None:
    if geom.geom_type.upper() not in allowed:
        raise InvalidInput(
            _("geometry: %(what)s must be a %(types)s, not a %(type)s.")
            % {
                "what": what,
                "types": _(" or ").join(GEOJSON_TYPES[t] for t in allowed),
                "type": geom.geom_type,
            },
            field="geometry",
        )


def parse_geometry(value: Any, crs: str, allowed: tuple[str, ...], what: str) -> shapely.Geometry:
    """GeoJSON geometry in ``crs`` -> a valid 2D shapely geometry in CGCS2000 of one of the
    ``allowed`` types (PostGIS names). Errors name the field ``geometry``."""
    geom = geometry_input.parse_geojson(value, crs)
    check_geometry_type(geom, allowed, what)
    if geom.geom_type in ("LineString", "MultiLineString") and geom.length == 0:
        raise InvalidInput(_("geometry: a line needs a length."), field="geometry")
    return geom


def check_size(geom: shapely.Geometry, kind: str) -> None:
    """The geometry is not larger nor more detailed than a ``kind`` (``building`` or a
    base-feature kind) may be (``SIZE_LIMITS``)."""
    max_area, max_vertices = SIZE_LIMITS[kind]
    geometry_input.check_size(geom, max_area_m2=max_area, max_vertices=max_vertices)


def parse_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(_("version must be a positive whole number."), field="version")
    return value


def _properties(feature: Any, known: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    body = geometry_input.json_object(feature, "feature")
    if body.get("type") not in (None, "Feature"):
        raise InvalidInput(_("The body must be a GeoJSON Feature."), field="type")
    props = geometry_input.json_object(body.get("properties") or {}, "properties")
    unknown = set(props) - known
    if unknown:
        name = f"properties.{sorted(unknown)[0]}"
        raise InvalidInput(_("%(field)s is not a known property.") % {"field": name}, field=name)
    return body, props


def parse_building(feature: Any, *, crs: str, creating: bool) -> BuildingInput:
    """A GeoJSON Feature -> BuildingInput. Creating needs a footprint; an update (PATCH)
    changes only what is given."""
    body, props = _properties(feature, BUILDING_PROPERTIES)
    result = BuildingInput()
    if body.get("geometry") is not None:
        result.geometry = parse_geometry(
            body["geometry"], crs, POLYGON_TYPES, _("a building footprint")
        )
        check_size(result.geometry, BUILDING)
    elif creating:
        raise InvalidInput(_("geometry is required."), field="geometry")
    fields = result.fields
    if "name" in props:
        fields["name"] = parsing.property_text(props, "name", 200)
    if "address" in props:
        fields["address"] = parsing.property_text(props, "address", 300)
    if "floors" in props:
        fields["floors"] = parsing.property_whole(props, "floors", 1, 200, nullable=True)
    if "units_count" in props:
        fields["units_count"] = parsing.property_whole(
            props, "units_count", 0, 100_000, nullable=False
        )
    if "build_year" in props:
        fields["build_year"] = parsing.property_whole(
            props, "build_year", 1000, timezone.localdate().year + 5, nullable=True
        )
    if "use" in props:
        if props["use"] not in BuildingUse.values:
            raise InvalidInput(
                _("properties.use must be one of %(options)s.")
                % {"options": ", ".join(BuildingUse.values)},
                field="properties.use",
            )
        fields["use"] = props["use"]
    if props.get("version") is not None:
        result.version = parse_version(props["version"])
    result.read_only = {name: props[name] for name in sorted(READ_ONLY & set(props))}
    return result


def kind_geometry(kind: str) -> tuple[tuple[str, ...], str]:
    what = _("a feature of kind %(kind)s") % {"kind": kind}
    return (LINE_TYPES if kind in LINE_KINDS else POLYGON_TYPES), what


def validate_attributes(value: Any, kind: str) -> dict[str, Any]:
    attrs = geometry_input.json_object(value, "properties.attributes")
    validator = Draft202012Validator(ATTRIBUTE_SCHEMAS[kind])
    errors = sorted(validator.iter_errors(attrs), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = ".".join(str(p) for p in first.absolute_path)
        if first.validator == "additionalProperties":
            extra = sorted(set(attrs) - set(ATTRIBUTE_SCHEMAS[kind]["properties"]))
            path = extra[0] if extra else path
        name = "properties.attributes" + (f".{path}" if path else "")
        raise InvalidInput(
            _("%(field)s: %(reason)s (kind %(kind)s)")
            % {"field": name, "reason": first.message, "kind": kind},
            field=name,
        )
    return attrs


def parse_base_feature(feature: Any, *, crs: str, creating: bool) -> FeatureInput:
    """A GeoJSON Feature -> FeatureInput. Creating needs ``kind`` and a geometry. For an
    update the geometry is checked against the feature's kind by the service."""
    body, props = _properties(feature, FEATURE_PROPERTIES)
    result = FeatureInput()
    kind = props.get("kind")
    if kind not in (None, ""):
        if kind not in BaseFeatureKind.values:
            raise InvalidInput(
                _("properties.kind must be one of %(options)s.")
                % {"options": ", ".join(BaseFeatureKind.values)},
                field="properties.kind",
            )
        result.kind = kind
    elif creating:
        raise InvalidInput(_("properties.kind is required."), field="properties.kind")
    kind = result.kind
    if body.get("geometry") is not None:
        allowed: tuple[str, ...] = LINE_TYPES + POLYGON_TYPES
        what = _("a base feature")
        if kind is not None:
            allowed, what = kind_geometry(kind)
        result.geometry = parse_geometry(body["geometry"], crs, allowed, what)
        if kind is not None:
            check_size(result.geometry, kind)
    elif creating:
        raise InvalidInput(_("geometry is required."), field="geometry")
    if "name" in props:
        result.fields["name"] = parsing.property_text(props, "name", 200)
    if "attributes" in props:
        attrs = props["attributes"] if props["attributes"] is not None else {}
        geometry_input.json_object(attrs, "properties.attributes")
        result.fields["attributes"] = attrs
        if creating and kind is not None:
            validate_attributes(attrs, kind)
    if props.get("version") is not None:
        result.version = parse_version(props["version"])
    result.read_only = {name: props[name] for name in sorted(READ_ONLY & set(props))}
    return result
