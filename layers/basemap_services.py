"""Typed, transactional services for the base layers: create and update buildings and base
features (roads, rivers, water, green space). Views parse, call one of these, serialize.

The rules are the component rules (DESIGN.md section 7): an update names the version it
started from (``If-Match`` or ``properties.version``); the row is locked
(``SELECT ... FOR UPDATE``) and compared inside the transaction, so of two editors starting
from the same version exactly one wins and the other gets ``Conflict`` carrying the current
state. Each accepted edit bumps the version and writes a ``BaseHistory`` row (who, when,
what, comment) and an audit event; denied attempts are audited before the error is raised.

Input geometry is GeoJSON in the request's CRS (CRS84 by default), converted to CGCS2000
with ``gis_app.coords`` and validated here (``layers`` does not import the component
catalog). The community is derived from the geometry's point on surface.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, cast

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.gis.geos import MultiPolygon as GeosMultiPolygon
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

from gis_app import access, audit, coords, geometry_input
from gis_app.edit_rules import refuse_changed_read_only
from gis_app.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from gis_app.history import EditorView
from gis_app.models import AuditResult
from gis_app.roles import Action
from layers import changes as layer_changes
from layers.basemap_models import (
    BUILDING_DETAILS_LAYER,
    BUILDINGS_LAYER,
    LAYER_OF_KIND,
    LINE_KINDS,
    LINE_TYPES,
    POLYGON_TYPES,
    BaseFeature,
    BaseFeatureKind,
    BaseHistory,
    BaseHistoryAction,
    Building,
    BuildingUse,
)
from layers.basemap_policies import DetailAccess, may_edit_details
from layers.models import SRID, AdminArea, AreaLevel

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
TILE_LAYERS_OF_BUILDINGS = [BUILDINGS_LAYER, BUILDING_DETAILS_LAYER]
BUILDING_PROPERTIES = {"name", "address", *DETAIL_FIELDS, "version", *READ_ONLY}
FEATURE_PROPERTIES = {"kind", "name", "attributes", "version", *READ_ONLY}


@dataclass
class EditContext:
    """Who edits, from where, and why (the comment goes into the history)."""

    user: Any
    address: str | None = None
    comment: str = ""


# --- input -------------------------------------------------------------------------------


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


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(_("%(field)s must be a JSON object.") % {"field": name}, field=name)
    return value


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
    obj = _object(value, "geometry")
    geometry_input.check_structure(obj, "geometry")
    try:
        geom = shape(obj)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise InvalidInput(
            _("geometry is not valid GeoJSON: %(reason)s") % {"reason": exc}, field="geometry"
        ) from None
    if geom.is_empty:
        raise InvalidInput(_("geometry is empty."), field="geometry")
    check_geometry_type(geom, allowed, what)
    if not all(math.isfinite(v) for v in shapely.get_coordinates(geom).flat):
        raise InvalidInput(
            _("geometry has a non-finite coordinate (NaN or infinity)."), field="geometry"
        )
    try:
        geom = shapely.force_2d(coords.transform_geometry(geom, crs))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from None
    xy = shapely.get_coordinates(geom)
    if (abs(xy[:, 0]) > 180).any() or (abs(xy[:, 1]) > 90).any():
        raise InvalidInput(
            _(
                "geometry: coordinates out of range (longitude -180..180, latitude -90..90); "
                "GeoJSON order is [longitude, latitude]."
            ),
            field="geometry",
        )
    if not geom.is_valid:
        raise InvalidInput(
            _("geometry is invalid: %(reason)s") % {"reason": explain_validity(geom)},
            field="geometry",
        )
    if geom.geom_type in ("LineString", "MultiLineString") and geom.length == 0:
        raise InvalidInput(_("geometry: a line needs a length."), field="geometry")
    return geom


def check_size(geom: shapely.Geometry, kind: str) -> None:
    """The geometry is not larger nor more detailed than a ``kind`` (``building`` or a
    base-feature kind) may be (``SIZE_LIMITS``)."""
    max_area, max_vertices = SIZE_LIMITS[kind]
    geometry_input.check_size(geom, max_area_m2=max_area, max_vertices=max_vertices)


def _text(props: dict[str, Any], name: str, limit: int) -> str:
    value = props[name]
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(
            _("properties.%(name)s must be text of at most %(limit)d characters.")
            % {"name": name, "limit": limit},
            field=f"properties.{name}",
        )
    return value.strip()


def _whole(props: dict[str, Any], name: str, low: int, high: int, nullable: bool) -> int | None:
    value = props[name]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            _("properties.%(name)s must be a whole number from %(low)d to %(high)d.")
            % {"name": name, "low": low, "high": high},
            field=f"properties.{name}",
        )
    return value


def parse_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(_("version must be a positive whole number."), field="version")
    return value


def _properties(feature: Any, known: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    body = _object(feature, "feature")
    if body.get("type") not in (None, "Feature"):
        raise InvalidInput(_("The body must be a GeoJSON Feature."), field="type")
    props = _object(body.get("properties") or {}, "properties")
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
        fields["name"] = _text(props, "name", 200)
    if "address" in props:
        fields["address"] = _text(props, "address", 300)
    if "floors" in props:
        fields["floors"] = _whole(props, "floors", 1, 200, nullable=True)
    if "units_count" in props:
        fields["units_count"] = _whole(props, "units_count", 0, 100_000, nullable=False)
    if "build_year" in props:
        fields["build_year"] = _whole(
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


def _kind_geometry(kind: str) -> tuple[tuple[str, ...], str]:
    what = _("a feature of kind %(kind)s") % {"kind": kind}
    return (LINE_TYPES if kind in LINE_KINDS else POLYGON_TYPES), what


def validate_attributes(value: Any, kind: str) -> dict[str, Any]:
    attrs = _object(value, "properties.attributes")
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
            allowed, what = _kind_geometry(kind)
        result.geometry = parse_geometry(body["geometry"], crs, allowed, what)
        if kind is not None:
            check_size(result.geometry, kind)
    elif creating:
        raise InvalidInput(_("geometry is required."), field="geometry")
    if "name" in props:
        result.fields["name"] = _text(props, "name", 200)
    if "attributes" in props:
        attrs = props["attributes"] if props["attributes"] is not None else {}
        _object(attrs, "properties.attributes")
        result.fields["attributes"] = attrs
        if creating and kind is not None:
            validate_attributes(attrs, kind)
    if props.get("version") is not None:
        result.version = parse_version(props["version"])
    result.read_only = {name: props[name] for name in sorted(READ_ONLY & set(props))}
    return result


# --- representation ----------------------------------------------------------------------


def geometry_json(geom: GEOSGeometry) -> dict[str, Any]:
    return dict(mapping(shapely.from_wkb(bytes(geom.wkb))))


def building_feature(building: Building, details: bool) -> dict[str, Any]:
    """A building as a GeoJSON feature (CRS84); floors, use, units and year built only when
    ``details`` (see ``basemap_policies.DetailAccess``)."""
    props: dict[str, Any] = {
        "name": building.name,
        "address": building.address,
        "community": building.community_id,
        "version": building.version,
        "updated_at": building.updated_at.isoformat() if building.updated_at else None,
    }
    if details:
        props.update(
            floors=building.floors,
            use=building.use,
            units_count=building.units_count,
            build_year=building.build_year,
        )
    return {
        "type": "Feature",
        "id": building.pk,
        "geometry": geometry_json(building.geometry),
        "properties": props,
    }


def base_feature(feature: BaseFeature) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": feature.pk,
        "geometry": geometry_json(feature.geometry),
        "properties": {
            "kind": feature.kind,
            "layer": feature.layer_code,
            "name": feature.name,
            "attributes": feature.attributes,
            "community": feature.community_id,
            "version": feature.version,
            "updated_at": feature.updated_at.isoformat() if feature.updated_at else None,
        },
    }


def _snapshot(data: dict[str, Any]) -> dict[str, Any]:
    props = {
        k: v for k, v in data["properties"].items() if k not in ("version", "updated_at", "layer")
    }
    return {**props, "geometry": data["geometry"]}


def building_snapshot(building: Building) -> dict[str, Any]:
    return _snapshot(building_feature(building, details=True))


def feature_snapshot(feature: BaseFeature) -> dict[str, Any]:
    return _snapshot(base_feature(feature))


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    """field -> [old, new] (``geometry`` compared as a whole)."""
    old = before or {}
    return {k: [old.get(k), v] for k, v in after.items() if old.get(k) != v}


# --- helpers -----------------------------------------------------------------------------


def _geos(geom: shapely.Geometry) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=SRID)


def community_of(geom: GEOSGeometry) -> str | None:
    """The community holding the geometry's point on surface (the lowest code when the
    point is on a shared edge), or None outside every community."""
    point = geom.point_on_surface
    point.srid = SRID
    code: str | None = (
        AdminArea.objects.at_level(AreaLevel.COMMUNITY)
        .containing(point)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    return code


def _actor(ctx: EditContext) -> Any:
    return ctx.user if ctx.user is not None and ctx.user.is_authenticated else None


def _deny(
    ctx: EditContext,
    action: str,
    error: DomainError,
    object_type: str,
    object_id: str,
    **detail: Any,
) -> DomainError:
    audit.record(
        action,
        actor=ctx.user,
        object_type=object_type,
        object_id=object_id,
        result=AuditResult.DENIED,
        address=ctx.address,
        detail={"reason": error.code, **detail},
    )
    return error


def _require_comment(ctx: EditContext) -> str:
    comment = (ctx.comment or "").strip()
    if not comment:
        raise InvalidInput(
            _("A comment is required: say what you changed and why."), field="comment"
        )
    return comment[:500]


def _history(
    ctx: EditContext,
    layer: str,
    key: str,
    version: int,
    action: str,
    changes: dict[str, list[Any]],
    comment: str,
) -> BaseHistory:
    actor = _actor(ctx)
    return BaseHistory.objects.create(
        layer=layer,
        object_key=key,
        version=version,
        action=action,
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        changes=changes,
        comment=comment,
    )


def _read_only_of(feature: dict[str, Any], key: str, created_at: Any) -> dict[str, Any]:
    return {
        **feature["properties"],
        "id": feature["id"],
        "key": key,
        "created_at": created_at.isoformat() if created_at else None,
    }


def _require_version(version: int | None) -> int:
    if version is None:
        raise InvalidInput(
            _(
                "version is required: send the version you started from (If-Match header or "
                "properties.version)."
            ),
            field="version",
        )
    return version


# --- buildings ---------------------------------------------------------------------------

BUILDING_TYPE = "layers.building"


def buildings() -> Any:
    return Building.objects.all()


def get_building(user: Any, pk: int) -> Building:
    """A building the user may see (404 otherwise)."""
    return access.get_visible(user, buildings(), pk=pk)


def _building_geometry(building: Building, geom: shapely.Geometry) -> None:
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    geos = cast(GeosMultiPolygon, _geos(geom))  # GEOSGeometry picks the class from the WKB
    building.geometry = geos
    community = community_of(geos)
    if community is None:
        raise InvalidInput(
            _("geometry lies outside every community of the platform."), field="geometry"
        )
    building.community_id = community


def _details_given(data: BuildingInput, current: Building | None) -> list[str]:
    """Detail fields the input changes (all given ones when creating)."""
    return [
        name
        for name in DETAIL_FIELDS
        if name in data.fields and (current is None or getattr(current, name) != data.fields[name])
    ]


def create_building(ctx: EditContext, data: BuildingInput) -> Building:
    assert data.geometry is not None
    building = Building(**data.fields)
    _building_geometry(building, data.geometry)
    if not access.can(ctx.user, Action.CREATE, building):
        raise _deny(
            ctx,
            "building.create",
            PermissionDenied(
                _("You may not add buildings in community %(area)s.")
                % {"area": building.community_id}
            ),
            BUILDING_TYPE,
            "",
            community=building.community_id,
        )
    if _details_given(data, None) and not may_edit_details(ctx.user, building):
        raise _deny(
            ctx,
            "building.create",
            PermissionDenied(_("You may not set building details (floors, use, units) here.")),
            BUILDING_TYPE,
            "",
            community=building.community_id,
            field="details",
        )
    comment = _require_comment(ctx)
    with transaction.atomic():
        building.version = 1
        building.created_by = building.updated_by = _actor(ctx)
        building.save()
        layer_changes.geometries_changed(TILE_LAYERS_OF_BUILDINGS, [building.geometry])
        _history(
            ctx,
            BUILDINGS_LAYER,
            building.key,
            1,
            BaseHistoryAction.CREATE,
            diff(None, building_snapshot(building)),
            comment,
        )
        audit.record(
            "building.create",
            actor=ctx.user,
            object_type=BUILDING_TYPE,
            object_id=str(building.pk),
            address=ctx.address,
            detail={"community": building.community_id},
        )
    return buildings().get(pk=building.pk)


def _building_stale(current: Building, user: Any) -> Conflict:
    details = DetailAccess.for_user(user).covers(current)
    return Conflict(
        _("Building %(id)s was changed by someone else: it is now at version %(v)d.")
        % {"id": current.pk, "v": current.version},
        field="version",
        current=building_feature(current, details),
    )


def update_building(ctx: EditContext, pk: int, data: BuildingInput) -> Building:
    """Apply a partial edit made from ``data.version``; ``Conflict`` if someone else was
    first. Changing details also needs ``may_edit_details``."""
    key = f"building:{pk}"
    try:
        current = get_building(ctx.user, pk)
    except NotFound as exc:
        raise _deny(ctx, "building.update", exc, BUILDING_TYPE, str(pk)) from None
    if not access.can(ctx.user, Action.CHANGE, current):
        raise _deny(ctx, "building.update", PermissionDenied(), BUILDING_TYPE, str(pk))
    version = _require_version(data.version)
    details = DetailAccess.for_user(ctx.user).covers(current)
    refuse_changed_read_only(
        data.read_only,
        {
            "layer": BUILDINGS_LAYER,
            **_read_only_of(building_feature(current, details), current.key, current.created_at),
        },
    )
    new = copy.copy(current)
    for name, value in data.fields.items():
        setattr(new, name, value)
    if data.geometry is not None:
        _building_geometry(new, data.geometry)
        if not access.can(ctx.user, Action.CHANGE, new):
            raise _deny(
                ctx,
                "building.update",
                PermissionDenied(_("After this change the building would be outside your scope.")),
                BUILDING_TYPE,
                str(pk),
                community=new.community_id,
            )
    changed_details = _details_given(data, current)
    if changed_details and not (
        may_edit_details(ctx.user, current) and may_edit_details(ctx.user, new)
    ):
        raise _deny(
            ctx,
            "building.update",
            PermissionDenied(_("You may not change building details (floors, use, units) here.")),
            BUILDING_TYPE,
            str(pk),
            field="details",
            fields=changed_details,
        )
    comment = _require_comment(ctx)
    with transaction.atomic():
        locked = buildings().select_for_update().get(pk=pk)
        if locked.version != version:
            raise _building_stale(locked, ctx.user)
        before = building_snapshot(locked)
        changes = diff(before, building_snapshot(new))
        if not changes:  # an edit that changes nothing writes nothing
            return locked
        new.version = locked.version + 1
        new.updated_by = _actor(ctx)
        new.save()
        layer_changes.geometries_changed(TILE_LAYERS_OF_BUILDINGS, [locked.geometry, new.geometry])
        _history(ctx, BUILDINGS_LAYER, key, new.version, BaseHistoryAction.UPDATE, changes, comment)
        audit.record(
            "building.update",
            actor=ctx.user,
            object_type=BUILDING_TYPE,
            object_id=str(pk),
            address=ctx.address,
            detail={"version": new.version, "fields": sorted(changes)},
        )
    return buildings().get(pk=pk)


# --- base features -----------------------------------------------------------------------

FEATURE_TYPE = "layers.basefeature"


def base_features() -> Any:
    return BaseFeature.objects.all()


def get_base_feature(user: Any, pk: int) -> BaseFeature:
    return access.get_visible(user, base_features(), pk=pk)


def _feature_geometry(feature: BaseFeature, geom: shapely.Geometry) -> None:
    feature.geometry = _geos(geom)
    feature.community_id = community_of(feature.geometry)


def create_base_feature(ctx: EditContext, data: FeatureInput) -> BaseFeature:
    assert data.kind is not None and data.geometry is not None
    feature = BaseFeature(kind=data.kind, attributes={})
    for name, value in data.fields.items():
        setattr(feature, name, value)
    _feature_geometry(feature, data.geometry)
    if not access.can(ctx.user, Action.CREATE, feature):
        raise _deny(
            ctx,
            "basefeature.create",
            PermissionDenied(
                _("You may not add features of layer %(layer)s in community %(area)s.")
                % {"layer": feature.layer_code, "area": feature.community_id or "-"}
            ),
            FEATURE_TYPE,
            "",
            kind=feature.kind,
            community=feature.community_id,
        )
    comment = _require_comment(ctx)
    with transaction.atomic():
        feature.version = 1
        feature.created_by = feature.updated_by = _actor(ctx)
        feature.save()
        layer_changes.geometries_changed([LAYER_OF_KIND[feature.kind]], [feature.geometry])
        _history(
            ctx,
            feature.layer_code,
            feature.key,
            1,
            BaseHistoryAction.CREATE,
            diff(None, feature_snapshot(feature)),
            comment,
        )
        audit.record(
            "basefeature.create",
            actor=ctx.user,
            object_type=FEATURE_TYPE,
            object_id=str(feature.pk),
            address=ctx.address,
            detail={"kind": feature.kind, "community": feature.community_id},
        )
    return base_features().get(pk=feature.pk)


def update_base_feature(ctx: EditContext, pk: int, data: FeatureInput) -> BaseFeature:
    """Apply a partial edit (attributes are merged; an attribute set to null is removed)."""
    try:
        current = get_base_feature(ctx.user, pk)
    except NotFound as exc:
        raise _deny(ctx, "basefeature.update", exc, FEATURE_TYPE, str(pk)) from None
    if not access.can(ctx.user, Action.CHANGE, current):
        raise _deny(ctx, "basefeature.update", PermissionDenied(), FEATURE_TYPE, str(pk))
    if data.kind is not None and data.kind != current.kind:
        raise InvalidInput(
            _("properties.kind cannot change; create a new feature instead."),
            field="properties.kind",
        )
    if data.geometry is not None:
        check_geometry_type(data.geometry, *_kind_geometry(current.kind))
        check_size(data.geometry, current.kind)
    version = _require_version(data.version)
    refuse_changed_read_only(
        data.read_only, _read_only_of(base_feature(current), current.key, current.created_at)
    )
    new = copy.copy(current)
    for name, value in data.fields.items():
        if name == "attributes":
            merged = dict(current.attributes or {})
            for attr, item in value.items():
                if item is None:
                    merged.pop(attr, None)
                else:
                    merged[attr] = item
            new.attributes = validate_attributes(merged, current.kind)
        else:
            setattr(new, name, value)
    if data.geometry is not None:
        _feature_geometry(new, data.geometry)
        if not access.can(ctx.user, Action.CHANGE, new):
            raise _deny(
                ctx,
                "basefeature.update",
                PermissionDenied(_("After this change the feature would be outside your scope.")),
                FEATURE_TYPE,
                str(pk),
                community=new.community_id,
            )
    comment = _require_comment(ctx)
    with transaction.atomic():
        locked = base_features().select_for_update().get(pk=pk)
        if locked.version != version:
            raise Conflict(
                _("Feature %(id)s was changed by someone else: it is now at version %(v)d.")
                % {"id": pk, "v": locked.version},
                field="version",
                current=base_feature(locked),
            )
        before = feature_snapshot(locked)
        changes = diff(before, feature_snapshot(new))
        if not changes:  # an edit that changes nothing writes nothing
            return locked
        new.version = locked.version + 1
        new.updated_by = _actor(ctx)
        new.save()
        layer_changes.geometries_changed([LAYER_OF_KIND[new.kind]], [locked.geometry, new.geometry])
        _history(
            ctx,
            LAYER_OF_KIND[new.kind],
            new.key,
            new.version,
            BaseHistoryAction.UPDATE,
            changes,
            comment,
        )
        audit.record(
            "basefeature.update",
            actor=ctx.user,
            object_type=FEATURE_TYPE,
            object_id=str(pk),
            address=ctx.address,
            detail={"version": new.version, "fields": sorted(changes)},
        )
    return base_features().get(pk=pk)


def history_of(user: Any, obj: Building | BaseFeature) -> list[dict[str, Any]]:
    """The history of a building or base feature ``user`` may see, oldest first, as the
    user may see it: editors' user names and comments only for those who may change the
    object (``gis_app.history``), building details only for those who may see them."""
    key = f"{'building' if isinstance(obj, Building) else 'feature'}:{obj.pk}"
    rows = list(BaseHistory.objects.filter(object_key=key).order_by("version"))
    editors = EditorView(user, obj, (row.actor_id for row in rows))
    hidden: set[str] = set()
    if isinstance(obj, Building) and not DetailAccess.for_user(user).covers(obj):
        hidden = set(DETAIL_FIELDS)
    return [
        {
            "version": row.version,
            "action": row.action,
            "time": row.time.isoformat(),
            **editors.fields(row.actor_id, row.actor_username, row.comment),
            "changes": {k: v for k, v in row.changes.items() if k not in hidden},
        }
        for row in rows
    ]
