"""Base layers of the layered geographic database: buildings and generic base features
(roads, rivers, water bodies, green space), with their edit history.

Buildings feed two registry layers: ``buildings`` (footprint, name and address; public)
and ``building-details`` (floors, use, housing units, year built; staff only). Base
features feed ``roads``, ``rivers`` (rivers and water bodies) and ``green-space``.

Both carry an integer ``version`` and are edited under the component rules (name the
version you started from, 409 when stale, one history row per accepted edit). History is
keyed by a stable object key (``building:123``, ``feature:45``), not a foreign key, so it
outlives a deletion.

Database guarantees: valid geometry, SRID 4490 (column type), version >= 1, floors 1-200,
housing units >= 0, and a base feature's geometry type matching its kind (lines for roads
and rivers, polygons for water and green space).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.db.models.lookups import In
from django.utils.translation import gettext_lazy as _

from layers.models import SRID, AdminArea, AreaLevel

LINE_TYPES = ("LINESTRING", "MULTILINESTRING")
POLYGON_TYPES = ("POLYGON", "MULTIPOLYGON")


class GeometryTypeOf(models.Func):
    """PostGIS ``GeometryType(geom)``: 'LINESTRING', 'MULTIPOLYGON' ..."""

    function = "GeometryType"
    output_field = models.CharField()


class BuildingUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")  # 住宅
    COMMERCIAL = "commercial", _("Commercial")  # 商业
    OFFICE = "office", _("Office")  # 办公
    PUBLIC = "public", _("Public service")  # 公共服务
    INDUSTRIAL = "industrial", _("Industrial")  # 工业
    MIXED = "mixed", _("Mixed use")  # 混合
    OTHER = "other", _("Other")  # 其他


class BaseFeatureKind(models.TextChoices):
    ROAD = "road", _("Road")
    RIVER = "river", _("River")
    WATER = "water", _("Water body")
    GREEN = "green", _("Green space")


LINE_KINDS = (BaseFeatureKind.ROAD, BaseFeatureKind.RIVER)
POLYGON_KINDS = (BaseFeatureKind.WATER, BaseFeatureKind.GREEN)
# Registry layer (layers.Layer.code) of each base-feature kind.
LAYER_OF_KIND: dict[str, str] = {
    BaseFeatureKind.ROAD: "roads",
    BaseFeatureKind.RIVER: "rivers",
    BaseFeatureKind.WATER: "rivers",
    BaseFeatureKind.GREEN: "green-space",
}
BUILDINGS_LAYER = "buildings"
BUILDING_DETAILS_LAYER = "building-details"


class BuildingQuerySet(models.QuerySet["Building"]):
    def within_area(self, code: str) -> BuildingQuerySet:
        from gis_app import areacodes

        return self.filter(community__code__startswith=areacodes.prefix_of(code))


class Building(models.Model):
    """A building footprint with its address and (restricted) details."""

    geometry = models.MultiPolygonField(_("footprint"), srid=SRID)
    name = models.CharField(_("name"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    floors = models.PositiveSmallIntegerField(
        _("floors above ground"), null=True, blank=True, help_text=_("1-200; empty if unknown.")
    )
    use = models.CharField(
        _("use"), max_length=16, choices=BuildingUse.choices, default=BuildingUse.OTHER
    )
    units_count = models.PositiveIntegerField(
        _("housing units"), default=0, help_text=_("Dwellings in the building.")
    )
    build_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    community = models.ForeignKey(
        AdminArea,
        to_field="code",
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"level": AreaLevel.COMMUNITY},
        verbose_name=_("community"),
        help_text=_("Derived from the footprint (its point on surface)."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = BuildingQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.CheckConstraint(condition=Q(geometry__isvalid=True), name="building_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="building_version"),
            models.CheckConstraint(
                condition=Q(floors__isnull=True) | Q(floors__gte=1, floors__lte=200),
                name="building_floors_range",
            ),
            models.CheckConstraint(condition=Q(units_count__gte=0), name="building_units"),
            models.CheckConstraint(
                condition=Q(build_year__isnull=True) | Q(build_year__gte=1, build_year__lte=2100),
                name="building_build_year",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.address or self.key

    @property
    def key(self) -> str:
        return f"building:{self.pk}"


class BaseFeatureQuerySet(models.QuerySet["BaseFeature"]):
    def of_kinds(self, kinds: list[str]) -> BaseFeatureQuerySet:
        return self.filter(kind__in=kinds)

    def within_area(self, code: str) -> BaseFeatureQuerySet:
        from gis_app import areacodes

        return self.filter(community__code__startswith=areacodes.prefix_of(code))


class BaseFeature(models.Model):
    """A road, river, water body or green space. A road or river crosses several
    communities: ``community`` is the one holding its point on surface (or none)."""

    kind = models.CharField(_("kind"), max_length=16, choices=BaseFeatureKind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    geometry = models.GeometryField(_("geometry"), srid=SRID)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    community = models.ForeignKey(
        AdminArea,
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="base_features",
        limit_choices_to={"level": AreaLevel.COMMUNITY},
        verbose_name=_("community"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = BaseFeatureQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("base feature")
        verbose_name_plural = _("base features")
        indexes = [models.Index(fields=["kind", "id"], name="basefeature_kind_id")]
        constraints = [
            models.CheckConstraint(condition=Q(geometry__isvalid=True), name="basefeature_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="basefeature_version"),
            models.CheckConstraint(
                condition=(
                    Q(In(GeometryTypeOf("geometry"), list(LINE_TYPES)), kind__in=LINE_KINDS)
                    | Q(In(GeometryTypeOf("geometry"), list(POLYGON_TYPES)), kind__in=POLYGON_KINDS)
                ),
                name="basefeature_geometry_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.key

    @property
    def key(self) -> str:
        return f"feature:{self.pk}"

    @property
    def layer_code(self) -> str:
        return LAYER_OF_KIND[self.kind]


class BaseHistoryAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")


class BaseHistory(models.Model):
    """One row per accepted change of a building or base feature: who, when, what
    (``changes``: field -> [old, new]) and why (``comment``)."""

    layer = models.CharField(_("layer"), max_length=64)
    object_key = models.CharField(_("object"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    action = models.CharField(_("action"), max_length=16, choices=BaseHistoryAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    time = models.DateTimeField(_("time"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=dict)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["object_key", "version"]
        verbose_name = _("base-layer history")
        verbose_name_plural = _("base-layer history")
        constraints = [
            models.UniqueConstraint(
                fields=["object_key", "version"], name="basehistory_version_unique"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="basehistory_version"),
        ]

    def __str__(self) -> str:
        return f"{self.object_key} v{self.version} {self.action}"
