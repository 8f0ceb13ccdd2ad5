from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_gis.pagination import GeoJsonPagination

from gis_app import access, params
from gis_app.api_common import CheckedPageNumbers
from layers import services
from layers.api.serializers import AdminAreaSerializer, GridCellSerializer, LocationSerializer
from layers.models import AdminArea, AdminAreaQuerySet, AreaLevel, GridCell


class FeaturePagination(CheckedPageNumbers, GeoJsonPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


@extend_schema(
    parameters=[
        OpenApiParameter("level", OpenApiTypes.STR, enum=AreaLevel.values),
        OpenApiParameter("parent", OpenApiTypes.STR, description="children of this area code"),
        OpenApiParameter("under", OpenApiTypes.STR, description="all descendants of this code"),
        OpenApiParameter("q", OpenApiTypes.STR, description="name contains"),
    ]
)
class AdminAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative areas (city, district, street, community) the caller may see,
    as GeoJSON features (CRS84)."""

    serializer_class = AdminAreaSerializer
    pagination_class = FeaturePagination
    lookup_field = "code"
    lookup_value_regex = r"\d{6,12}"

    def get_queryset(self) -> AdminAreaQuerySet:
        qs = access.visible(self.request.user, AdminArea.objects.all())
        if self.action != "list":
            return qs
        query = self.request.query_params
        level = params.choice(query, "level", AreaLevel.values)
        if level:
            qs = qs.at_level(level)
        parent = params.digits(query, "parent", (6, 9, 12))
        if parent:
            qs = qs.filter(parent_id=parent)  # type: ignore[misc]  # to_field="code"
        under = params.digits(query, "under", (6, 9, 12))
        if under:
            qs = qs.descendants_of(under)
        text = params.text(query, max_length=50)
        if text:
            qs = qs.filter(name__icontains=text)
        return qs

    def get_object(self) -> AdminArea:
        return access.get_visible(
            self.request.user, AdminArea.objects.all(), code=self.kwargs["code"]
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("lon", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("lat", OpenApiTypes.NUMBER, required=True),
        ],
        responses=LocationSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def locate(self, request: Request) -> Response:
        """Which city, district, street, community and grid cell contain a point."""
        point = params.lon_lat_point(request.query_params)
        return Response(services.locate(request.user, point))


@extend_schema(parameters=[OpenApiParameter("community", OpenApiTypes.STR)])
class GridCellViewSet(viewsets.ReadOnlyModelViewSet):
    """Grid cells (单元网格) the caller may see."""

    serializer_class = GridCellSerializer
    pagination_class = FeaturePagination
    lookup_field = "code"
    lookup_value_regex = r"\d{15}"

    def get_queryset(self) -> QuerySet[GridCell]:
        qs = access.visible(self.request.user, GridCell.objects.all())
        community = params.digits(self.request.query_params, "community", (12,))
        return qs.filter(community_id=community) if community else qs  # type: ignore[misc]

    def get_object(self) -> GridCell:
        return access.get_visible(
            self.request.user, GridCell.objects.all(), code=self.kwargs["code"]
        )
