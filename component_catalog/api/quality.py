"""``GET /api/v1/quality/``: data-quality measures of the component layers (standard 5.2.1).

Query parameters: ``area`` (area code: the subtree to measure), ``layers`` (component layer
codes, comma-separated, e.g. ``component-0101,component-0301``), ``group_by`` (``layer``,
the default, ``maintainer``, ``owner``, ``steward``, ``community``, ``street``) and
``as_of`` (``YYYY-MM-DD``, default today). Needs a login (401) and the REPORT action in
some grant (403); the rows cover only what the user may report on.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from component_catalog import quality
from component_catalog.api.params import as_of_date, layer_codes
from gis_app import params


class QualityView(APIView):
    """Data-quality measures (timeliness, completeness, geometric and GNSS accuracy) of the
    component layers the user may report on, grouped by layer, organization, steward or area.
    Shares are numbers from 0 to 1 (4 decimals); ``accuracy_gnss`` is null for a group
    without field-measured features."""

    @extend_schema(
        operation_id="v1_quality",
        parameters=[
            OpenApiParameter("area", OpenApiTypes.STR, description="area code (6, 9 or 12 digits)"),
            OpenApiParameter(
                "layers", OpenApiTypes.STR, description="component layer codes, comma-separated"
            ),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(quality.GROUP_BY)),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="reference date"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        quality.check_may_report(request.user)
        query = request.query_params
        group_by = params.choice(query, "group_by", quality.GROUP_BY) or "layer"
        area = params.digits(query, "area", (6, 9, 12))
        layers = layer_codes(query)
        as_of = as_of_date(query) or timezone.localdate()
        rows = quality.measure(
            request.user, area_code=area, layer_codes=layers, group_by=group_by, as_of=as_of
        )
        return Response(
            {
                "as_of": as_of.isoformat(),
                "group_by": group_by,
                "rows": [row.as_dict() for row in rows],
            }
        )
