"""Typed, transactional services for the base layers: create and update buildings and base
features (roads, rivers, water, green space). Views parse (``inputs``), call one of these,
serialize (``representation``).

The edits are versioned edits of ``gis_app.editing`` (DESIGN.md section 7): an update
names the version it started from (``If-Match`` or ``properties.version``) and answers
``Conflict`` with the current state if someone else was first; each accepted edit bumps the
version and writes a ``BaseHistory`` row (who, when, what, comment), the tile announcement
and an audit event in one transaction; denied attempts are audited. What is particular to
the base layers is here: the community derived from the geometry's point on surface, the
building details that only their stewards change, the attribute schema of each kind.
"""

from __future__ import annotations

import copy
from typing import Any, cast

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.gis.geos import MultiPolygon as GeosMultiPolygon
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gis_app import access, editing
from gis_app.edit_rules import refuse_changed_read_only
from gis_app.editing import EditContext
from gis_app.errors import InvalidInput, PermissionDenied
from gis_app.history import EditorView
from gis_app.roles import Action
from gis_app.types import User
from layers import changes as layer_changes
from layers.basemap import representation
from layers.basemap.inputs import (
    DETAIL_FIELDS,
    BuildingInput,
    FeatureInput,
    check_geometry_type,
    check_size,
    kind_geometry,
    validate_attributes,
)
from layers.basemap.models import (
    BUILDING_DETAILS_LAYER,
    BUILDINGS_LAYER,
    LAYER_OF_KIND,
    BaseFeature,
    BaseFeatureQuerySet,
    BaseHistory,
    Building,
    BuildingQuerySet,
)
from layers.basemap.policies import DetailAccess, may_edit_details
from layers.models import SRID, AdminArea, AreaLevel

__all__ = [
    "BASE_FEATURES",
    "BUILDINGS",
    "EditContext",
    "base_features",
    "buildings",
    "community_of",
    "create_base_feature",
    "create_building",
    "get_base_feature",
    "get_building",
    "history_of",
    "update_base_feature",
    "update_building",
]

TILE_LAYERS_OF_BUILDINGS = [BUILDINGS_LAYER, BUILDING_DETAILS_LAYER]


# --- the two editable models -------------------------------------------------------------


class _BaseLayerEditable(editing.Editable[Any]):
    """Buildings and base features share one history table, keyed by ``obj.key``, with the
    comment as the note, and announce their geometries on their tile layers."""

    def layer_of(self, obj: Any) -> str:
        """The layer the history row names."""
        raise NotImplementedError

    def tile_layers(self, obj: Any) -> list[str]:
        return [self.layer_of(obj)]

    def created_detail(self, obj: Any) -> dict[str, Any]:
        return {"community": obj.community_id}

    def history(self, obj: Any, entry: editing.Entry) -> BaseHistory:
        return BaseHistory(
            layer=self.layer_of(obj),
            object_key=obj.key,
            version=entry.version,
            action=entry.action,
            actor=entry.actor,
            actor_username=entry.actor_username,
            changes=entry.changes,
            comment=entry.note,
        )

    def announce(self, before: Any, after: Any) -> None:
        both = [o for o in (before, after) if o is not None]
        layer_changes.geometries_changed(self.tile_layers(both[-1]), [o.geometry for o in both])

    def audit_detail(self, verb: str, obj: Any, entry: editing.Entry) -> dict[str, Any]:
        if verb == "create":
            return self.created_detail(obj)
        return super().audit_detail(verb, obj, entry)


class BuildingEditable(_BaseLayerEditable):
    object_type = "layers.building"
    name = "building"
    stale_text = gettext_lazy(
        "Building %(id)s was changed by someone else: it is now at version %(v)d."
    )

    def queryset(self) -> BuildingQuerySet:
        return Building.objects.all()

    def snapshot(self, obj: Building) -> dict[str, Any]:
        return representation.building_snapshot(obj)

    def current(self, obj: Building, user: User) -> dict[str, Any]:
        return representation.building_feature(obj, DetailAccess.for_user(user).covers(obj))

    def layer_of(self, obj: Building) -> str:
        return BUILDINGS_LAYER

    def tile_layers(self, obj: Building) -> list[str]:
        return TILE_LAYERS_OF_BUILDINGS  # footprints and details


class BaseFeatureEditable(_BaseLayerEditable):
    object_type = "layers.basefeature"
    name = "basefeature"
    stale_text = gettext_lazy(
        "Feature %(id)s was changed by someone else: it is now at version %(v)d."
    )

    def queryset(self) -> BaseFeatureQuerySet:
        return BaseFeature.objects.all()

    def snapshot(self, obj: BaseFeature) -> dict[str, Any]:
        return representation.feature_snapshot(obj)

    def current(self, obj: BaseFeature, user: User) -> dict[str, Any]:
        return representation.base_feature(obj)

    def layer_of(self, obj: BaseFeature) -> str:
        return LAYER_OF_KIND[obj.kind]

    def created_detail(self, obj: BaseFeature) -> dict[str, Any]:
        return {"kind": obj.kind, "community": obj.community_id}


BUILDINGS = BuildingEditable()
BASE_FEATURES = BaseFeatureEditable()


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


def _read_only_of(feature: dict[str, Any], key: str, created_at: Any) -> dict[str, Any]:
    return {
        **feature["properties"],
        "id": feature["id"],
        "key": key,
        "created_at": created_at.isoformat() if created_at else None,
    }


# --- buildings ---------------------------------------------------------------------------


def buildings() -> BuildingQuerySet:
    return BUILDINGS.queryset()


def get_building(user: User, pk: int) -> Building:
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
        raise editing.deny(
            ctx,
            BUILDINGS,
            "create",
            PermissionDenied(
                _("You may not add buildings in community %(area)s.")
                % {"area": building.community_id}
            ),
            community=building.community_id,
        )
    if _details_given(data, None) and not may_edit_details(ctx.user, building):
        raise editing.deny(
            ctx,
            BUILDINGS,
            "create",
            PermissionDenied(_("You may not set building details (floors, use, units) here.")),
            community=building.community_id,
            field="details",
        )
    editing.require_comment(ctx)
    editing.create(ctx, BUILDINGS, building)
    return buildings().get(pk=building.pk)


def update_building(ctx: EditContext, pk: int, data: BuildingInput) -> Building:
    """Apply a partial edit made from ``data.version``; ``Conflict`` if someone else was
    first. Changing details also needs ``may_edit_details``."""
    current = editing.get_for_edit(ctx, BUILDINGS, Action.CHANGE, "update", pk=pk)
    version = editing.require_version(data.version)
    details = DetailAccess.for_user(ctx.user).covers(current)
    refuse_changed_read_only(
        data.read_only,
        {
            "layer": BUILDINGS_LAYER,
            **_read_only_of(
                representation.building_feature(current, details), current.key, current.created_at
            ),
        },
    )
    new = copy.copy(current)
    for name, value in data.fields.items():
        setattr(new, name, value)
    if data.geometry is not None:
        _building_geometry(new, data.geometry)
        if not access.can(ctx.user, Action.CHANGE, new):
            raise editing.deny(
                ctx,
                BUILDINGS,
                "update",
                PermissionDenied(_("After this change the building would be outside your scope.")),
                str(pk),
                community=new.community_id,
            )
    changed_details = _details_given(data, current)
    if changed_details and not (
        may_edit_details(ctx.user, current) and may_edit_details(ctx.user, new)
    ):
        raise editing.deny(
            ctx,
            BUILDINGS,
            "update",
            PermissionDenied(_("You may not change building details (floors, use, units) here.")),
            str(pk),
            field="details",
            fields=changed_details,
        )
    editing.require_comment(ctx)
    editing.update(ctx, BUILDINGS, new, version)
    return buildings().get(pk=pk)


# --- base features -----------------------------------------------------------------------


def base_features() -> BaseFeatureQuerySet:
    return BASE_FEATURES.queryset()


def get_base_feature(user: User, pk: int) -> BaseFeature:
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
        raise editing.deny(
            ctx,
            BASE_FEATURES,
            "create",
            PermissionDenied(
                _("You may not add features of layer %(layer)s in community %(area)s.")
                % {"layer": feature.layer_code, "area": feature.community_id or "-"}
            ),
            kind=feature.kind,
            community=feature.community_id,
        )
    editing.require_comment(ctx)
    editing.create(ctx, BASE_FEATURES, feature)
    return base_features().get(pk=feature.pk)


def update_base_feature(ctx: EditContext, pk: int, data: FeatureInput) -> BaseFeature:
    """Apply a partial edit (attributes are merged; an attribute set to null is removed)."""
    current = editing.get_for_edit(ctx, BASE_FEATURES, Action.CHANGE, "update", pk=pk)
    if data.kind is not None and data.kind != current.kind:
        raise InvalidInput(
            _("properties.kind cannot change; create a new feature instead."),
            field="properties.kind",
        )
    if data.geometry is not None:
        check_geometry_type(data.geometry, *kind_geometry(current.kind))
        check_size(data.geometry, current.kind)
    version = editing.require_version(data.version)
    refuse_changed_read_only(
        data.read_only,
        _read_only_of(representation.base_feature(current), current.key, current.created_at),
    )
    new = copy.copy(current)
    for name, value in data.fields.items():
        if name == "attributes":
            merged = editing.merge_attributes(current.attributes, value)
            new.attributes = validate_attributes(merged, current.kind)
        else:
            setattr(new, name, value)
    if data.geometry is not None:
        _feature_geometry(new, data.geometry)
        if not access.can(ctx.user, Action.CHANGE, new):
            raise editing.deny(
                ctx,
                BASE_FEATURES,
                "update",
                PermissionDenied(_("After this change the feature would be outside your scope.")),
                str(pk),
                community=new.community_id,
            )
    editing.require_comment(ctx)
    editing.update(ctx, BASE_FEATURES, new, version)
    return base_features().get(pk=pk)


def history_of(user: User, obj: Building | BaseFeature) -> list[dict[str, Any]]:
    """The history of a building or base feature ``user`` may see, oldest first, as the
    user may see it: editors' user names and comments only for those who may change the
    object (``gis_app.history``), building details only for those who may see them."""
    rows = list(BaseHistory.objects.filter(object_key=obj.key).order_by("version"))
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
