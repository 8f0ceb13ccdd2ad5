"""Matters (事项) and service requests (工单): the event-class catalog with its flows, the
requests, their timelines and routing decisions (DESIGN.md section 14)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

SRID = 4490  # CGCS2000


class Kind(models.TextChoices):
    APPROVAL = "approval", _("Approval")
    SERVICE = "service", _("Service")
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    TASK = "task", _("Task")


class Flow(models.Model):
    """A flow definition (``flows.py`` describes the JSON): states, transitions and who
    may take each."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    definition = models.JSONField(_("definition"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("flow")
        verbose_name_plural = _("flows")

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"


class EventClass(models.Model):
    """A class of matter or event: its kind, deadlines, routing rule, visibility, the
    attributes a request must carry (JSON Schema) and, for government service matters, the
    guide (conditions, materials, time limit, fees, forms). Versioned: changes go through
    the edit module and leave a history."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    major = models.CharField(_("major class"), max_length=8, blank=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    sla_accept_hours = models.PositiveIntegerField(_("hours to accept"))
    sla_resolve_hours = models.PositiveIntegerField(_("hours to resolve"))
    routing = models.JSONField(_("routing rule"), default=dict)
    public = models.BooleanField(_("public"), default=True)
    attribute_schema = models.JSONField(_("required attributes"), default=dict, blank=True)
    guide = models.JSONField(_("guide"), default=dict, blank=True)
    component_class = models.ForeignKey(
        "component_catalog.ComponentClass",
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("component class"),
    )
    flow = models.ForeignKey(
        Flow,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the standard flow of the kind."),
    )
    selectable = models.BooleanField(_("selectable"), default=True)
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("event class")
        verbose_name_plural = _("event classes")
        constraints = [
            models.CheckConstraint(
                condition=Q(sla_accept_hours__lte=models.F("sla_resolve_hours")),
                name="matters_eventclass_sla_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class EventClassHistory(models.Model):
    event_class = models.ForeignKey(EventClass, on_delete=models.CASCADE, related_name="history")
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    time = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["event_class", "version"]


class Source(models.TextChoices):
    RESIDENT_WEB = "resident_web", _("Resident (web)")
    OPEN311 = "open311", _("Open311 client")
    HOTLINE = "hotline", _("Hotline entry")
    GRID_PATROL = "grid_patrol", _("Grid-worker patrol")
    DEVICE = "device", _("Device alarm")


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    INSPECTED = "inspected", _("Inspected")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")
    REOPENED = "reopened", _("Reopened")


FINAL_STATES = (State.CLOSED, State.REJECTED, State.MERGED)


class ServiceRequest(models.Model):
    """A request (工单): where, what, who reported it (sealed; masks kept for display),
    its state in the class's flow, where it is routed and by when it is due."""

    tracking_code = models.CharField(_("tracking code"), max_length=24, unique=True)
    event_class = models.ForeignKey(
        EventClass, on_delete=models.PROTECT, related_name="requests", verbose_name=_("class")
    )
    place = models.PointField(_("place"), srid=SRID)
    component = models.ForeignKey(
        "component_catalog.Component",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # components are partitioned (no unique id across partitions)
    )
    text = models.TextField(_("text"), blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    contact_sealed = models.TextField(blank=True)
    contact_name_masked = models.CharField(max_length=50, blank=True)
    contact_phone_masked = models.CharField(max_length=32, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, db_index=True)
    community = models.ForeignKey(
        "layers.AdminArea", to_field="code", on_delete=models.PROTECT, related_name="+"
    )
    grid_cell = models.ForeignKey(
        "layers.GridCell",
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organization = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("routed organization"),
    )
    accept_due = models.DateTimeField(_("accept by"))
    resolve_due = models.DateTimeField(_("resolve by"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"),
        default=0,
        help_text=_("0: not escalated; 1: escalated to the street; 2: to the district."),
    )
    idempotency_key = models.CharField(max_length=64, blank=True)
    request_sha256 = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="matters_request_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="matters_request_rating_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "state"]),
            models.Index(fields=["organization", "state"]),
        ]

    def __str__(self) -> str:
        return self.tracking_code


class TimelineEntry(models.Model):
    """One step of a request: who, when, from and to which state, the note and photos.
    It is the request's history row in the edit module."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="timeline")
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=16)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    by_reporter = models.BooleanField(default=False)
    time = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    photos = models.JSONField(default=list, blank=True)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["request", "version", "id"]


class RoutingRule(models.TextChoices):
    MAINTAINER = "maintainer", _("The component's maintainer")
    STEWARD = "steward", _("The steward of the class's layer")
    COMMUNITY_OFFICE = "community_office", _("The community office")
    DISPATCHER = "dispatcher", _("A dispatcher's choice")


class RoutingDecision(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="routing")
    organization = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(max_length=16, choices=RoutingRule.choices)
    reason = models.CharField(max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    time = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "time", "id"]


def photo_path(instance: RequestPhoto, filename: str) -> str:
    return f"requests/{instance.request.tracking_code}/{instance.sha256[:16]}.{instance.extension}"


class RequestPhoto(models.Model):
    """A photo of a request, from the reporter (by tracking code) or from staff (the
    handler's proof of the work); checked like component photos (type by content, size,
    pixels; EXIF position and time read)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path)
    sha256 = models.CharField(max_length=64)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(null=True, blank=True)
    exif_lon = models.FloatField(null=True, blank=True)
    exif_lat = models.FloatField(null=True, blank=True)
    by_reporter = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "sha256"], name="matters_photo_unique")
        ]


class DeadlineNotice(models.Model):
    """One reminder (催办, level 0) or escalation (督办, level n: the n-th area up from the
    community) sent for one deadline (``stage``: accept or resolve) of a request. The
    unique constraint is the bookkeeping that keeps the periodic job idempotent: each
    level of each deadline is sent once, however often or concurrently the job runs."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="deadline_notices"
    )
    stage = models.CharField(max_length=8)
    level = models.PositiveSmallIntegerField()
    due = models.DateTimeField()
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["request", "stage", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "stage", "level"], name="matters_deadline_notice_once"
            )
        ]


from community.matters.open311.models import ClientApplication, Open311Submission  # noqa: E402, F401
