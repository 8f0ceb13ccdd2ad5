from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gis_app import access, auth
from gis_app.api.serializers import (
    OrganizationSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from gis_app.audit import source_address
from gis_app.models import Organization


class TokenView(APIView):
    """Exchange a user name and password for an API token (throttled, audited)."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="a field is missing"),
            401: OpenApiResponse(description="wrong user name or password"),
            429: OpenApiResponse(description="too many failed attempts (Retry-After)"),
        },
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = auth.login(
            data.validated_data["username"],
            data.validated_data["password"],
            address=source_address(request._request),
            channel="api",
            request=request._request,
        )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organizations: departments, utilities, property managers, service providers."""

    serializer_class = OrganizationSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Organization]:
        qs = access.visible(self.request.user, Organization.objects.all())
        kind = self.request.query_params.get("kind")
        return qs.filter(kind=kind) if kind else qs

    def get_object(self) -> Organization:
        return access.get_visible(
            self.request.user, Organization.objects.all(), code=self.kwargs["code"]
        )
