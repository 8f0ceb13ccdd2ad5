"""Import pages: the upload form and a job page that follows the job through the API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from component_catalog.models import ComponentClass
from gis_app import access
from gis_app.audit import source_address
from gis_app.error_pages import domain_errors
from gis_app.errors import DomainError
from gis_app.roles import Action
from importers.jobs import fail_if_stalled, max_upload_bytes
from importers.policies import get_visible_job, visible_jobs
from importers.readers import ARCHIVE_EXTENSIONS, supported_extensions
from layers.area_import import forms as area_forms
from layers.models import AdminArea

# CRS choices of the form; any other EPSG code can be typed in.
CRS_CHOICES = [
    ("", "file"),  # what the file declares (.prj, metadata)
    ("EPSG:4490", "EPSG:4490 CGCS2000"),
    ("EPSG:4326", "EPSG:4326 WGS 84"),
    ("GCJ02", "GCJ-02"),
    ("BD09", "BD-09"),
    ("EPSG:4549", "EPSG:4549 CGCS2000 / 3-degree GK CM 120E"),
    ("EPSG:3857", "EPSG:3857 Web Mercator"),
]
ENCODINGS = ["", "UTF-8", "GB18030", "GBK"]


def _labels() -> dict[str, str]:
    """The strings the page's script shows, translated here (the script has no gettext)."""
    return {
        "queued": _("Queued"),
        "validate": _("Checking rows"),
        "load": _("Loading"),
        "finished": _("Finished"),
        "uploading": _("Uploading ..."),
        "failed_upload": _("The upload was refused"),
        "network": _("Network error; retrying ..."),
        "rows": _("rows"),
        "class": _("Class"),
        "insert": _("Insert"),
        "update": _("Update"),
        "skip": _("Skip"),
        "error": _("Error"),
        "row": _("Row"),
        "field": _("Field"),
        "message": _("Message"),
        "more_errors": _("errors in total; the first are listed"),
        "commit": _("Commit"),
        "committing": _("Commit queued ..."),
        "commit_job": _("Commit job"),
        "rejected": _("Download rejected rows (CSV)"),
        "crs": _("Coordinate system"),
        "encoding": _("Encoding"),
        "format": _("Format"),
        "no_errors": _("No errors."),
    }


def _require_importer(request: HttpRequest) -> None:
    if not access.can_anywhere(request.user, Action.CREATE):
        raise PermissionDenied


@login_required
@require_GET
def upload(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    classes = access.visible(request.user, ComponentClass.objects.order_by("code"))
    context: dict[str, Any] = {
        "classes": [c for c in classes if len(c.code) == 4],
        "crs_choices": CRS_CHOICES,
        "encodings": ENCODINGS,
        "accept": ",".join([*supported_extensions(), *ARCHIVE_EXTENSIONS]),
        "max_mb": max_upload_bytes() // (1024 * 1024),
        "jobs": visible_jobs(request.user).order_by("-id")[:20],
        "labels": _labels(),
        "may_import_areas": _may_import_areas(request),
    }
    return render(request, "importers/upload.html", context)


def _may_import_areas(request: HttpRequest) -> bool:
    return access.can_anywhere(request.user, Action.MANAGE, AdminArea)


@login_required
@require_http_methods(["GET", "POST"])
def areas(request: HttpRequest) -> HttpResponse:
    """Administrative areas and grid cells from a file: the same form and service as the
    admin's "Import from file". Run in the request (area files are small; the upload is
    limited to ``importers.areas.MAX_UPLOAD_BYTES``), the report shown on the page."""
    if not _may_import_areas(request):
        raise PermissionDenied
    posted = request.method == "POST"
    form = area_forms.AreaImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial={"level": request.GET.get("level", "community"), "dry_run": True},
    )
    context: dict[str, Any] = {"form": form, "may_import_areas": True}
    if posted and form.is_valid():
        try:
            report, read = area_forms.run(form, request.user, source_address(request))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            context.update(area_forms.report_context(report, read))
    status = 400 if posted and form.errors else 200
    return render(request, "importers/areas.html", context, status=status)


@login_required
@require_GET
@domain_errors("page")
def job(request: HttpRequest, pk: int) -> HttpResponse:
    item = fail_if_stalled(get_visible_job(request.user, pk))
    return render(request, "importers/job.html", {"job": item, "labels": _labels()})
