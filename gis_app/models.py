"""Core data: organizations, memberships (user x organization x role x scope), audit log."""

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Left
from django.utils.translation import gettext_lazy as _

from gis_app import areacodes
from gis_app.roles import GRID_CELL_ROLES, ROLE_AREA_LEVEL, Role


class OrganizationKind(models.TextChoices):
    GOVERNMENT = "government", _("Government department")
    UTILITY = "utility", _("Utility company")
    PROPERTY_MANAGEMENT = "property_management", _("Property-management company")
    SOCIAL = "social", _("Social organization")
    SERVICE_PROVIDER = "service_provider", _("Service provider")


class Organization(models.Model):
    """A party that is competent for, owns or maintains components, or employs users."""

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-Za-z_-]+$", _("Letters, digits, - and _ only."))],
        help_text=_("Unified social credit code or an internal code."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    area = models.ForeignKey(
        "layers.AdminArea",
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name=_("home area"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in an organization, scoped to an area subtree (or to one grid cell)
    and optionally to classes.

    A membership scoped to a grid cell keeps the cell's community as its ``area`` (a
    database check), so whatever sorts memberships by area (who administers whom) works
    unchanged; its grant covers the cell only (``access.Grant``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    area = models.ForeignKey(
        "layers.AdminArea",
        to_field="code",
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("area scope"),
    )
    grid_cell = models.ForeignKey(
        "layers.GridCell",
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("grid cell scope"),
        help_text=_(
            "Narrows the scope to one grid cell of the area (required for a grid worker); "
            "the area is then the cell's community."
        ),
    )
    class_codes = ArrayField(
        models.CharField(max_length=4, validators=[RegexValidator(r"^\d{4}$")]),
        default=list,
        blank=True,
        verbose_name=_("component-class scope"),
        help_text=_("4-digit component class codes; empty means all classes."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role", "area"],
                condition=Q(grid_cell__isnull=True),
                name="membership_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "organization", "role", "grid_cell"],
                condition=Q(grid_cell__isnull=False),
                name="membership_unique_cell",
            ),
            # a cell's code starts with its community's: the area is the cell's community
            models.CheckConstraint(
                condition=Q(grid_cell__isnull=True)
                | Q(area_id=Left("grid_cell_id", areacodes.LEVEL_CODE_LENGTH["community"])),
                name="membership_cell_in_area",
            ),
            # a grid worker without a cell would see its whole community
            models.CheckConstraint(
                condition=~Q(role=Role.GRID_WORKER) | Q(grid_cell__isnull=False),
                name="membership_grid_worker_cell",
            ),
        ]

    def __str__(self) -> str:
        scope = self.grid_cell_id or self.area_id
        return f"{self.user} · {self.get_role_display()} · {scope}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._area_from_cell()
        super().save(*args, **kwargs)

    def _area_from_cell(self) -> None:
        """A membership naming a grid cell and no area is scoped to the cell's community."""
        if self.grid_cell_id and not self.area_id:
            self.area_id = str(self.grid_cell_id)[: areacodes.LEVEL_CODE_LENGTH["community"]]

    def clean_fields(self, exclude: Any = None) -> None:
        self._area_from_cell()
        super().clean_fields(exclude)

    def clean(self) -> None:
        """The scope fits the role: a grid worker names a grid cell, a cell is given only
        to the roles that may have one and lies in the area (an empty area becomes the
        cell's community), and an area-level role has an area at its level."""
        self._area_from_cell()  # a form leaves an empty area out of ``clean_fields``
        errors: dict[str, str] = {}
        required = ROLE_AREA_LEVEL.get(self.role)
        cell = self.grid_cell_id
        if cell:
            community = str(cell)[: areacodes.LEVEL_CODE_LENGTH["community"]]
            if self.role not in GRID_CELL_ROLES:
                errors["grid_cell"] = str(
                    _("This role covers whole areas: leave the grid cell empty.")
                )
            elif self.area_id and self.area_id != community:
                errors["area"] = str(
                    _("The area must be the grid cell's community (%(code)s).")
                    % {"code": community}
                )
        if not self.area_id and "area" not in errors:
            errors["area"] = str(_("Choose an area or a grid cell."))
        if required == "grid":
            if not cell:
                errors["grid_cell"] = str(_("This role needs a grid cell."))
        elif required and self.area_id and areacodes.level_of(self.area_id) != required:
            errors["area"] = str(
                _("This role needs an area at level %(level)s.")
                % {"level": areacodes.LEVEL_LABELS[required]}
            )
        if errors:
            raise ValidationError(errors)


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("success")
    DENIED = "denied", _("denied")
    FAILURE = "failure", _("failure")


class AuditEvent(models.Model):
    """Append-only record of who did what. UPDATE, DELETE and TRUNCATE are refused by
    database triggers (migration 0002), so no code path can rewrite history."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # No foreign key: deleting a user must not touch audit rows.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=AuditResult.choices)
    source_address = models.GenericIPAddressField(_("source address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["action", "result", "time"], name="audit_action_result_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"
