"""Import endpoints: upload a file as a background job, follow it, commit a dry run,
download the rejected rows. Thin views over ``importers.jobs``; hidden jobs answer 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gis_app import access, params
from gis_app.audit import source_address
from gis_app.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from gis_app.parsers import FormParser, MultiPartParser
from gis_app.roles import Action
from importers import jobs
from importers.models import ImportJob
from importers.pipeline import ImportOptions
from importers.policies import get_visible_job, visible_jobs

LIST_LIMIT = 50
_PRIVATE_OPTIONS = ("address", "upload", jobs.TASK_KEY)


def require_importer(request: Request) -> None:
    """Logged in, with a grant that may create components somewhere (surveyors, admins)."""
    if not request.user.is_authenticated:
        raise NotAuthenticated()
    if not access.can_anywhere(request.user, Action.CREATE):
        raise PermissionDenied(_("Your roles do not allow importing components."))


def job_data(job: ImportJob, request: Request | None = None) -> dict[str, Any]:
    """The JSON form of a job: state, progress, counts and (once finished) the report."""
    job = jobs.fail_if_stalled(job)
    report = dict(job.report or {})
    report.pop("progress", None)
    finished = job.status != "running"
    urls = {
        "self": reverse("import-detail", args=[job.pk]),
        "rejected": reverse("import-rejected", args=[job.pk]) if job.rejected_file else None,
        "commit": reverse("import-commit", args=[job.pk]) if jobs.committable(job) else None,
    }
    if request is not None:
        urls = {k: request.build_absolute_uri(v) if v else None for k, v in urls.items()}
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "state": "finished" if finished else jobs.progress_of(job)["stage"],
        "dry_run": job.dry_run,
        "file_name": job.file_name,
        "size": job.size,
        "sha256": job.sha256,
        "format": job.format,
        "user": job.username,
        "options": {k: v for k, v in (job.options or {}).items() if k not in _PRIVATE_OPTIONS},
        "commit_of": (job.options or {}).get("commit_of"),
        "progress": jobs.progress_of(job),
        "counts": {
            "rows": job.rows,
            "inserted": job.inserted,
            "updated": job.updated,
            "skipped": job.skipped,
            "rejected": job.rejected,
        },
        "error": job.error,
        "report": report if finished else None,
        "changeset": job.changeset_id,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "urls": urls,
    }


class ImportUploadSerializer(serializers.Serializer):
    """The upload form (multipart). ``mapping`` is the JSON text of a mapping (see
    ``importers.mapping``); ``class`` and ``name_field`` cover the one-class case."""

    file = serializers.FileField(help_text="the file: .shp set in a .zip, .gpkg, .geojson, ...")
    class_code = serializers.CharField(required=False, allow_blank=True, max_length=4)
    name_field = serializers.CharField(required=False, allow_blank=True, max_length=200)
    crs = serializers.CharField(required=False, allow_blank=True, max_length=64)
    encoding = serializers.CharField(required=False, allow_blank=True, max_length=32)
    mapping = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    layer = serializers.CharField(required=False, allow_blank=True, max_length=200)
    member = serializers.CharField(required=False, allow_blank=True, max_length=255)
    lon_field = serializers.CharField(required=False, allow_blank=True, max_length=200)
    lat_field = serializers.CharField(required=False, allow_blank=True, max_length=200)
    wkt_field = serializers.CharField(required=False, allow_blank=True, max_length=200)
    dry_run = serializers.BooleanField(default=True)
    skip_invalid = serializers.BooleanField(default=False)
    repair = serializers.BooleanField(default=False)
    on_duplicate = serializers.ChoiceField(choices=["update", "skip"], default="update")
    dedupe_metres = serializers.FloatField(default=1.0, min_value=0, max_value=1000)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["class"] = fields.pop("class_code")  # "class" is a Python keyword
        fields["class"].source = "class_code"
        return fields


def _first_error(errors: Any) -> tuple[str, str]:
    for name, messages in errors.items():
        message = messages[0] if isinstance(messages, list) else messages
        return name, str(message)
    return "", ""


class ImportListView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="imports_list",
        responses={200: OpenApiTypes.OBJECT},
        summary="Import jobs the user may see",
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        limit = params.limit(request.query_params, LIST_LIMIT, 500)
        rows = visible_jobs(request.user).order_by("-id")[:limit]
        return Response({"results": [job_data(job, request) for job in rows]})

    @extend_schema(
        operation_id="imports_create",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="invalid input")},
        summary="Upload a file and queue its import (a dry run unless dry_run=false)",
    )
    def post(self, request: Request) -> Response:
        require_importer(request)
        form = ImportUploadSerializer(data=request.data)
        if not form.is_valid():
            name, message = _first_error(form.errors)
            raise InvalidInput(message, field=name)
        data = form.validated_data
        options = ImportOptions(
            crs=data.get("crs") or None,
            encoding=data.get("encoding") or None,
            layer=data.get("layer") or None,
            member=data.get("member") or None,
            lon_field=data.get("lon_field") or None,
            lat_field=data.get("lat_field") or None,
            wkt_field=data.get("wkt_field") or None,
            dry_run=data["dry_run"],
            skip_invalid=data["skip_invalid"],
            repair=data["repair"],
            on_duplicate=data["on_duplicate"],
            dedupe_metres=data["dedupe_metres"],
            address=source_address(request),
        )
        job = jobs.submit(
            request.user,
            data["file"],
            raw_mapping=jobs.parse_mapping_text(data.get("mapping")),
            class_code=data.get("class_code"),
            name_field=data.get("name_field"),
            options=options,
        )
        response = Response(job_data(job, request), status=http.HTTP_202_ACCEPTED)
        response["Location"] = reverse("import-detail", args=[job.pk])
        return response


class ImportDetailView(APIView):
    @extend_schema(
        operation_id="imports_retrieve",
        responses={200: OpenApiTypes.OBJECT},
        summary="One import job",
    )
    def get(self, request: Request, pk: int) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        return Response(job_data(get_visible_job(request.user, pk), request))


class ImportCommitView(APIView):
    @extend_schema(
        operation_id="imports_commit",
        request=None,
        responses={202: OpenApiTypes.OBJECT, 409: OpenApiResponse(description="not committable")},
        summary="Queue the commit of a finished dry run (same file, same options)",
    )
    def post(self, request: Request, pk: int) -> Response:
        require_importer(request)
        dry = get_visible_job(request.user, pk)
        job = jobs.commit(request.user, dry)
        response = Response(job_data(job, request), status=http.HTTP_202_ACCEPTED)
        response["Location"] = reverse("import-detail", args=[job.pk])
        return response


class ImportRejectedView(APIView):
    @extend_schema(
        operation_id="imports_rejected_csv",
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        summary="The rejected rows as CSV (cells that look like formulas are prefixed with ')",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        job = get_visible_job(request.user, pk)
        if not job.rejected_file:
            raise NotFound()
        response = HttpResponse(jobs.safe_rejected_csv(job), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rejected.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
