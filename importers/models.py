"""A record of every import run (dry run or commit): who, which file (checksum), with which
options, what happened (the report) and the rows that were rejected (a CSV download)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DRY_RUN = "dry_run", _("Dry run")
    COMMITTED = "committed", _("Committed")
    NOTHING = "nothing", _("Nothing to import")  # every row skipped (duplicates, unmapped)
    FAILED = "failed", _("Failed")  # the database refused the load; everything rolled back
    REFUSED = "refused", _("Refused")  # the file or its rows were refused before loading


def rejected_path(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.created_at:%Y/%m}/{instance.pk}-rejected.csv"


class ImportJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="import_jobs",
        verbose_name=_("user"),
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"))
    format = models.CharField(_("format"), max_length=32, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    error = models.TextField(_("reason"), blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    inserted = models.PositiveIntegerField(_("inserted"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    rejected_file = models.FileField(_("rejected rows (CSV)"), upload_to=rejected_path, blank=True)
    changeset = models.ForeignKey(
        "component_catalog.Changeset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changeset"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.status})"
