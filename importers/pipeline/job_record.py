"""The job's record around a run: the file's checksum, and the outcome stored on the
``ImportJob`` with one audit event per job."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.utils import timezone

from gis_app import audit
from gis_app.models import AuditResult
from importers.models import ImportJob, ImportStatus
from importers.pipeline.options import ERROR, INSERT, SKIP, UPDATE
from importers.report import Report


def sha256_of(path: Path) -> tuple[str, int]:
    """(SHA-256 hex digest, size in bytes) of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def finish(job: ImportJob, report: Report | None, *, address: str | None = None) -> None:
    """Store the job's outcome and audit it (one event per job)."""
    if report is not None:
        job.report = report.as_dict()
        totals = report.totals
        job.rows = totals["rows"]
        job.skipped = totals[SKIP]
        job.rejected = totals[ERROR]
        if job.status == ImportStatus.COMMITTED:
            job.inserted, job.updated = totals[INSERT], totals[UPDATE]
        elif job.status == ImportStatus.DRY_RUN:
            job.inserted = job.updated = 0
    job.finished_at = timezone.now()
    job.save()
    failed = job.status in (ImportStatus.FAILED, ImportStatus.REFUSED)
    audit.record(
        "import.dry_run" if job.dry_run else "import.commit",
        actor=job.user,
        obj=job,
        result=AuditResult.FAILURE if failed else AuditResult.SUCCESS,
        address=address,
        detail={
            "status": job.status,
            "file": job.file_name,
            "sha256": job.sha256,
            "rows": job.rows,
            "inserted": job.inserted,
            "updated": job.updated,
            "skipped": job.skipped,
            "rejected": job.rejected,
            "changeset": job.changeset_id,
            **({"reason": job.error[:500]} if job.error else {}),
        },
    )
