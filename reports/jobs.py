"""Report exports as background jobs (procrastinate, queue ``reports``).

``submit`` checks what it can at once (login, REPORT, area, kind, format, parameters:
the same 400/401/403/404 answers as the synchronous export), records a ``ReportJob``
(queued) and queues ``reports.tasks.run_report_job`` in the same transaction. ``run_job``
(in the worker) builds the report as the user who asked, in their language and under the
jobs' statement limit (``gis_app.timeouts``), writes its progress into the row and keeps
the file in it. Only the user who asked sees a job (others: 404).

Progress: 0 queued, 10 building the report's figures, 40 and up rendering (PDF: the map,
each chart, the layout), 100 done.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Final

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gis_app import timeouts
from gis_app.errors import Conflict, NotFound
from gis_app.types import User
from reports import exports, kinds, params, services
from reports.models import ReportJob, ReportJobStatus

QUEUE: Final = "reports"
KEEP_FOR: Final = dt.timedelta(days=1)
# The query parameters a job keeps (the rest are ignored, as by the synchronous export).
QUERY_KEYS: Final = ("area", "level", "metric", "classes", "n", "months", "as_of", "table")
# A worker sends a heartbeat every few seconds (procrastinate's default: 10 s).
STALLED_AFTER_S: Final = 120.0

log = logging.getLogger(__name__)


def _query_dict(query: dict[str, str]) -> QueryDict:
    result = QueryDict(mutable=True)
    result.update(query)
    return result


def submit(user: User, kind: str, fmt: str, query: Any) -> ReportJob:
    """Check and queue the export of report ``kind`` as ``fmt``; the job is returned queued."""
    kept = {k: str(query.get(k)) for k in QUERY_KEYS if query.get(k) not in (None, "")}
    request = params.parse(kind, _query_dict(kept))
    exports.check_format(fmt)
    services.check(user, request)
    exports.check_format(fmt, kinds.get(kind).formats)
    assert not isinstance(user, AnonymousUser)  # refused by services.check (401)
    from reports.tasks import run_report_job

    ReportJob.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()  # kept a day
    with transaction.atomic():
        job = ReportJob.objects.create(
            user=user,
            kind=kind,
            format=fmt,
            query=kept,
            language=translation.get_language() or "",
        )
        job.task_id = run_report_job.defer(job_id=job.pk)
        job.save(update_fields=["task_id"])
    return job


def visible_job(user: User, job_id: int) -> ReportJob:
    """The user's own job (anyone else's, or none: 404), failed if its worker stopped."""
    owner = getattr(user, "pk", None)
    job = ReportJob.objects.filter(pk=job_id, user_id=owner).first() if owner else None
    if job is None:
        raise NotFound(_("Report export %(id)s was not found.") % {"id": job_id}, field="id")
    return fail_if_stalled(job)


def fail_if_stalled(job: ReportJob) -> ReportJob:
    """A queued or running job whose task can no longer finish it (the task ended, or its
    worker stopped sending heartbeats) is marked failed, saying to ask again."""
    from importers.sql import task_state  # procrastinate's job table, read the same way

    if job.status not in (ReportJobStatus.QUEUED, ReportJobStatus.RUNNING) or not job.task_id:
        return job
    state = task_state(job.task_id)
    if state.status in ("todo", "aborting"):
        return job
    beat = state.seconds_since_heartbeat
    if state.status == "doing" and beat is not None and beat < STALLED_AFTER_S:
        return job
    with transaction.atomic():
        locked = ReportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (ReportJobStatus.QUEUED, ReportJobStatus.RUNNING):
            locked.status = ReportJobStatus.FAILED
            locked.error = _("The export stopped before it finished (its worker stopped).")
            locked.finished_at = timezone.now()
            locked.save(update_fields=["status", "error", "finished_at"])
    return locked


def file_of(job: ReportJob) -> tuple[bytes, str, str]:
    """The finished job's file, content type and name (409 while it is not done)."""
    if job.status != ReportJobStatus.DONE or job.content is None:
        raise Conflict(
            _("The export is not ready (%(status)s).") % {"status": job.get_status_display()},
            status=job.status,
        )
    return bytes(job.content), job.content_type, job.filename


class _Progress:
    """Writes a job's stage and percent into its row."""

    def __init__(self, job: ReportJob) -> None:
        self.job_id = job.pk

    def __call__(self, stage: str, percent: int) -> None:
        ReportJob.objects.filter(pk=self.job_id, status=ReportJobStatus.RUNNING).update(
            stage=stage, percent=percent
        )


def run_job(job_id: int) -> ReportJob | None:
    """Make the file of job ``job_id`` (the body of the task); a job no longer queued (a
    retried task) is left alone. Errors end the job failed with their message."""
    claimed = ReportJob.objects.filter(pk=job_id, status=ReportJobStatus.QUEUED).update(
        status=ReportJobStatus.RUNNING, stage="data", percent=10
    )
    if not claimed:
        return None
    job = ReportJob.objects.select_related("user").get(pk=job_id)
    progress = _Progress(job)
    with translation.override(job.language or None), timeouts.job_limit():
        try:
            request = params.parse(job.kind, _query_dict(job.query))
            report = services.build(job.user, request)
            file = exports.export(report, job.format, job.query.get("table"), progress)
        except Exception as exc:  # noqa: BLE001 (recorded on the job, which the user sees)
            message = getattr(exc, "message", None)
            if message is None:
                log.exception("report export %s failed", job_id)
                message = _("The export failed; ask again or narrow the report.")
            ReportJob.objects.filter(pk=job_id).update(
                status=ReportJobStatus.FAILED, error=str(message), finished_at=timezone.now()
            )
            return ReportJob.objects.get(pk=job_id)
    ReportJob.objects.filter(pk=job_id).update(
        status=ReportJobStatus.DONE,
        stage="done",
        percent=100,
        content=file.content,
        content_type=file.content_type,
        filename=file.filename,
        size=len(file.content),
        finished_at=timezone.now(),
    )
    return ReportJob.objects.get(pk=job_id)


def as_json(job: ReportJob) -> dict[str, Any]:
    """The job as the API shows it (with the URLs of its status and of its file)."""
    from django.urls import reverse

    done = job.status == ReportJobStatus.DONE
    return {
        "id": job.pk,
        "kind": job.kind,
        "format": job.format,
        "parameters": job.query,
        "status": job.status,
        "stage": job.stage,
        "percent": 100 if done else job.percent,
        "error": job.error or None,
        "filename": job.filename or None,
        "size": job.size if done else None,
        "url": reverse("report-job", kwargs={"job_id": job.pk}),
        "download": reverse("report-job-file", kwargs={"job_id": job.pk}) if done else None,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
