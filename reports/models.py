"""A report export run in the background (``reports.jobs``): who asked for what, how far
it got, and the file it made (kept in the row; old jobs are deleted after a day)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReportJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_jobs",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("report"), max_length=32)
    format = models.CharField(_("format"), max_length=8)
    query = models.JSONField(_("parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ReportJobStatus.choices, default=ReportJobStatus.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=32, default="queued")
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("reason"), blank=True)
    task_id = models.BigIntegerField(_("task"), null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    content = models.BinaryField(_("file"), null=True, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}.{self.format} ({self.status})"
