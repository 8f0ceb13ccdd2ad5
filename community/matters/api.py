"""``/api/v1/requests/``: thin views over ``services`` (list, detail with timeline, submit,
steps of the flow, reroute; tracking by code without an account; open requests nearby and
following one instead of reporting it again; the class catalog)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.matters import (
    catalog_edit,
    deadlines,
    duplicates,
    inputs,
    photos,
    representation,
    services,
)
from community.matters.models import EventClass, RequestPhoto, ServiceRequest, State
from component_catalog import nearest
from component_catalog.api.params import claim, version_of
from gis_app import access, areacodes, params
from gis_app.api_common import PagePagination, body_object, crs_of
from gis_app.audit import source_address
from gis_app.editing import EditContext
from gis_app.errors import InvalidInput, NotFound
from gis_app.parsers import FormParser, MultiPartParser

OBJECT = OpenApiTypes.OBJECT
ANSWERS = {
    200: OBJECT,
    400: OBJECT,
    403: OBJECT,
    404: OBJECT,
    409: OBJECT,
}


def context(request: Request, comment: str = "") -> EditContext:
    return EditContext(
        user=request.user,
        address=source_address(request._request),
        comment=comment,
        source="api",
    )


def detail_response(
    ctx: EditContext, obj: ServiceRequest, status: int = 200, *, reveal_reason: str = ""
) -> Response:
    """The request as the caller sees it; with ``reveal_reason`` the reporter's contact
    unmasked for a cleared caller (audited with the reason; 403 for others)."""
    unmasked = services.contact_for(ctx, obj, reveal_reason) if reveal_reason else None
    data = representation.detail(obj, ctx.user, unmasked=unmasked)
    data["actions"] = services.actions_for(ctx.user, obj)
    base = f"/api/v1/requests/{obj.pk}/"
    data["photos"] = [photos.photo_json(p, base) for p in obj.photos.all()]
    if representation.staff(ctx.user, obj):
        data["merged"] = [r.pk for r in duplicates.followers_of(obj)]
    response = Response(data, status=status)
    response["ETag"] = f'"{obj.version}"'
    return response


class Pages(PagePagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


LIST_PARAMETERS = [
    OpenApiParameter("state", OpenApiTypes.STR, description="states, comma-separated"),
    OpenApiParameter("class", OpenApiTypes.STR, description="event-class codes, comma-separated"),
    OpenApiParameter("area", OpenApiTypes.STR, description="area code (its subtree)"),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("bbox", OpenApiTypes.STR, description="minlon,minlat,maxlon,maxlat"),
]


def _list(raw: str | None, name: str, allowed: list[str] | None = None) -> list[str] | None:
    if not raw:
        return None
    values = [v for v in raw.split(",") if v]
    bad = [v for v in values if (allowed is not None and v not in allowed) or len(v) > 32]
    if bad or not values:
        raise InvalidInput(
            _invalid(name, bad[0] if bad else raw),
            field=name,
        )
    return values


def _invalid(name: str, value: str) -> str:
    return _("Parameter %(name)s has an unknown value %(value)r.") % {
        "name": name,
        "value": value[:50],
    }


def filtered(request: Request) -> QuerySet[ServiceRequest]:
    q = request.query_params
    rows = access.visible(
        request.user,
        ServiceRequest.objects.select_related("event_class", "organization", "component"),
    )
    states = _list(q.get("state"), "state", list(State.values))
    if states:
        rows = rows.filter(state__in=states)
    classes = _list(q.get("class"), "class")
    if classes:
        rows = rows.filter(event_class__code__in=classes)
    area = params.digits(q, "area", areacodes.LEVEL_CODE_LENGTH.values())
    if area:
        rows = rows.filter(community__code__startswith=areacodes.prefix_of(area))
    overdue = params.choice(q, "overdue", ["true", "false", "1", "0"])
    if overdue:
        late = deadlines.overdue_q(timezone.now())
        rows = rows.filter(late) if overdue in ("true", "1") else rows.exclude(late)
    box = params.bbox(q)
    if box is not None:
        rows = rows.filter(place__intersects=box)
    return rows


class RequestsView(APIView):
    """Requests the caller sees (filters: state, class, area, overdue, bbox); POST a new
    request (anyone: residents need no account; ``Idempotency-Key`` makes a retry safe)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="requests_list",
        parameters=LIST_PARAMETERS,
        responses={200: OBJECT, 400: OBJECT},
    )
    def get(self, request: Request) -> Response:
        pages = Pages()
        rows = pages.paginate_queryset(filtered(request), request, view=self) or []
        return pages.get_paginated_response(
            [
                representation.staff_summary(r)
                if representation.staff(request.user, r)
                else representation.summary(r)
                for r in rows
            ]
        )

    @extend_schema(
        request=OBJECT,
        responses={201: OBJECT, 200: OBJECT, 400: OBJECT, 409: OBJECT},
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER),
            OpenApiParameter("crs", str, description="input CRS: CRS84, GCJ02, BD09, EPSG:n"),
        ],
    )
    def post(self, request: Request) -> Response:
        body = body_object(request)
        data = inputs.parse_submission(body, crs_of(request))
        ctx = context(request)
        ctx.claim = claim(request, body, creating=True)
        done = services.submit(ctx, data)
        response = detail_response(ctx, done.request, 200 if done.replayed else 201)
        response.data["tracking_code"] = done.request.tracking_code
        response.data["duplicates"] = [
            duplicates.candidate_json(request.user, c) for c in done.duplicates
        ]
        if done.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class RequestView(APIView):
    """One request with its timeline (and, for staff, its routing decisions)."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reveal_reason",
                OpenApiTypes.STR,
                description="why the reporter's contact is needed: answers it unmasked to a "
                "handling role of the area (audited with the reason)",
            )
        ],
        responses={200: OBJECT, 403: OBJECT, 404: OBJECT},
    )
    def get(self, request: Request, pk: int) -> Response:
        reason = params.text(request.query_params, "reveal_reason", max_length=200)
        obj = access.get_visible(request.user, services.REQUESTS.queryset(), pk=pk)
        return detail_response(context(request), obj, reveal_reason=reason)


class TransitionsView(APIView):
    """Take a step of the request's flow: ``action``, ``version`` (or If-Match), ``note``,
    ``merge_into`` (for merge)."""

    permission_classes = [AllowAny]

    @extend_schema(request=OBJECT, responses=ANSWERS)
    def post(self, request: Request, pk: int) -> Response:
        body = body_object(request)
        ctx = context(request, inputs.note_of(body))
        merge = body.get("merge_into")
        if merge is not None and (isinstance(merge, bool) or not isinstance(merge, int)):
            raise InvalidInput(_("merge_into must be a request id."), field="merge_into")
        obj = services.transition(
            ctx, inputs.action_of(body), version_of(request, body), pk=pk, merge_into=merge
        )
        return detail_response(ctx, obj)


class RouteView(APIView):
    """A dispatcher routes the request to another organization (``organization`` code,
    ``note``: the reason, ``version``)."""

    permission_classes = [AllowAny]

    @extend_schema(request=OBJECT, responses=ANSWERS)
    def post(self, request: Request, pk: int) -> Response:
        body = body_object(request)
        ctx = context(request, inputs.note_of(body))
        code = body.get("organization")
        if not isinstance(code, str) or not code or len(code) > 32:
            raise InvalidInput(
                _("organization must be an organization code."), field="organization"
            )
        obj = services.reroute(ctx, pk, code, version_of(request, body))
        return detail_response(ctx, obj)


def _code(raw: str) -> str:
    if len(raw) > 24:
        raise InvalidInput(_("code is not a tracking code."), field="code")
    return raw.upper()


def tracked_response(obj: ServiceRequest) -> Response:
    data = representation.tracked(obj)
    base = f"/api/v1/requests/track/{obj.tracking_code}/"
    data["photos"] = [photos.photo_json(p, base) for p in obj.photos.all()]
    data.update(duplicates.tracking_extra(obj))
    response = Response(data)
    response["ETag"] = f'"{obj.version}"'
    return response


PHOTO_UPLOAD = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"image": {"type": "string", "format": "binary"}},
    }
}


def image_response(photo: RequestPhoto | None) -> FileResponse:
    if photo is None:
        raise NotFound()
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PhotosView(APIView):
    """Staff who see the request through a grant add a photo (multipart ``image``)."""

    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=PHOTO_UPLOAD, responses={201: OBJECT, 400: OBJECT, 403: OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        photo = photos.add(context(request), request.FILES.get("image"), pk=pk)
        return Response(photos.photo_json(photo, f"/api/v1/requests/{pk}/"), status=201)


class PhotoImageView(APIView):
    """A photo's file, for whoever sees the request."""

    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int, photo: int) -> FileResponse:
        obj = access.get_visible(request.user, ServiceRequest.objects.all(), pk=pk)
        return image_response(obj.photos.filter(pk=photo).first())


class TrackPhotosView(APIView):
    """The reporter adds a photo by tracking code (multipart ``image``)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=PHOTO_UPLOAD, responses={201: OBJECT, 400: OBJECT, 404: OBJECT})
    def post(self, request: Request, code: str) -> Response:
        photo = photos.add(context(request), request.FILES.get("image"), tracking_code=_code(code))
        base = f"/api/v1/requests/track/{_code(code)}/"
        return Response(photos.photo_json(photo, base), status=201)


class TrackPhotoImageView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, code: str, photo: int) -> FileResponse:
        obj = services.find(context(request), "track", None, _code(code))
        return image_response(obj.photos.filter(pk=photo).first())


class TrackView(APIView):
    """The reporter follows a request by its tracking code, without an account."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OBJECT, 404: OBJECT})
    def get(self, request: Request, code: str) -> Response:
        return tracked_response(services.find(context(request), "track", None, _code(code)))


class TrackTransitionsView(APIView):
    """The reporter's steps by tracking code: ``reopen`` within the flow's days of closing."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=OBJECT, responses=ANSWERS)
    def post(self, request: Request, code: str) -> Response:
        body = body_object(request)
        ctx = context(request, inputs.note_of(body))
        obj = services.transition(
            ctx, inputs.action_of(body), version_of(request, body), tracking_code=_code(code)
        )
        return tracked_response(obj)


class TrackRatingView(APIView):
    """The reporter rates a closed request (``rating`` 1-5, ``note``, ``version``)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=OBJECT, responses=ANSWERS)
    def post(self, request: Request, code: str) -> Response:
        body = body_object(request)
        ctx = context(request, inputs.note_of(body))
        obj = services.rate(ctx, _code(code), body.get("rating"), version_of(request, body))
        return tracked_response(obj)


class SuggestView(APIView):
    """The component a report at ``lon``/``lat`` (``crs``: CRS84, GCJ02, BD09) of event
    class ``class`` is probably about: the nearest of its component class within 30 m, or
    ``null``."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("class", OpenApiTypes.STR, required=True),
            OpenApiParameter("lon", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("lat", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("crs", OpenApiTypes.STR),
        ],
        responses={200: OBJECT, 400: OBJECT},
    )
    def get(self, request: Request) -> Response:
        code = params.text(request.query_params, "class", max_length=32, required=True)
        point = nearest.to_cgcs2000(params.lon_lat_point(request.query_params), crs_of(request))
        found = services.suggest_component(request.user, code, point)
        if found is None:
            return Response({"component": None})
        component = found.component
        return Response(
            {
                "component": {
                    "identifier": component.identifier,
                    "class": component.component_class_id,
                    "name": component.name,
                    "distance_m": round(found.distance_m, 1),
                }
            }
        )


NEARBY_PARAMETERS = [
    OpenApiParameter("class", OpenApiTypes.STR, required=True),
    OpenApiParameter("lon", OpenApiTypes.NUMBER, required=True),
    OpenApiParameter("lat", OpenApiTypes.NUMBER, required=True),
    OpenApiParameter("crs", OpenApiTypes.STR, description="input CRS: CRS84, GCJ02, BD09"),
]


class NearbyView(APIView):
    """Before submitting: the open requests of class ``class`` reported in the last 14
    days within 50 m of ``lon``/``lat`` (``crs``: CRS84, GCJ02, BD09) that the caller
    sees, nearest first, each with its geodesic distance, state, age and masked text
    ("already reported: follow it instead")."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=NEARBY_PARAMETERS, responses={200: OBJECT, 400: OBJECT})
    def get(self, request: Request) -> Response:
        code = params.text(request.query_params, "class", max_length=32, required=True)
        point = nearest.to_cgcs2000(params.lon_lat_point(request.query_params), crs_of(request))
        found = duplicates.nearby(request.user, code, point)
        return Response(
            {
                "within_m": duplicates.WITHIN_M,
                "within_days": duplicates.WITHIN_DAYS,
                "requests": [duplicates.candidate_json(request.user, c) for c in found],
            }
        )


class FollowView(APIView):
    """Follow an open request instead of reporting it again (anyone who sees it; no
    account): optional ``contact`` ({name, phone, email}: sealed, shown masked) and
    ``note``. Answers the follower's own tracking code, which shows the followed request's
    state. ``Idempotency-Key`` makes a retry safe."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=OBJECT,
        responses={201: OBJECT, 200: OBJECT, 400: OBJECT, 404: OBJECT, 409: OBJECT},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request: Request, pk: int) -> Response:
        body = body_object(request)
        contact = inputs.parse_contact(body.get("contact"))
        ctx = context(request)
        ctx.claim = claim(request, body, creating=True)
        done = services.follow(ctx, pk, contact, inputs.note_of(body))
        response = tracked_response(done.request)
        response.status_code = 200 if done.replayed else 201
        if done.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class ClassesView(APIView):
    """The event-class catalog (public)."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="requests_classes_list", responses={200: OBJECT})
    def get(self, request: Request) -> Response:
        rows = access.visible(request.user, EventClass.objects.select_related("flow"))
        return Response([representation.event_class_json(c) for c in rows])


class ClassView(APIView):
    """One event class; PATCH by a city-level administrator: the changed fields,
    ``version`` (or If-Match) and ``comment`` (kept in the class's history)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OBJECT, 404: OBJECT})
    def get(self, request: Request, code: str) -> Response:
        obj = access.get_visible(request.user, EventClass.objects.select_related("flow"), code=code)
        return Response(representation.event_class_json(obj))

    @extend_schema(request=OBJECT, responses=ANSWERS)
    def patch(self, request: Request, code: str) -> Response:
        body = dict(body_object(request))
        comment = body.pop("comment", "")
        if not isinstance(comment, str):
            raise InvalidInput(_("comment must be text."), field="comment")
        version = version_of(request, body)
        body.pop("version", None)
        obj = catalog_edit.update(context(request, comment), code, body, version)
        response = Response(representation.event_class_json(obj))
        response["ETag"] = f'"{obj.version}"'
        return response


urlpatterns = [
    path("requests/", RequestsView.as_view(), name="matters-requests"),
    path("requests/classes/", ClassesView.as_view(), name="matters-classes"),
    path("requests/suggest/", SuggestView.as_view(), name="matters-suggest"),
    path("requests/nearby/", NearbyView.as_view(), name="matters-nearby"),
    path("requests/classes/<str:code>/", ClassView.as_view(), name="matters-class"),
    path("requests/track/<str:code>/", TrackView.as_view(), name="matters-track"),
    path(
        "requests/track/<str:code>/transitions/",
        TrackTransitionsView.as_view(),
        name="matters-track-transitions",
    ),
    path("requests/track/<str:code>/rating/", TrackRatingView.as_view(), name="matters-rating"),
    path("requests/<int:pk>/", RequestView.as_view(), name="matters-request"),
    path("requests/<int:pk>/transitions/", TransitionsView.as_view(), name="matters-transitions"),
    path("requests/<int:pk>/route/", RouteView.as_view(), name="matters-route"),
    path("requests/<int:pk>/follow/", FollowView.as_view(), name="matters-follow"),
    path("requests/<int:pk>/photos/", PhotosView.as_view(), name="matters-photos"),
    path(
        "requests/<int:pk>/photos/<int:photo>/",
        PhotoImageView.as_view(),
        name="matters-photo",
    ),
    path(
        "requests/track/<str:code>/photos/",
        TrackPhotosView.as_view(),
        name="matters-track-photos",
    ),
    path(
        "requests/track/<str:code>/photos/<int:photo>/",
        TrackPhotoImageView.as_view(),
        name="matters-track-photo",
    ),
]
