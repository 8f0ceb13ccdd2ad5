"""``POST /api/v1/devices/events/``: signed events of a device of any registered kind, and
the view class an app mounts at a URL of its own for its kinds (an app's URL published
before the registry existed stays as it was). The signature covers the path, so a request
signed for one URL is refused at another."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.devices import ingest, signing
from community.devices.kinds import Outcome


def outcomes(items: list[Outcome]) -> dict[str, Any]:
    """The answer to an accepted body: counts and each event's status and flags."""
    stored = sum(1 for o in items if o.status == "stored")
    return {
        "stored": stored,
        "duplicates": len(items) - stored,
        "events": [o.as_dict() for o in items],
    }


class SignedEventsView(APIView):
    """Events from a device, signed with the device's secret (HMAC-SHA256 over method,
    path, X-Timestamp, X-Nonce and the body's SHA-256). Idempotent by event id: a repeated
    event answers ``duplicate`` and changes nothing. 401 for a bad signature, a replay or
    an unknown, inactive or revoked device; 400 naming the field for a bad event."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes: list[Any] = []  # the signature covers the exact body bytes
    kinds: ClassVar[Collection[str] | None] = None  # None: every registered kind
    realm: ClassVar[str] = "devices"

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 401: OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True)
            for name in signing.HEADERS
        ],
    )
    def post(self, request: Request) -> Response:
        found = ingest.from_http(
            request.method or "POST", request.path, request.headers, request.body, self.kinds
        )
        return Response(outcomes(found))

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, signing.SignatureRejected):
            response["WWW-Authenticate"] = f'HMAC-SHA256 realm="{self.realm}"'
        return response


urlpatterns = [path("devices/events/", SignedEventsView.as_view(), name="devices-events")]
