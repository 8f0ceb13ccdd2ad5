"""Parking endpoints under /api/v1/parking/: thin views that parse, call one service and
serialize."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.devices.api import SignedEventsView
from community.parking import findcar, ingest, live, profiles
from community.parking import representation as rep
from community.parking.models import KINDS
from component_catalog.nearest import to_cgcs2000
from gis_app import audit, params, parsing
from gis_app.api_common import GEOJSON, body_object, crs_of, require_login
from gis_app.errors import InvalidInput

MAX_RANGE = dt.timedelta(days=31)
MAX_EVENTS = 100_000


def time_range(query: Mapping[str, str]) -> tuple[dt.datetime, dt.datetime]:
    """``from`` and ``to`` (ISO 8601; default: the last 24 hours), at most 31 days apart."""
    now = timezone.now()
    values = {}
    for name, default in (("from", now - dt.timedelta(days=1)), ("to", now)):
        raw = query.get(name)
        if not raw:
            values[name] = default
            continue
        values[name] = parsing.datetime_value(raw, name, naive_local=True)
    if values["to"] <= values["from"]:
        raise InvalidInput(_("Parameter to must be after from."), field="to")
    if values["to"] - values["from"] > MAX_RANGE:
        raise InvalidInput(_("At most 31 days at a time."), field="from")
    return values["from"], values["to"]


# ``from`` and ``to`` of the history, events and profile endpoints (``time_range``)
TIME_RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATETIME),
    OpenApiParameter("to", OpenApiTypes.DATETIME),
]


class EventIngestView(SignedEventsView):
    """Passage events from a parking device, signed with the device's secret (HMAC-SHA256
    over method, path, X-Timestamp, X-Nonce and the body's SHA-256). Idempotent by event id:
    a repeated event answers ``duplicate`` and changes nothing."""

    kinds = ingest.KINDS
    realm = "parking devices"


class AvailabilityView(APIView):
    """The public availability feed: every lot the caller may see with location, capacity,
    free spaces by kind and the time of the last update (close to DATEX II
    ParkingStatusPublication and APDS occupancy; the mapping is in docs/PARKING.md)."""

    @extend_schema(
        parameters=[OpenApiParameter("area", OpenApiTypes.STR, description="area code")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        area = params.digits(request.query_params, "area", (6, 9, 12))
        lots = live.feed(request.user, area)
        response = Response(
            {
                "publication_time": timezone.now().isoformat(),
                "lots": [rep.availability(lot) for lot in lots],
            }
        )
        response["Cache-Control"] = "public, max-age=15" if request.user.is_anonymous else "private"
        return response


class NearbyView(APIView):
    """Lots with free spaces near a point, as GeoJSON, ranked by distance (in 100 m steps)
    and then by free spaces; distances in metres on the spheroid."""

    @extend_schema(
        parameters=[
            OpenApiParameter("lon", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("lat", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(KINDS)),
            OpenApiParameter("radius", OpenApiTypes.NUMBER, description="metres (default 3000)"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1-50 (default 10)"),
            OpenApiParameter("crs", OpenApiTypes.STR, description="CRS84, GCJ02 or BD09"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        point = to_cgcs2000(params.lon_lat_point(query), crs_of(request))
        kind = params.choice(query, "kind", KINDS)
        radius = params.number(query, "radius", 1, 20000) if query.get("radius") else 3000.0
        limit = params.limit(query, 10, 50)
        found = live.nearby(request.user, point, kind=kind, radius_m=radius, limit=limit)
        return Response(
            {"type": "FeatureCollection", "features": [rep.nearby_feature(n) for n in found]},
            content_type=GEOJSON,
        )


class LotView(APIView):
    """One lot: availability, floors and gates."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, identifier: str) -> Response:
        return Response(rep.lot_detail(live.lot(request.user, identifier)))


class LotSpacesView(APIView):
    """The lot's spaces as GeoJSON (optionally one floor), each free or occupied."""

    @extend_schema(
        parameters=[OpenApiParameter("floor", OpenApiTypes.STR)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, identifier: str) -> Response:
        lot = live.lot(request.user, identifier)
        features = [
            rep.space_feature(s) for s in live.spaces(lot, request.query_params.get("floor"))
        ]
        return Response({"type": "FeatureCollection", "features": features}, content_type=GEOJSON)


class LotOccupancyView(APIView):
    """Occupancy history of a lot (operators, planners and admins of its area)."""

    @extend_schema(
        parameters=TIME_RANGE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, identifier: str) -> Response:
        since, until = time_range(request.query_params)
        lot = live.operational_lot(request.user, identifier)
        rows = live.history(lot, since, until)
        return Response({"lot": identifier, "samples": [rep.sample(row, lot) for row in rows]})


class LotEventsView(APIView):
    """Passage events of a lot (operators, planners and admins of its area); credentials
    masked. Reading them is audited. ``events.csv`` is the same as a CSV file."""

    @extend_schema(
        parameters=TIME_RANGE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, identifier: str) -> Response:
        lot, rows = _events(request, identifier, "json")
        return Response({"lot": identifier, "events": [rep.event(e) for e in rows]})


class AnyAcceptNegotiation(BaseContentNegotiation):
    """The CSV endpoint answers a file whatever the Accept header; errors are JSON."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class LotEventsCsvView(APIView):
    """Passage events of a lot as CSV (UTF-8 with BOM); credentials masked; audited."""

    content_negotiation_class = AnyAcceptNegotiation
    renderer_classes = [JSONRenderer]

    @extend_schema(
        parameters=TIME_RANGE_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request, identifier: str) -> HttpResponse:
        lot, rows = _events(request, identifier, "csv")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="parking-{identifier}.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(rep.EVENT_COLUMNS)
        writer.writerows(rep.event_row(e) for e in rows)
        return response


def _events(request: Request, identifier: str, output: str) -> tuple[Any, list[Any]]:
    since, until = time_range(request.query_params)
    return live.exported_events(
        request.user, identifier, since, until, output, audit.source_address(request), MAX_EVENTS
    )


class FindCarView(APIView):
    """Reverse car finding: ``{"plate": "浙A12345"}`` -> lot, floor and space while the car
    is parked; 404 after it left. Rate-limited (429) and audited."""

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT}, responses={200: OpenApiTypes.OBJECT}
    )
    def post(self, request: Request) -> Response:
        plate = body_object(request).get("plate")
        found = findcar.find_car(request.user, plate, audit.source_address(request))
        response = Response(rep.found_car(found))
        response["Cache-Control"] = "no-store"
        return response


class OccupancyProfileView(APIView):
    """Occupancy by weekday (ISO, Monday first) and hour, per lot and per community, over
    the last ``days`` days: mean share of capacity filled (time-weighted within each hour).
    Lots whose operations the caller may see (planners, admins, operators); login needed."""

    @extend_schema(
        parameters=[
            OpenApiParameter("area", OpenApiTypes.STR, description="area code"),
            OpenApiParameter("days", OpenApiTypes.INT, description="7-92 (default 28)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        require_login(request)
        query = request.query_params
        area = params.digits(query, "area", (6, 9, 12))
        days = int(parsing.integer_param(query, "days", 7, 92, 28) or 28)
        found = profiles.for_area(request.user, area, days)
        return Response(
            {
                "from": found.since.isoformat(),
                "to": found.until.isoformat(),
                "weekdays": list(profiles.WEEKDAYS),
                "hours": list(profiles.HOURS),
                "lots": [rep.profile(p) for p in found.lots],
                "communities": [rep.profile(p) for p in found.communities],
            }
        )


LOT = "parking/lots/<str:identifier>/"

urlpatterns = [
    path("parking/events/", EventIngestView.as_view(), name="parking-events"),
    path("parking/availability/", AvailabilityView.as_view(), name="parking-availability"),
    path("parking/nearby/", NearbyView.as_view(), name="parking-nearby"),
    path("parking/find-car/", FindCarView.as_view(), name="parking-find-car"),
    path(
        "parking/occupancy-profile/",
        OccupancyProfileView.as_view(),
        name="parking-occupancy-profile",
    ),
    path(LOT, LotView.as_view(), name="parking-lot"),
    path(f"{LOT}spaces/", LotSpacesView.as_view(), name="parking-lot-spaces"),
    path(f"{LOT}occupancy/", LotOccupancyView.as_view(), name="parking-lot-occupancy"),
    path(f"{LOT}events/", LotEventsView.as_view(), name="parking-lot-events"),
    path(
        "parking/lots/<str:identifier>/events.csv",
        LotEventsCsvView.as_view(),
        name="parking-lot-events-csv",
    ),
]
