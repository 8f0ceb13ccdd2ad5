"""Base-layer endpoints: buildings and base features (roads, rivers, water, green space) as
GeoJSON (CRS84). Thin views: parse, call one service, serialize.

* ``GET buildings/``: footprints, names and addresses for everyone (while the buildings
  layer is public); floors, use, housing units and year built only for users who may see
  the building's details (``policies.DetailAccess``). Filters: ``bbox``, ``area``,
  ``q`` (name or address), ``use`` (matches only buildings whose details you may see).
* ``GET base-features/``: filters ``kind`` (comma-separated), ``bbox``, ``area``, ``q``.
* ``POST`` creates, ``PATCH {id}/`` edits: a login, a ``comment`` and, for edits, the
  version started from (``If-Match: "3"`` or ``properties.version``) are required.
* Lists are keyset-paged (``limit``, ``next`` and ``previous`` links).

Include with ``path("", include("layers.basemap.api"))`` under ``api/v1/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Q, QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gis_app import access, params
from gis_app.api_common import (
    GEOJSON,
    FeatureCursorPagination,
    body_object,
    crs_of,
    if_match_version,
)
from gis_app.audit import source_address
from gis_app.errors import InvalidInput
from gis_app.roles import Action
from layers.basemap import inputs, representation, services
from layers.basemap.models import BaseFeature, BaseFeatureKind, Building, BuildingUse
from layers.basemap.policies import DetailAccess

T = TypeVar("T")


def require(request: Request, audit_as: str, action: Action) -> None:
    """Logged in, with a grant that allows ``action`` somewhere (else 401/403, the refusal
    audited as ``audit_as``); asked before the body is read."""
    access.require_any(
        request.user, action, audit_as=audit_as, address=source_address(request._request)
    )


def version_of(request: Request, body: dict[str, Any]) -> int | None:
    """The version the client started from: If-Match header, else the body's version."""
    header = if_match_version(request)
    if header is not None:
        return header
    raw = body.get("version", (body.get("properties") or {}).get("version"))
    return None if raw is None else inputs.parse_version(raw)


def edit_context(request: Request, body: dict[str, Any]) -> services.EditContext:
    comment = body.get("comment") or request.headers.get("X-Changeset-Comment") or ""
    if not isinstance(comment, str):
        raise InvalidInput(_("comment must be text."), field="comment")
    return services.EditContext(
        user=request.user, address=source_address(request._request), comment=comment
    )


def bbox(query: Any) -> GEOSGeometry | None:
    return params.bbox(query)


def kinds(query: Any) -> list[str] | None:
    raw = query.get("kind")
    if raw in (None, ""):
        return None
    found = raw.split(",")
    bad = [k for k in found if k not in BaseFeatureKind.values]
    if bad:
        raise InvalidInput(
            _("Parameter kind must be one or more of %(options)s (comma-separated), not %(v)r.")
            % {"options": ", ".join(BaseFeatureKind.values), "v": bad[0]},
            field="kind",
        )
    return found


def text(query: Any) -> str:
    return params.text(query)


def posted(
    request: Request, audit_as: str, parse: Callable[..., Any], create: Callable[..., T]
) -> T:
    """A POST: a login with a grant to create (else 401/403, audited as ``audit_as``), the
    body parsed as a new object, the service."""
    require(request, audit_as, Action.CREATE)
    body = body_object(request)
    data = parse(body, crs=crs_of(request), creating=True)
    return create(edit_context(request, body), data)


def patched(
    request: Request, pk: int, audit_as: str, parse: Callable[..., Any], update: Callable[..., T]
) -> T:
    """A PATCH: a login with a grant to change (else 401/403, audited as ``audit_as``), the
    body parsed as a partial edit made from the version the client names, the service."""
    require(request, audit_as, Action.CHANGE)
    body = body_object(request)
    data = parse(body, crs=crs_of(request), creating=False)
    data.version = version_of(request, body)
    return update(edit_context(request, body), pk, data)


def feature_response(
    data: dict[str, Any], version: int, status: int = http.HTTP_200_OK
) -> Response:
    response = Response(data, status=status, content_type=GEOJSON)
    response["ETag"] = f'"{version}"'
    return response


def created(request: Request, data: dict[str, Any], obj: Building | BaseFeature) -> Response:
    """201 with the new object, its version as ETag and its URL as Location."""
    response = feature_response(data, obj.version, http.HTTP_201_CREATED)
    response["Location"] = f"{request.path}{obj.pk}/"
    return response


def building_json(request: Request, building: Building) -> dict[str, Any]:
    """A building as GeoJSON, with its details if the user may see them."""
    details = DetailAccess.for_user(request.user).covers(building)
    return representation.building_feature(building, details)


COMMON = [
    OpenApiParameter("bbox", OpenApiTypes.STR, description="minLon,minLat,maxLon,maxLat"),
    OpenApiParameter("area", OpenApiTypes.STR, description="area code (district/street/community)"),
    OpenApiParameter("q", OpenApiTypes.STR, description="text in the name (or address)"),
    OpenApiParameter("limit", OpenApiTypes.INT),
]
CRS = OpenApiParameter(
    "crs", OpenApiTypes.STR, description="input CRS: CRS84 (default), EPSG:n, GCJ02, BD09"
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='the version started from, e.g. "3" (or properties.version)',
)


# --- buildings ---------------------------------------------------------------------------


class BuildingsView(APIView):
    """Buildings: public footprints, names and addresses; details for staff of the area."""

    def filtered(self, request: Request) -> QuerySet[Building]:
        query = request.query_params
        qs = services.buildings()
        area = params.digits(query, "area", (6, 9, 12))
        if area:
            qs = qs.within_area(area)
        box = bbox(query)
        if box is not None:
            qs = qs.filter(geometry__intersects=box)
        words = text(query)
        if words:
            qs = qs.filter(Q(name__icontains=words) | Q(address__icontains=words))
        use = params.choice(query, "use", BuildingUse.values)
        if use:
            # A filter on a detail must not reveal details: only rows whose details the
            # user may see can match.
            qs = qs.filter(DetailAccess.for_user(request.user).q(), use=use)
        return access.visible(request.user, qs)

    @extend_schema(
        operation_id="v1_buildings_list",
        parameters=[*COMMON, OpenApiParameter("use", OpenApiTypes.STR, enum=BuildingUse.values)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        paginator = FeatureCursorPagination()
        page = paginator.paginate_queryset(self.filtered(request), request, view=self) or []
        details = DetailAccess.for_user(request.user)
        return paginator.get_paginated_response(
            [representation.building_feature(b, details.covers(b)) for b in page]
        )

    @extend_schema(
        operation_id="v1_buildings_create",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
        parameters=[CRS],
    )
    def post(self, request: Request) -> Response:
        create = services.create_building
        building = posted(request, "building.create", inputs.parse_building, create)
        return created(request, building_json(request, building), building)


class BuildingView(APIView):
    """One building (404 when missing or hidden)."""

    @extend_schema(operation_id="v1_buildings_retrieve", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        building = services.get_building(request.user, pk)
        return feature_response(building_json(request, building), building.version)

    @extend_schema(
        operation_id="v1_buildings_partial_update",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[CRS, IF_MATCH],
    )
    def patch(self, request: Request, pk: int) -> Response:
        building = patched(
            request, pk, "building.update", inputs.parse_building, services.update_building
        )
        return feature_response(building_json(request, building), building.version)


# --- base features -----------------------------------------------------------------------


class BaseFeaturesView(APIView):
    """Roads, rivers, water bodies and green space."""

    def filtered(self, request: Request) -> QuerySet[BaseFeature]:
        query = request.query_params
        qs = services.base_features()
        wanted = kinds(query)
        if wanted:
            qs = qs.of_kinds(wanted)
        area = params.digits(query, "area", (6, 9, 12))
        if area:
            qs = qs.within_area(area)
        box = bbox(query)
        if box is not None:
            qs = qs.filter(geometry__intersects=box)
        words = text(query)
        if words:
            qs = qs.filter(name__icontains=words)
        return access.visible(request.user, qs)

    @extend_schema(
        operation_id="v1_base_features_list",
        parameters=[
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                description="kinds, comma-separated: " + ", ".join(BaseFeatureKind.values),
            ),
            *COMMON,
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        paginator = FeatureCursorPagination()
        page = paginator.paginate_queryset(self.filtered(request), request, view=self) or []
        return paginator.get_paginated_response([representation.base_feature(f) for f in page])

    @extend_schema(
        operation_id="v1_base_features_create",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
        parameters=[CRS],
    )
    def post(self, request: Request) -> Response:
        create = services.create_base_feature
        feature = posted(request, "basefeature.create", inputs.parse_base_feature, create)
        return created(request, representation.base_feature(feature), feature)


class BaseFeatureView(APIView):
    """One base feature (404 when missing or hidden)."""

    @extend_schema(operation_id="v1_base_features_retrieve", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        feature = services.get_base_feature(request.user, pk)
        return feature_response(representation.base_feature(feature), feature.version)

    @extend_schema(
        operation_id="v1_base_features_partial_update",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[CRS, IF_MATCH],
    )
    def patch(self, request: Request, pk: int) -> Response:
        update = services.update_base_feature
        feature = patched(request, pk, "basefeature.update", inputs.parse_base_feature, update)
        return feature_response(representation.base_feature(feature), feature.version)


urlpatterns = [
    path("buildings/", BuildingsView.as_view(), name="buildings"),
    path("buildings/<int:pk>/", BuildingView.as_view(), name="building"),
    path("base-features/", BaseFeaturesView.as_view(), name="base-features"),
    path("base-features/<int:pk>/", BaseFeatureView.as_view(), name="base-feature"),
]
