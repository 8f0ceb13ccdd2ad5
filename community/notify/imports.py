"""Background imports tell their owner how they ended (``importers.outcomes``): a message
in the owner's inbox, and an email when the owner has an address. The text names the job
by number and its counts, never the file name (people name files after people)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from community.notify import services
from community.notify.models import Channel
from community.notify.texts import localized
from importers.models import ImportJob, ImportStatus
from importers.outcomes import FAILED_STATUSES

FINISHED = "import.finished"
FAILED = "import.failed"


def on_import_ended(job: ImportJob) -> None:
    """Notify the job's owner (subscribed in ``NotifyConfig.ready``)."""
    owner = job.user
    if owner is None:
        return
    failed = job.status in FAILED_STATUSES
    if failed:
        title = localized(_("Import job %(job)s failed"), job=job.pk)
        body = localized(
            _("Status: %(status)s. Nothing was imported. Open the job for the reason."),
            status=ImportStatus(job.status).label,
        )
    elif job.dry_run:
        title = localized(_("Dry run of import job %(job)s finished"), job=job.pk)
        body = localized(
            _("%(rows)s rows checked, %(rejected)s rejected. Open the job to commit it."),
            rows=job.rows,
            rejected=job.rejected,
        )
    else:
        title = localized(_("Import job %(job)s finished"), job=job.pk)
        body = localized(
            _(
                "Status: %(status)s. %(inserted)s added, %(updated)s updated, "
                "%(rejected)s rejected."
            ),
            status=ImportStatus(job.status).label,
            inserted=job.inserted,
            updated=job.updated,
            rejected=job.rejected,
        )
    services.send(
        [owner],
        FAILED if failed else FINISHED,
        title,
        body,
        link=reverse("importers:job", args=[job.pk]),
        channels={Channel.INBOX, Channel.EMAIL},
    )
