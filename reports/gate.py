"""What a report export answered in the request may cost: at most
``REPORTS_SYNC_MAX_AREAS`` area rows, and, for the PDF (rendered with matplotlib and
reportlab, the slow part), at most ``REPORTS_SYNC_EXPORT_SLOTS`` renderings at once in the
whole deployment. The slots are PostgreSQL advisory locks, so every web process shares them
and a crashed one frees its slot with its connection. A request beyond these limits is
answered at once (400 or 503) with the way out: the background export (``reports.jobs``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status

from gis_app.errors import DomainError, InvalidInput
from reports import sql
from reports.model import Report

# Formats whose rendering is slow enough to need a slot (measured: bench/reports.py).
SLOW_FORMATS = frozenset({"pdf"})


class ExportBusy(DomainError):
    """Every synchronous export slot is taken."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "busy"


def max_areas() -> int:
    return int(getattr(settings, "REPORTS_SYNC_MAX_AREAS", 60))


def slots() -> int:
    return max(1, int(getattr(settings, "REPORTS_SYNC_EXPORT_SLOTS", 1)))


def check_size(report: Report) -> None:
    """A report with more area rows than a request may export: 400 naming ``area``."""
    rows = len(report.areas.rows)
    if rows > max_areas():
        raise InvalidInput(
            _(
                "This report has %(rows)d areas; files of more than %(limit)d areas are made "
                "by the background export (POST to the same URL)."
            )
            % {"rows": rows, "limit": max_areas()},
            field="area",
        )


@contextmanager
def export_slot(fmt: str) -> Iterator[None]:
    """Hold a synchronous export slot while a slow format renders (503 when none is free)."""
    if fmt not in SLOW_FORMATS:
        yield
        return
    taken = next((slot for slot in range(slots()) if sql.try_export_slot(slot)), None)
    if taken is None:
        raise ExportBusy(
            _(
                "The server is making other report files right now. Try again in a moment, "
                "or use the background export (POST to the same URL)."
            ),
            retry_after=10,
        )
    try:
        yield
    finally:
        sql.release_export_slot(taken)
