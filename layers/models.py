"""The administrative hierarchy (city / district / street / community) and grid cells.

Boundaries are stored in CGCS2000 (EPSG:4490). The hierarchy is by code prefix
(see ``gis_app.areacodes``); ``parent`` is kept as well for plain joins.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.db.models import Q, Value
from django.db.models.functions import Concat, Left
from django.utils.translation import gettext_lazy as _

from gis_app import areacodes

SRID = 4490  # CGCS2000


class AreaLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")


class AdminAreaQuerySet(models.QuerySet["AdminArea"]):
    def at_level(self, level: str) -> AdminAreaQuerySet:
        return self.filter(level=level)

    def containing(self, point: Point) -> AdminAreaQuerySet:
        """Areas whose boundary covers the point (a point on a shared edge is in both)."""
        return self.filter(boundary__covers=point)

    def descendants_of(self, code: str) -> AdminAreaQuerySet:
        """All areas below ``code`` (not the area itself), by code prefix."""
        return self.filter(code__startswith=areacodes.prefix_of(code)).exclude(code=code)

    def ancestors_of(self, code: str) -> AdminAreaQuerySet:
        return self.filter(code__in=areacodes.ancestors_of(code))


class ImportedArea(models.Model):
    """What an area or grid cell keeps of its imports (``layers.area_import``): the source's
    own code, and a version with who created and last changed it."""

    source_code = models.CharField(
        _("source code"),
        max_length=64,
        blank=True,
        db_default="",
        help_text=_("The code the source file gave, when it was not a standard code."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class AdminArea(ImportedArea):
    code = models.CharField(_("code"), max_length=12, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=SRID)
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Anonymous users may see this area.")
    )

    objects = AdminAreaQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level="city", code__regex=r"^\d{2}(0[1-9]|[1-9]\d)00$", parent__isnull=True)
                    | Q(level="district", code__regex=r"^\d{4}(0[1-9]|[1-9]\d)$")
                    | Q(level="street", code__regex=r"^\d{9}$")
                    | Q(level="community", code__regex=r"^\d{12}$")
                ),
                name="adminarea_code_matches_level",
            ),
            # The parent is the area whose code the child's code extends.
            models.CheckConstraint(
                condition=(
                    Q(level="city")
                    | Q(
                        level="district",
                        parent__isnull=False,
                        parent_id=Concat(Left("code", 4), Value("00")),
                    )
                    | Q(level="street", parent__isnull=False, parent_id=Left("code", 6))
                    | Q(level="community", parent__isnull=False, parent_id=Left("code", 9))
                ),
                name="adminarea_parent_matches_code",
            ),
            models.CheckConstraint(
                condition=Q(boundary__isvalid=True), name="adminarea_boundary_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        return areacodes.prefix_of(self.code)


class GridCellQuerySet(models.QuerySet["GridCell"]):
    def containing(self, point: Point) -> GridCellQuerySet:
        return self.filter(boundary__covers=point)

    def within_area(self, code: str) -> GridCellQuerySet:
        return self.filter(code__startswith=areacodes.prefix_of(code))


class GridCell(ImportedArea):
    """单元网格: the smallest management unit, inside one community (GB/T 30428)."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    community = models.ForeignKey(
        AdminArea,
        to_field="code",
        on_delete=models.PROTECT,
        related_name="grid_cells",
        limit_choices_to={"level": AreaLevel.COMMUNITY},
        verbose_name=_("community"),
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=SRID)

    objects = GridCellQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid cell")
        verbose_name_plural = _("grid cells")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^\d{15}$", community_id=Left("code", 12)),
                name="gridcell_code_in_community",
            ),
            models.CheckConstraint(
                condition=Q(boundary__isvalid=True), name="gridcell_boundary_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.code}"


class AreaHistory(models.Model):
    """One row per accepted change of an administrative area or grid cell (imports):
    who, when, what (``changes``: field -> [old, new]), why (``comment``), and the boundary
    as it was after the change, so every version of a boundary is kept."""

    kind = models.CharField(
        _("kind"), max_length=16, choices=[("area", _("Area")), ("grid", _("Grid cell"))]
    )
    code = models.CharField(_("code"), max_length=15, db_index=True)
    version = models.PositiveIntegerField(_("version"))
    action = models.CharField(_("action"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    time = models.DateTimeField(_("time"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=dict)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    boundary = models.MultiPolygonField(_("boundary"), srid=SRID, null=True, blank=True)

    class Meta:
        ordering = ["kind", "code", "version"]
        verbose_name = _("area history")
        verbose_name_plural = _("area history")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code", "version"], name="areahistory_version_unique"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="areahistory_version"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} {self.action}"


class LayerKind(models.TextChoices):
    ADMIN_AREA = "admin_area", _("Administrative areas")
    GRID_CELL = "grid_cell", _("Grid cells")
    BUILDING = "building", _("Buildings")
    BASE_FEATURE = "base_feature", _("Base features")
    COMPONENT = "component", _("Components")
    RASTER = "raster", _("Raster")


class LayerQuerySet(models.QuerySet["Layer"]):
    def active(self) -> LayerQuerySet:
        return self.filter(active=True)

    def for_component_class(self, class_code: str) -> LayerQuerySet:
        return self.filter(kind=LayerKind.COMPONENT, source=class_code)


class Layer(models.Model):
    """One map layer of the layered geographic database: what it holds, how it is drawn,
    how often it should be updated, and whether anonymous users may see it."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=LayerKind.choices)
    source = models.CharField(
        _("source"),
        max_length=32,
        blank=True,
        help_text=_("Component class code, base-feature kind or raster name the layer shows."),
    )
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    geometry_kind = models.CharField(
        _("geometry"),
        max_length=16,
        choices=[
            ("point", _("Point")),
            ("line", _("Line")),
            ("polygon", _("Polygon")),
            ("raster", _("Raster")),
        ],
    )
    style = models.JSONField(
        _("style"),
        default=dict,
        blank=True,
        help_text=_('e.g. {"color": "#1f77b4", "icon": "toilet"}'),
    )
    min_zoom = models.PositiveSmallIntegerField(_("minimum zoom"), default=10)
    max_zoom = models.PositiveSmallIntegerField(_("maximum zoom"), default=22)
    update_interval_days = models.PositiveIntegerField(
        _("expected update interval (days)"), default=365
    )
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Anonymous users may see this layer.")
    )
    sort_order = models.IntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    objects = LayerQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("layer")
        verbose_name_plural = _("layers")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_zoom__lte=models.F("max_zoom"), max_zoom__lte=24),
                name="layer_zoom_range",
            ),
            models.UniqueConstraint(
                fields=["kind", "source"],
                condition=Q(kind__in=["component", "base_feature", "raster"]),
                name="layer_one_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"


class StewardRole(models.TextChoices):
    COLLECT = "collect", _("Collection")
    MAINTAIN = "maintain", _("Maintenance")


class StewardshipQuerySet(models.QuerySet["Stewardship"]):
    def effective_for(self, layer_id: int, area_code: str, role: str) -> Stewardship | None:
        """The stewardship closest up the area tree from ``area_code`` (the area itself
        first, then its street, district, city)."""
        chain = [area_code, *reversed(areacodes.ancestors_of(area_code))]
        found = {
            s.area_id: s
            for s in self.filter(layer_id=layer_id, role=role, area_id__in=chain).select_related(
                "organization"
            )
        }
        return next((found[code] for code in chain if code in found), None)


class Stewardship(models.Model):
    """Layer x area -> the organization responsible for collecting or maintaining it
    there. The effective steward of a feature is the closest stewardship up the tree."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="stewardships")
    area = models.ForeignKey(
        AdminArea, to_field="code", on_delete=models.PROTECT, related_name="stewardships"
    )
    organization = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, related_name="stewardships"
    )
    role = models.CharField(_("role"), max_length=16, choices=StewardRole.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = StewardshipQuerySet.as_manager()

    class Meta:
        ordering = ["layer", "area", "role"]
        verbose_name = _("stewardship")
        verbose_name_plural = _("stewardships")
        constraints = [
            models.UniqueConstraint(fields=["layer", "area", "role"], name="stewardship_unique")
        ]

    def __str__(self) -> str:
        return f"{self.layer.code} @ {self.area_id}: {self.organization} ({self.role})"


from layers.basemap.models import BaseFeature, BaseFeatureKind, BaseHistory, Building, BuildingUse  # noqa: E402,F401
