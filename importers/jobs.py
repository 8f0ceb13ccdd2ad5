"""Imports as background jobs (the web page and the API; the command runs in the foreground).

``submit`` checks the upload, records an ``ImportJob`` (status ``running``, stage
``queued``), keeps the file under ``MEDIA_ROOT/imports/<job>/`` and queues the procrastinate
task ``importers.tasks.run_import_job`` in the same transaction, so the worker never sees a
job whose row is not committed. ``commit`` queues the commit of a finished dry run with the
same stored file and options. ``run_job`` (called by the task, in the worker) runs the
pipeline on the recorded job and writes its progress into ``job.report["progress"]``
until the pipeline stores the final report.

Progress: 0 while queued, up to 90 while rows are validated (rows done / rows in the file;
formats that cannot count their rows in advance report the rows done only), 95 while the
transaction loads, 100 when the job has finished (any status other than ``running``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path, PurePath
from typing import Any, Final

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_app import parsing
from gis_app.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied
from gis_app.types import User
from importers import outcomes, sql
from importers.mapping import Mapping, MappingError, parse_mapping, with_options
from importers.models import ImportJob, ImportStatus
from importers.pipeline import ImportOptions, ImportRun, execute_recorded, finish, sha256_of
from importers.readers import ARCHIVE_EXTENSIONS, supported_extensions

UPLOAD_DIR: Final = "imports"
QUEUED: Final = "queued"
# Cells a spreadsheet would evaluate as a formula (OWASP "CSV injection"): prefixed with '.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_OPTION_NAMES: Final = frozenset(f.name for f in fields(ImportOptions))
TASK_KEY: Final = "task"  # job.options: the procrastinate job id
# A worker sends a heartbeat every few seconds (procrastinate's default: 10 s).
STALLED_AFTER_S: Final = 120.0


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024))


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def upload_path(job: ImportJob) -> Path:
    relative = job.options.get("upload") or ""
    return Path(settings.MEDIA_ROOT) / relative


def _safe_name(name: str) -> str:
    """The upload's base name without directories or control characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable() and c not in '/\\:*?"<>|').strip(". ")
    return base[:200] or "upload"


# --- mapping and options from a form ------------------------------------------------------


def build_mapping(
    raw: dict[str, Any] | None, class_code: str | None, name_field: str | None
) -> Mapping:
    """The mapping of a request: the JSON ``mapping`` with ``class``/``name_field`` folded in
    (MappingError naming the field when something is wrong)."""
    mapping = parse_mapping(raw) if raw else Mapping()
    return with_options(mapping, class_code=class_code or None, name_field=name_field or None)


def parse_mapping_text(text: str | None) -> dict[str, Any] | None:
    if not text or not text.strip():
        return None
    data = parsing.loads(text, "mapping")
    if not isinstance(data, dict):
        raise InvalidInput(_("mapping must be a JSON object."), field="mapping")
    return data


def _request_record(
    raw: dict[str, Any] | None, class_code: str | None, name_field: str | None
) -> dict[str, Any]:
    return {"mapping": raw, "class": class_code or None, "name_field": name_field or None}


def _mapping_of(job: ImportJob) -> Mapping:
    request = job.options.get("request") or {}
    return build_mapping(request.get("mapping"), request.get("class"), request.get("name_field"))


def _options_of(job: ImportJob) -> ImportOptions:
    stored = {k: v for k, v in job.options.items() if k in _OPTION_NAMES}
    stored["address"] = job.options.get("address")
    return ImportOptions(**stored)


# --- submitting ---------------------------------------------------------------------------


def _check_upload(upload: UploadedFile | None) -> str:
    if upload is None:
        raise InvalidInput(_("Choose a file to import."), field="file")
    name = _safe_name(upload.name or "")
    size = upload.size or 0
    limit = max_upload_bytes()
    if size > limit:
        raise InvalidInput(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": _size(size), "limit": _size(limit)},
            field="file",
        )
    if size == 0:
        raise InvalidInput(_("The file is empty (0 bytes)."), field="file")
    accepted = [*supported_extensions(), *ARCHIVE_EXTENSIONS]
    if PurePath(name).suffix.lower() not in accepted:
        raise InvalidInput(
            _("Unsupported file type %(ext)s. Supported: %(list)s")
            % {"ext": PurePath(name).suffix or "-", "list": ", ".join(accepted)},
            field="file",
        )
    return name


def _store(upload: UploadedFile, target: Path) -> tuple[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as sink:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            sink.write(chunk)
    return digest.hexdigest(), size


def _defer(job: ImportJob) -> None:
    from importers.tasks import run_import_job

    task_id = run_import_job.defer(job_id=job.pk)
    job.options = {**job.options, TASK_KEY: task_id}
    ImportJob.objects.filter(pk=job.pk).update(options=job.options)


def fail_if_stalled(job: ImportJob) -> ImportJob:
    """A running job whose background task can no longer finish it (the task ended
    without finishing the job, or the worker doing it stopped sending heartbeats for
    ``STALLED_AFTER_S``) is marked failed, with a message saying to run it again; its
    commit, if one had started, was rolled back with the worker's connection. Called
    whenever someone looks at a running job. Other jobs are returned as they are."""
    task_id = (job.options or {}).get(TASK_KEY)
    if job.status != ImportStatus.RUNNING or not task_id:
        return job
    with transaction.atomic():
        # the lock makes a worker finishing right now wait, so a job that finishes is
        # never taken for a stalled one
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportStatus.RUNNING:
            return locked
        state = sql.task_state(int(task_id))
        if state.status in ("todo", "aborting"):
            return locked
        heartbeat = state.seconds_since_heartbeat
        if state.status == "doing" and heartbeat is not None and heartbeat < STALLED_AFTER_S:
            return locked
        locked.status = ImportStatus.FAILED
        locked.error = _(
            "The import stopped before it finished (its background worker stopped); "
            "nothing was imported. Run it again."
        )
        finish(locked, None)
        outcomes.announce(locked)
    return locked


def _queued_report() -> dict[str, Any]:
    return {"progress": {"stage": QUEUED, "done": 0, "total": None, "percent": 0}}


def submit(
    user: User,
    upload: UploadedFile | None,
    *,
    raw_mapping: dict[str, Any] | None,
    class_code: str | None,
    name_field: str | None,
    options: ImportOptions,
) -> ImportJob:
    """Record and queue an import of ``upload``; the job is returned queued."""
    if not user.is_authenticated:
        raise NotAuthenticated()
    name = _check_upload(upload)
    assert upload is not None
    try:
        mapping = build_mapping(raw_mapping, class_code, name_field)
    except MappingError as exc:
        raise InvalidInput(exc.message, field=exc.field or "mapping") from None
    ImportRun(Path(name), mapping, user, options)  # checks the options (on_duplicate, ...)
    options.file_name = name
    with transaction.atomic():
        job = ImportJob.objects.create(
            user=user,
            username=user.get_username(),
            file_name=name,
            sha256="",
            size=upload.size or 0,
            options={},
            dry_run=options.dry_run,
            report=_queued_report(),
        )
        relative = f"{UPLOAD_DIR}/{job.pk}/{name}"
        target = Path(settings.MEDIA_ROOT) / relative
        try:
            job.sha256, job.size = _store(upload, target)
        except OSError:
            shutil.rmtree(target.parent, ignore_errors=True)
            raise
        job.options = (
            options.as_dict()
            | {"mapping": mapping.as_dict(), "upload": relative, "address": options.address}
            | {"request": _request_record(raw_mapping, class_code, name_field)}
        )
        job.save(update_fields=["sha256", "size", "options"])
        _defer(job)
    return job


def committable(job: ImportJob) -> bool:
    """A finished dry run whose commit would load rows (what its report says)."""
    if not job.dry_run or job.status != ImportStatus.DRY_RUN:
        return False
    counts = (job.report or {}).get("counts") or {}
    loadable = counts.get("insert", 0) + counts.get("update", 0)
    return bool(loadable) and (not counts.get("error") or bool(job.options.get("skip_invalid")))


def commit(user: User, dry: ImportJob) -> ImportJob:
    """Queue the commit of the finished dry run ``dry`` (same file, same options)."""
    if not user.is_authenticated:
        raise NotAuthenticated()
    if dry.user_id != getattr(user, "pk", None):
        raise PermissionDenied(_("Only the user who ran the dry run can commit it."))
    with transaction.atomic():
        dry = ImportJob.objects.select_for_update().get(pk=dry.pk)
        if not dry.dry_run or dry.status != ImportStatus.DRY_RUN:
            raise Conflict(
                _("Only a finished dry run can be committed (this job is %(status)s).")
                % {"status": dry.get_status_display()}
            )
        if not committable(dry):
            raise Conflict(
                _(
                    "The dry run found nothing to load, or invalid rows without skip_invalid; "
                    "correct the file or upload it again with skip_invalid."
                )
            )
        earlier = (
            ImportJob.objects.filter(options__commit_of=dry.pk)
            .exclude(status__in=[ImportStatus.FAILED, ImportStatus.REFUSED])
            .first()
        )
        if earlier is not None:
            raise Conflict(
                _("This dry run is already committed or being committed (job %(job)s).")
                % {"job": earlier.pk},
                job=earlier.pk,
            )
        if not upload_path(dry).is_file():
            raise Conflict(_("The uploaded file is no longer kept; upload it again."))
        job = ImportJob.objects.create(
            user=user,
            username=user.get_username(),
            file_name=dry.file_name,
            sha256=dry.sha256,
            size=dry.size,
            format=dry.format,
            options=dry.options | {"dry_run": False, "commit_of": dry.pk},
            dry_run=False,
            report=_queued_report(),
        )
        _defer(job)
    return job


# --- running (in the worker) --------------------------------------------------------------


class _ProgressWriter:
    """Writes the pipeline's progress into the job row, at most every half second."""

    def __init__(self, job: ImportJob) -> None:
        self.job_id = job.pk
        self.last = 0.0

    def __call__(self, done: int, total: int | None, stage: str) -> None:
        now = timezone.now().timestamp()
        if stage == "validate" and now - self.last < 0.5 and done != total:
            return
        self.last = now
        if stage == "load":
            percent = 95
        elif total:
            percent = min(90, int(90 * done / total))
        else:
            percent = 5
        progress = {"stage": stage, "done": done, "total": total, "percent": percent}
        ImportJob.objects.filter(pk=self.job_id, status=ImportStatus.RUNNING).update(
            report={"progress": progress}
        )


def run_job(job_id: int) -> ImportJob | None:
    """Run the recorded job ``job_id`` (the body of the procrastinate task). A job that is
    no longer queued or running (a retried task) is left alone.

    How it ends is recorded by ``pipeline.execute_recorded``, as for the command, and
    announced through ``importers.outcomes`` (the command's foreground runs are not)."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.RUNNING or job.finished_at is not None:
        return None
    ImportJob.objects.filter(pk=job.pk).update(
        report={"progress": {"stage": "validate", "done": 0, "total": None, "percent": 1}}
    )
    options = _options_of(job)

    def make_run() -> ImportRun:
        path = upload_path(job)
        if not path.is_file():
            raise InvalidInput(_("The uploaded file is no longer kept; upload it again."))
        if sha256_of(path)[0] != job.sha256:
            raise InvalidInput(_("The uploaded file changed since it was checked; refused."))
        return ImportRun(path, _mapping_of(job), job.user, options, _ProgressWriter(job))

    try:
        return execute_recorded(job, make_run, address=options.address)
    finally:  # also when the run raised: execute_recorded recorded it as failed first
        outcomes.announce(job)


# --- reading ------------------------------------------------------------------------------


def progress_of(job: ImportJob) -> dict[str, Any]:
    if job.status != ImportStatus.RUNNING:
        return {"stage": "finished", "done": job.rows, "total": job.rows, "percent": 100}
    stored = (job.report or {}).get("progress") or {}
    return {
        "stage": stored.get("stage", QUEUED),
        "done": stored.get("done", 0),
        "total": stored.get("total"),
        "percent": int(stored.get("percent", 0)),
    }


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet will show as text, never evaluate."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def safe_rejected_csv(job: ImportJob) -> bytes:
    """The job's rejected rows as CSV (UTF-8 with BOM), every cell formula-neutralised."""
    with job.rejected_file.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    out = io.StringIO()
    writer = csv.writer(out)
    rows: Iterable[list[str]] = csv.reader(io.StringIO(text))
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")
