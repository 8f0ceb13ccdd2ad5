"""Urban components (部件): the catalog of classes, the components with their three-party
ownership, changesets and the history of every change.

Database guarantees (see migrations): valid geometry in EPSG:4490, a geometry type that
matches the class (trigger), a 16-digit identifier = county code + class code + serial,
unique, and gapless per county and class (``IdentifierCounter``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import F, Q
from django.db.models.functions import Cast, Concat, Left, LPad
from django.utils.translation import gettext_lazy as _

from gis_app.geometry_input import MAX_POSITIONS
from layers.models import SRID

# Size limits of a component's geometry unless its class says otherwise: an area a
# component (a square, a car park, a green patch) does not exceed, and enough vertices for
# a detailed outline.
DEFAULT_MAX_AREA_M2 = 1_000_000.0  # 1 km²
DEFAULT_MAX_VERTICES = 5_000


class GeometryKind(models.TextChoices):
    POINT = "point", _("Point")
    LINE = "line", _("Line")
    POLYGON = "polygon", _("Polygon")


# Geometry types accepted per kind (PostGIS GeometryType() names).
GEOMETRY_TYPES = {
    GeometryKind.POINT: ("POINT",),
    GeometryKind.LINE: ("LINESTRING", "MULTILINESTRING"),
    GeometryKind.POLYGON: ("POLYGON", "MULTIPOLYGON"),
}


class ComponentClass(models.Model):
    """A class of the catalog: 2-digit major classes and 4-digit minor classes (the ones
    components belong to). Local extension codes (e.g. 0127+, 9xxx) are allowed."""

    code = models.CharField(
        _("code"),
        max_length=4,
        unique=True,
        validators=[RegexValidator(r"^\d{2}(\d{2})?$", _("2 digits (major) or 4 (minor)."))],
    )
    major = models.ForeignKey(
        "self",
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="minors",
        verbose_name=_("major class"),
    )
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    geometry_kind = models.CharField(
        _("geometry"), max_length=16, choices=GeometryKind.choices, blank=True
    )
    attribute_schema = models.JSONField(
        _("attribute schema"),
        default=dict,
        blank=True,
        help_text=_("JSON Schema (draft 2020-12) of the class-specific attributes."),
    )
    accuracy_threshold_m = models.FloatField(
        _("GNSS accuracy threshold (m)"),
        default=1.0,
        validators=[MinValueValidator(0.01)],
        help_text=_("A survey with worse horizontal accuracy is flagged for review."),
    )
    default_public = models.BooleanField(
        _("public by default"),
        default=False,
        help_text=_(
            "Whether the class's map layer starts public; the layer registry decides after."
        ),
    )
    max_area_m2 = models.FloatField(
        _("maximum area (m²)"),
        default=DEFAULT_MAX_AREA_M2,
        validators=[MinValueValidator(1.0)],
        help_text=_(
            "A polygon of this class with a larger (geodesic) area is refused: API, imports."
        ),
    )
    max_vertices = models.PositiveIntegerField(
        _("maximum vertices"),
        default=DEFAULT_MAX_VERTICES,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_POSITIONS)],
        help_text=_("A line or polygon of this class with more vertices is refused."),
    )
    is_local = models.BooleanField(_("local extension"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("component class")
        verbose_name_plural = _("component classes")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(code__regex=r"^\d{2}$", major__isnull=True, geometry_kind="")
                    | (
                        Q(code__regex=r"^\d{4}$", major__isnull=False)
                        & ~Q(geometry_kind="")
                        & Q(major_id=Left("code", 2))
                    )
                ),
                name="componentclass_code_shape",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def is_minor(self) -> bool:
        return len(self.code) == 4


class ComponentStatus(models.TextChoices):
    GOOD = "good", _("Good")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")
    OCCUPIED = "occupied", _("Occupied")


class Currency(models.TextChoices):
    IN_USE = "in_use", _("In use")
    RETIRED = "retired", _("Retired")


class DataSource(models.TextChoices):
    MEASURED = "measured", _("Field-measured")
    TOPOGRAPHIC = "topographic", _("Topographic map")
    DIGITIZED = "digitized", _("Digitized")
    OTHER = "other", _("Other")
    # Values made up for the demo (not surveyed, not from a source): shown as such.
    GENERATED = "generated", _("Generated (demo)")


class GnssFix(models.TextChoices):
    NONE = "none", _("No fix")
    AUTONOMOUS = "autonomous", _("Autonomous GNSS")
    DGPS = "dgps", _("Differential (DGNSS)")
    RTK_FLOAT = "rtk_float", _("RTK float")
    RTK_FIXED = "rtk_fixed", _("RTK fixed")


class ComponentQuerySet(models.QuerySet["Component"]):
    def in_use(self) -> ComponentQuerySet:
        return self.filter(currency=Currency.IN_USE)

    def within_area(self, code: str) -> ComponentQuerySet:
        from gis_app import areacodes

        return self.filter(community__code__startswith=areacodes.prefix_of(code))

    def of_classes(self, codes: list[str]) -> ComponentQuerySet:
        return self.filter(component_class_id__in=codes)


class Component(models.Model):
    identifier = models.CharField(_("identifier"), max_length=16, unique=True)
    county_code = models.CharField(_("county code"), max_length=6)
    component_class = models.ForeignKey(
        ComponentClass,
        to_field="code",
        on_delete=models.PROTECT,
        related_name="components",
        verbose_name=_("class"),
        db_index=False,  # led by component_class_status (and never searched by LIKE)
    )
    serial = models.PositiveIntegerField(_("serial"))
    geometry = models.GeometryField(_("geometry"), srid=SRID)
    name = models.CharField(_("name"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ComponentStatus.choices, default=ComponentStatus.GOOD
    )
    currency = models.CharField(
        _("currency"), max_length=16, choices=Currency.choices, default=Currency.IN_USE
    )
    competent_department = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="competent_for",
        verbose_name=_("competent department"),
    )
    owner = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="owned_components",
        verbose_name=_("owner"),
    )
    maintainer = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="maintained_components",
        verbose_name=_("maintainer"),
    )
    community = models.ForeignKey(
        "layers.AdminArea",
        to_field="code",
        on_delete=models.PROTECT,
        related_name="components",
        verbose_name=_("community"),
    )
    grid_cell = models.ForeignKey(
        "layers.GridCell",
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="components",
        verbose_name=_("grid cell"),
        db_index=False,  # component_grid_cell below: a plain B-tree, no LIKE index
    )
    data_source = models.CharField(
        _("data source"), max_length=16, choices=DataSource.choices, default=DataSource.MEASURED
    )
    initial_date = models.DateField(_("initial date"))
    change_date = models.DateField(_("change date"))
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    gnss_fix = models.CharField(_("GNSS fix"), max_length=16, choices=GnssFix.choices, blank=True)
    gnss_accuracy_m = models.FloatField(_("horizontal accuracy (m)"), null=True, blank=True)
    gnss_satellites = models.PositiveSmallIntegerField(_("satellites"), null=True, blank=True)
    gnss_time = models.DateTimeField(_("GNSS time"), null=True, blank=True)
    gnss_device = models.CharField(_("GNSS device"), max_length=100, blank=True)
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_reason = models.CharField(_("review reason"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Where an imported component came from: the file (or job) and its row there, and the
    # source system's own key, used to recognise the same object in a later import.
    source_name = models.CharField(_("source file"), max_length=200, blank=True, db_default="")
    source_row = models.PositiveIntegerField(_("source row"), null=True, blank=True)
    source_key = models.CharField(_("source key"), max_length=100, blank=True, db_default="")
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ComponentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("component")
        verbose_name_plural = _("components")
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "component_class", "serial"], name="component_serial_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    identifier=Concat(
                        F("county_code"),
                        F("component_class_id"),
                        LPad(Cast("serial", models.CharField()), 6, models.Value("0")),
                    ),
                    county_code__regex=r"^\d{6}$",
                    serial__gte=1,
                    serial__lte=999999,
                    county_code=Left("community_id", 6),
                ),
                name="component_identifier_shape",
            ),
            models.CheckConstraint(
                condition=Q(geometry__isvalid=True), name="component_geometry_valid"
            ),
            models.CheckConstraint(
                condition=Q(gnss_accuracy_m__isnull=True) | Q(gnss_accuracy_m__gte=0),
                name="component_gnss_accuracy_nonnegative",
            ),
        ]
        # Every index is paid for on every insert (an import writes a million rows): the
        # foreign keys' own indexes serve community (also its LIKE prefix searches), owner
        # and maintainer; none is declared twice.
        indexes = [
            models.Index(fields=["component_class", "status"], name="component_class_status"),
            models.Index(fields=["grid_cell"], name="component_grid_cell"),
            # Per-class pages in id order (OGC items, keyset paging) over in-use rows.
            models.Index(
                fields=["component_class", "id"],
                name="component_class_id_in_use",
                condition=Q(currency="in_use"),
            ),
            models.Index(
                fields=["component_class", "source_key"],
                name="component_source_key",
                condition=~Q(source_key=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.name}".strip()


class IdentifierCounter(models.Model):
    """Last serial used per county and class. Incremented with an upsert inside the
    creating transaction: concurrent creators queue on the row lock, and a rolled-back
    creation rolls its increment back too, so serials have neither gaps nor duplicates."""

    county_code = models.CharField(max_length=6)
    class_code = models.CharField(max_length=4)
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["county_code", "class_code"], name="counter_unique"),
            models.CheckConstraint(condition=Q(last_serial__lte=999999), name="counter_max"),
        ]


class ComponentIdentifier(models.Model):
    """Every identifier in use, once. The components table is partitioned by id (a big
    import attaches its rows as a partition of their own: component_catalog migration
    0009, ``importers.sql``), and PostgreSQL keeps unique indexes per partition; this
    table's primary key makes identifiers unique across all partitions. Kept by a trigger
    on the components table, and by the import for the partition it attaches. Keyed by
    the identifier's number (16 digits: as unique, and compared faster than text)."""

    identifier = models.BigIntegerField(primary_key=True)  # the 16 digits as a number
    component_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.identifier:016d}"


class ChangesetSource(models.TextChoices):
    API = "api", _("API")
    UI = "ui", _("Map editor")
    IMPORT = "import", _("Import")
    DEMO = "demo", _("Demo loader")


class Changeset(models.Model):
    """A group of edits by one user with a comment (as in OpenStreetMap)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="changesets"
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=ChangesetSource.choices, default=ChangesetSource.API
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("changeset")
        verbose_name_plural = _("changesets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.comment}"


class HistoryAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    RETIRE = "retire", _("Retired")
    DELETE = "delete", _("Deleted")


class ComponentHistory(models.Model):
    """One row per accepted change: who, when, which changeset, what changed
    (``changes``: field -> [old, new]) and the state after the change (``snapshot``).
    Keyed by identifier, not a foreign key, so it outlives a hard delete."""

    # searched by identifier through history_version_unique (identifier, version)
    identifier = models.CharField(max_length=16)
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=HistoryAction.choices)
    changeset = models.ForeignKey(Changeset, on_delete=models.PROTECT, related_name="edits")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    time = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)
    snapshot = models.JSONField(default=dict)

    class Meta:
        ordering = ["identifier", "version"]
        constraints = [
            models.UniqueConstraint(fields=["identifier", "version"], name="history_version_unique")
        ]


class BulkCreation(models.Model):
    """The creation of the components with ids from ``first_id`` to ``last_id`` by one bulk
    load (an import partition), recorded once instead of once per component: while such a
    component is at version 1 its creation entry is its current state (``history_of`` and
    the reports read it so); the first change or deletion writes that entry out as an
    ordinary history row first (trigger ``component_bulk_creation_history``)."""

    changeset = models.ForeignKey(Changeset, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    time = models.DateTimeField()
    first_id = models.BigIntegerField(unique=True)
    last_id = models.BigIntegerField()

    class Meta:
        ordering = ["first_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_id__gte=models.F("first_id")), name="bulk_creation_range"
            )
        ]


def photo_path(instance: ComponentPhoto, filename: str) -> str:
    return f"components/{instance.component.identifier}/{instance.sha256[:16]}.{instance.extension}"


class ComponentPhoto(models.Model):
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path)
    sha256 = models.CharField(max_length=64)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(null=True, blank=True)
    exif_lon = models.FloatField(null=True, blank=True)
    exif_lat = models.FloatField(null=True, blank=True)
    caption = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["component", "sha256"], name="photo_unique_per_component"
            )
        ]


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a client sent with an edit (creation, update, move, retire,
    delete), the request's fingerprint and the answer it got: a retry of the same request
    (a surveyor's phone that lost the answer on a weak signal) gets that answer again
    instead of a second component or a conflict with its own edit."""

    class Operation(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        RETIRE = "retire"
        DELETE = "delete"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    operation = models.CharField(max_length=8, choices=Operation.choices, default=Operation.CREATE)
    identifier = models.CharField(max_length=16)
    request_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=201)
    # the feature as answered (None for a delete, and for creations remembered before
    # answers were kept: those replay the component as it is now)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="creation_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} -> {self.operation} {self.identifier}"
