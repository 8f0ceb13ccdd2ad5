"""Component endpoints: thin views that parse, call one service, serialize."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from component_catalog import inputs, nearest, opening_hours, photos, representation, services
from component_catalog.api import params as p
from component_catalog.api.serializers import ComponentClassSerializer, HistorySerializer
from component_catalog.models import Changeset, Component, ComponentClass, ComponentPhoto
from gis_app import access, params
from gis_app.api_common import (
    GEOJSON,
    FeatureCursorPagination,
    body_object,
    crs_of,
)
from gis_app.audit import source_address
from gis_app.errors import InvalidInput, NotFound
from gis_app.history import EditorView
from gis_app.parsers import FormParser, MultiPartParser
from gis_app.roles import Action


def require(request: Request, audit_as: str, *actions: Action) -> None:
    """Logged in, with a grant that allows one of ``actions`` somewhere (else 401/403,
    the refusal audited as ``audit_as``); asked before the body is read."""
    access.require_any(
        request.user, *actions, audit_as=audit_as, address=source_address(request._request)
    )


def feature_response(component: Component, status: int = http.HTTP_200_OK) -> Response:
    response = Response(representation.feature(component), status=status, content_type=GEOJSON)
    response["ETag"] = f'"{component.version}"'
    return response


def answer_response(answer: services.Answer) -> Response:
    """An edit's answer; a replay (same Idempotency-Key, same request) says so."""
    if answer.feature is None:
        response = Response(status=answer.status)
    else:
        response = Response(answer.feature, status=answer.status, content_type=GEOJSON)
        response["ETag"] = f'"{answer.feature["properties"]["version"]}"'
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="A client-chosen key (8-64 characters), new for each edit: a retry with the "
    "same key and the same request answers what the first request answered (200, or 204 "
    "for a delete; header Idempotent-Replayed: true); the same key with a different "
    "request is refused (409 for a creation, with the component it made; 422 otherwise).",
)


class ComponentClassViewSet(viewsets.ReadOnlyModelViewSet):
    """The component-class catalog with each class's attribute schema."""

    serializer_class = ComponentClassSerializer
    lookup_field = "code"
    lookup_value_regex = r"\d{2}|\d{4}"
    pagination_class = None

    def get_queryset(self) -> QuerySet[ComponentClass]:
        return access.visible(self.request.user, ComponentClass.objects.all())

    def get_object(self) -> ComponentClass:
        return access.get_visible(
            self.request.user, ComponentClass.objects.all(), code=self.kwargs["code"]
        )


LIST_PARAMETERS = [
    OpenApiParameter("class", OpenApiTypes.STR, description="class codes, comma-separated"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["good", "damaged", "missing", "occupied"]),
    OpenApiParameter("currency", OpenApiTypes.STR, enum=["in_use", "retired", "all"]),
    OpenApiParameter("owner", OpenApiTypes.STR, description="organization code"),
    OpenApiParameter("maintainer", OpenApiTypes.STR, description="organization code"),
    OpenApiParameter("area", OpenApiTypes.STR, description="area code (district/street/community)"),
    OpenApiParameter("bbox", OpenApiTypes.STR, description="minLon,minLat,maxLon,maxLat"),
    OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
    OpenApiParameter("q", OpenApiTypes.STR, description="text in name, identifier or address"),
    OpenApiParameter("needs_review", OpenApiTypes.BOOL),
    OpenApiParameter("limit", OpenApiTypes.INT),
    OpenApiParameter("crs", OpenApiTypes.STR, description="input CRS: CRS84, EPSG:n, GCJ02, BD09"),
]


class ComponentViewSet(viewsets.ViewSet):
    """Urban components as GeoJSON features. Writes need a login, a changeset ``comment``
    (or an open ``changeset`` id) and, for updates, the version started from."""

    lookup_field = "identifier"
    lookup_value_regex = r"\d{16}"

    def filtered(self, request: Request) -> QuerySet[Component]:
        query = request.query_params
        qs = services.base_queryset()
        currency = params.choice(query, "currency", ["in_use", "retired", "all"]) or "in_use"
        if currency != "all":
            qs = qs.filter(currency=currency)
        codes = p.class_codes(query)
        if codes:
            qs = qs.filter(component_class_id__in=codes)
        status = p.status(query)
        if status:
            qs = qs.filter(status=status)
        for role in ("owner", "maintainer"):
            if query.get(role):
                qs = qs.filter(**{f"{role}__code": query[role]})
        area = params.digits(query, "area", (6, 9, 12))
        if area:
            qs = qs.within_area(area)
        box = params.bbox(query)
        if box is not None:
            qs = qs.filter(geometry__intersects=box)
        since = p.updated_since(query)
        if since is not None:
            qs = qs.filter(updated_at__gte=since)
        review = params.choice(query, "needs_review", ["true", "false"])
        if review:
            qs = qs.filter(needs_review=review == "true")
        text = params.text(query)
        if text:
            qs = qs.filter(
                Q(name__icontains=text)
                | Q(identifier__startswith=text)
                | Q(address__icontains=text)
            )
        return access.visible(request.user, qs)

    @extend_schema(
        operation_id="v1_components_list",
        parameters=LIST_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request: Request) -> Response:
        paginator = FeatureCursorPagination()
        page = paginator.paginate_queryset(self.filtered(request), request, view=self)
        return paginator.get_paginated_response([representation.feature(c) for c in page or []])

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request: Request, identifier: str) -> Response:
        return feature_response(services.get_visible_component(request.user, identifier))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT},
        parameters=[LIST_PARAMETERS[-1], IDEMPOTENCY_KEY],
    )
    def create(self, request: Request) -> Response:
        require(request, "component.create", Action.CREATE)
        body = body_object(request)
        data = inputs.parse_feature(body, crs=crs_of(request), creating=True)
        ctx = p.edit_context(request, body)
        ctx.claim = p.claim(request, body, creating=True)
        answer = services.edit_once(ctx, "create", lambda: services.create_component(ctx, data))
        response = answer_response(answer)
        if answer.feature is not None:
            response["Location"] = f"/api/v1/components/{answer.feature['id']}/"
        return response

    def _update(self, request: Request, identifier: str, partial: bool) -> Response:
        require(request, "component.update", Action.CHANGE)
        body = body_object(request)
        data = inputs.parse_feature(body, crs=crs_of(request), creating=False, partial=partial)
        data.version = p.version_of(request, body)
        ctx = p.edit_context(request, body)
        ctx.claim = p.claim(request, body)
        return answer_response(
            services.edit_once(
                ctx,
                "update",
                lambda: services.update_component(ctx, identifier, data, partial=partial),
            )
        )

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[IDEMPOTENCY_KEY],
    )
    def partial_update(self, request: Request, identifier: str) -> Response:
        return self._update(request, identifier, partial=True)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[IDEMPOTENCY_KEY],
    )
    def update(self, request: Request, identifier: str) -> Response:
        return self._update(request, identifier, partial=False)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={204: None}, parameters=[IDEMPOTENCY_KEY])
    def destroy(self, request: Request, identifier: str) -> Response:
        """Hard delete (district and city admins only; audited). Others retire."""
        require(request, "component.delete", Action.DELETE)
        body = request.data if isinstance(request.data, dict) else {}
        ctx = p.edit_context(request, body)
        ctx.claim = p.claim(request, body)
        version = p.version_of(request, body)

        def delete() -> None:
            services.delete_component(ctx, identifier, version)

        return answer_response(services.edit_once(ctx, "delete", delete))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def retire(self, request: Request, identifier: str) -> Response:
        """Retire (作废) the component: kept with its history, gone from maps and lists."""
        require(request, "component.retire", Action.RETIRE)
        body = body_object(request)
        ctx = p.edit_context(request, body)
        ctx.claim = p.claim(request, body)
        version = p.version_of(request, body)
        return answer_response(
            services.edit_once(
                ctx, "retire", lambda: services.retire_component(ctx, identifier, version)
            )
        )

    @extend_schema(responses={200: HistorySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, identifier: str) -> Response:
        component, rows = services.history_of(request.user, identifier)
        editors = EditorView(request.user, component, (row.actor_id for row in rows))
        return Response(HistorySerializer(rows, many=True, context={"editors": editors}).data)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[LIST_PARAMETERS[-1]],
    )
    @action(detail=False, methods=["post"])
    def batch(self, request: Request) -> Response:
        """Create and update up to 1,000 features in one all-or-nothing changeset."""
        require(request, "component.batch", Action.CREATE, Action.CHANGE)
        body = body_object(request)
        components = services.batch(
            p.edit_context(request, body), body.get("features"), crs=crs_of(request)
        )
        return Response(representation.feature_collection(components), content_type=GEOJSON)


def photo_json(photo: ComponentPhoto) -> dict[str, Any]:
    identifier = photo.component.identifier
    return {
        "id": photo.pk,
        "url": f"/api/v1/components/{identifier}/photos/{photo.pk}/image/",
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "exif_position": (
            None if photo.exif_lon is None else {"lon": photo.exif_lon, "lat": photo.exif_lat}
        ),
        "caption": photo.caption,
        "uploaded_at": photo.uploaded_at.isoformat(),
    }


class ComponentPhotosView(APIView):
    """Photos of a component: list (whoever may see it), upload (whoever may change it).
    JPEG, PNG or WebP, at most PHOTO_MAX_BYTES; EXIF GPS position and time are read."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, identifier: str) -> Response:
        component = services.get_visible_component(request.user, identifier)
        return Response([photo_json(ph) for ph in component.photos.select_related("component")])

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "image": {"type": "string", "format": "binary"},
                    "caption": {"type": "string"},
                },
            }
        },
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, identifier: str) -> Response:
        require(request, "component.photo", Action.CHANGE)
        photo = photos.add_photo(
            p.edit_context(request),
            identifier,
            request.FILES.get("image"),
            str(request.data.get("caption") or ""),
        )
        return Response(photo_json(photo), status=http.HTTP_201_CREATED)


class ComponentPhotoImageView(APIView):
    """The photo file itself, after the same access check as the component."""

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, identifier: str, pk: int) -> FileResponse:
        component = services.get_visible_component(request.user, identifier)
        photo = component.photos.filter(pk=pk).first()
        if photo is None:
            raise NotFound()
        response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class NearestView(APIView):
    """Nearest visible, in-use components of the given classes to a point, with metric
    (geodesic) distance and the bearing from the point."""

    @extend_schema(
        parameters=[
            OpenApiParameter("classes", OpenApiTypes.STR, required=True),
            OpenApiParameter("lon", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("lat", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("limit", OpenApiTypes.INT),
            LIST_PARAMETERS[-1],
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        codes = p.class_codes(query, "classes")
        if not codes:
            raise InvalidInput("classes is required (e.g. classes=0301,0201).", field="classes")
        point = params.lon_lat_point(query)
        crs = crs_of(request)
        point = nearest.to_cgcs2000(point, crs)
        limit = params.limit(query, 10, 100)
        found = nearest.nearest(request.user, point, codes, limit)
        features = []
        for item in found:
            data = representation.feature(item.component)
            data["properties"]["distance_m"] = round(item.distance_m, 2)
            data["properties"]["bearing_deg"] = (
                None if item.bearing_deg is None else round(item.bearing_deg, 1)
            )
            data["properties"]["opening_hours_words"] = opening_hours.in_words(
                item.component.attributes
            )
            features.append(data)
        return Response(
            {
                "type": "FeatureCollection",
                "features": features,
                "query": {"lon": point.x, "lat": point.y, "classes": codes},
            },
            content_type=GEOJSON,
        )


class ChangesetView(APIView):
    """Open a changeset to group several edits under one comment."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        require(request, "changeset.open", *access.EDIT_ACTIONS)
        body = body_object(request)
        changeset = services.open_changeset(request.user, str(body.get("comment") or ""))
        return Response(
            {"id": changeset.pk, "comment": changeset.comment}, status=http.HTTP_201_CREATED
        )


class ChangesetCloseView(APIView):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        require(request, "changeset.close", *access.EDIT_ACTIONS)
        changeset: Changeset = services.close_changeset(request.user, pk)
        return Response({"id": changeset.pk, "closed_at": changeset.closed_at})
