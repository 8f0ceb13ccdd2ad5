"""Report endpoints under ``/api/v1/``:

* ``GET reports/``: the report kinds and the areas the caller may report on;
* ``GET reports/<kind>/``: a report as JSON (tables, charts, and a GeoJSON
  FeatureCollection of the per-area rows for the choropleth);
* ``GET reports/<kind>.<csv|xlsx|gpkg|pdf>``: the report as a file, made in the request
  when it is small (at most ``REPORTS_SYNC_MAX_AREAS`` areas; PDFs also need a free
  rendering slot, see ``reports.gate``), else refused with the way out:
* ``POST reports/<kind>.<fmt>`` (same query parameters): the export as a background job
  (202, ``reports.jobs``); ``GET report-jobs/<id>/`` tells its progress,
  ``GET report-jobs/<id>/file`` gives the file once it is done.

The kinds are those of the registry ``reports.kinds`` that the caller may see (an app adds
its own there). Parameters: ``area`` (code; default the caller's widest reportable area), ``level``
(``district``, ``street`` or ``community``), ``metric`` (the mapped column), and per kind
``classes``, ``n`` (coverage, metres 50-5000), ``months`` (edits, 1-60), ``as_of``
(quality), ``classify`` (the map's classes). 401 without a login, 403 without the REPORT
action, 404 for a hidden area.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from component_catalog.quality import check_may_report
from reports import exports, gate, jobs, kinds, params, services
from reports.model import Report
from reports.scope import LEVELS, levels_below, reportable_areas

PARAMETERS = [
    OpenApiParameter("area", OpenApiTypes.STR, description="area code (6, 9 or 12 digits)"),
    OpenApiParameter("level", OpenApiTypes.STR, enum=["district", "street", "community"]),
    OpenApiParameter("metric", OpenApiTypes.STR, description="column key shown on the map"),
    OpenApiParameter("classes", OpenApiTypes.STR, description="class codes (counts, condition)"),
    OpenApiParameter("n", OpenApiTypes.NUMBER, description="coverage distance, metres 50-5000"),
    OpenApiParameter("months", OpenApiTypes.INT, description="edits: months back, 1-60"),
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="quality: reference date"),
    OpenApiParameter(
        "classify",
        OpenApiTypes.STR,
        enum=["auto", "jenks", "quantile", "equal"],
        description="map classes: natural breaks, quantiles or equal intervals (auto: by data)",
    ),
]


def _rounded(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def report_json(report: Report) -> dict[str, Any]:
    """The report as the API returns it."""
    tables = []
    for table in report.tables:
        body = table.as_dict()
        body["rows"] = [{k: _rounded(v) for k, v in row.items()} for row in table.rows]
        tables.append(body)
    features = [
        {
            "type": "Feature",
            "id": row["code"],
            "geometry": json.loads(report.geometries[row["code"]].geojson),
            "properties": {k: _rounded(v) for k, v in row.items()},
            # where the area's name goes on the map (inside it, far from its edges)
            "label": list(report.geometries[row["code"]].label),
        }
        for row in report.areas.rows
    ]
    classes = {column.key: report.classes(column.key) for column in report.mappable()}
    return {
        "kind": report.kind,
        "title": report.title,
        "area": {
            "code": report.scope.code,
            "name": report.scope.name,
            "name_en": report.scope.name_en,
            "level": report.scope.area_level,
        },
        "level": report.scope.level,
        "parameters": report.parameters,
        "parameter_text": [[k, v] for k, v in report.parameter_text],
        "metric": report.metric,
        "notes": report.notes,
        "tables": tables,
        "charts": [chart.as_dict() for chart in report.charts],
        "map": {"type": "FeatureCollection", "features": features},
        "classify": report.classify,
        # the choropleth's classes of every mappable column (reports.classes)
        "classes": {key: found.as_dict() if found else None for key, found in classes.items()},
    }


class ReportIndexView(APIView):
    """The report kinds, and the areas the caller may report on with their row levels."""

    @extend_schema(operation_id="v1_reports_index", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        check_may_report(request.user)
        order = {level: i for i, level in enumerate(LEVELS)}
        areas = sorted(
            reportable_areas(request.user).values("code", "name", "name_en", "level"),
            key=lambda a: (order[a["level"]], a["code"]),
        )
        return Response(
            {
                "kinds": [kind.code for kind in kinds.visible(request.user)],
                "areas": [{**a, "levels": levels_below(a["level"])} for a in areas],
                **params.limits(),
            }
        )


class ReportView(APIView):
    """One report as JSON."""

    @extend_schema(
        operation_id="v1_report", parameters=PARAMETERS, responses={200: OpenApiTypes.OBJECT}
    )
    def get(self, request: Request, kind: str) -> Response:
        report = services.build(request.user, params.parse(kind, request.query_params))
        return Response(report_json(report))


class _AnyRenderer(BaseRenderer):
    """Lets the export answer whatever the client accepts (the body is a file)."""

    media_type = "*/*"
    format = "file"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> Any:
        return data


class _IgnoreAccept(BaseContentNegotiation):
    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None


class ReportExportView(APIView):
    """One report as a file: CSV (``table`` picks the table), XLSX, GeoPackage or PDF."""

    renderer_classes = [JSONRenderer, _AnyRenderer]
    content_negotiation_class = _IgnoreAccept

    @extend_schema(
        operation_id="v1_report_export",
        parameters=[
            *PARAMETERS,
            OpenApiParameter("table", OpenApiTypes.STR, description="CSV: which table"),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, kind: str, fmt: str) -> HttpResponse:
        exports.check_format(fmt)
        asked = params.parse(kind, request.query_params)
        services.check(request.user, asked)  # login, REPORT, the kind, the area: at once
        exports.check_format(fmt, kinds.get(kind).formats)
        report = services.build(request.user, asked)
        gate.check_size(report)
        with gate.export_slot(fmt):
            file = exports.export(report, fmt, request.query_params.get("table") or None)
        return _file_response(file.content, file.content_type, file.filename)

    @extend_schema(
        operation_id="v1_report_export_job",
        parameters=[
            *PARAMETERS,
            OpenApiParameter("table", OpenApiTypes.STR, description="CSV: which table"),
        ],
        request=None,
        responses={202: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, kind: str, fmt: str) -> Response:
        """Queue the export as a background job (no size limit); 202 with its status URL."""
        job = jobs.submit(request.user, kind, fmt, request.query_params)
        body = jobs.as_json(job)
        return Response(body, status=202, headers={"Location": body["url"]})


def _file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class ReportJobView(APIView):
    """A background export's status and progress (only its owner's)."""

    @extend_schema(operation_id="v1_report_job", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, job_id: int) -> Response:
        check_may_report(request.user)
        response = Response(jobs.as_json(jobs.visible_job(request.user, job_id)))
        response["Cache-Control"] = "private, no-store"
        return response


class ReportJobFileView(APIView):
    """A finished background export's file (409 while it is not done)."""

    renderer_classes = [JSONRenderer, _AnyRenderer]
    content_negotiation_class = _IgnoreAccept

    @extend_schema(
        operation_id="v1_report_job_file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, job_id: int) -> HttpResponse:
        check_may_report(request.user)
        content, content_type, filename = jobs.file_of(jobs.visible_job(request.user, job_id))
        return _file_response(content, content_type, filename)


urlpatterns = [
    path("reports/", ReportIndexView.as_view(), name="reports-index"),
    path("reports/<slug:kind>/", ReportView.as_view(), name="report"),
    path("reports/<slug:kind>.<slug:fmt>", ReportExportView.as_view(), name="report-export"),
    path("report-jobs/<int:job_id>/", ReportJobView.as_view(), name="report-job"),
    path("report-jobs/<int:job_id>/file", ReportJobFileView.as_view(), name="report-job-file"),
]
