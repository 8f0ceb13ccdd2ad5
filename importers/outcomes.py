"""The outcome port of background imports: an app above ``importers`` (notifications, for
one) learns that a queued import finished or failed without ``importers`` importing it.

A listener subscribes in its ``AppConfig.ready()``; ``importers.jobs`` announces each job
that a background worker ended (finished, refused, failed, or found stalled). Listeners run
after the job's outcome is stored; one that raises is logged and never changes the job."""

from __future__ import annotations

import logging
from collections.abc import Callable

from importers.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)

Listener = Callable[[ImportJob], None]
_listeners: list[Listener] = []

# Statuses that mean the job did not do what it was asked.
FAILED_STATUSES = frozenset({ImportStatus.FAILED, ImportStatus.REFUSED})


def subscribe(listener: Listener) -> None:
    """Call ``listener(job)`` whenever a background import ends (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)


def announce(job: ImportJob) -> None:
    """Tell every listener that ``job`` ended; a job still running is not announced."""
    if job.status == ImportStatus.RUNNING:
        return
    for listener in list(_listeners):
        try:
            listener(job)
        except Exception:  # the import's outcome is recorded: a listener cannot undo it
            logger.exception("import outcome listener %r failed for job %s", listener, job.pk)
