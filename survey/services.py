"""What the surveyors' editor needs to start: the classes the user surveys (with their
attribute schemas and GNSS thresholds), the organizations for the ownership fields, sensible
defaults and where the map opens. Everything is decided through the access module; the API
checks every edit again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from component_catalog import catalog_labels
from component_catalog.models import ComponentClass, ComponentStatus, DataSource, GnssFix
from gis_app import access
from gis_app.models import Organization, OrganizationKind
from gis_app.roles import Action
from gis_app.types import User
from layers.models import AdminArea, GridCell, Layer, LayerKind


@dataclass(frozen=True)
class SurveyClass:
    """A component class as the editor offers it."""

    code: str
    name_zh: str
    name_en: str
    geometry: str
    threshold_m: float
    schema: dict[str, Any]
    layer: str | None

    def as_json(self, english: bool) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": (self.name_en if english and self.name_en else self.name_zh),
            "name_zh": self.name_zh,
            "geometry": self.geometry,
            "threshold_m": self.threshold_m,
            "schema": catalog_labels.localized(self.schema, "en" if english else "zh-hans"),
            "layer": self.layer,
        }


@dataclass
class EditorConfig:
    """The editor's start-up data (placed in the page, so it also works offline)."""

    username: str
    classes: list[SurveyClass]
    class_filter: list[str] | None  # class codes to load on the map; None: every visible
    organizations: list[tuple[str, str]]
    defaults: dict[str, str]
    center: tuple[float, float] | None  # (lat, lon)
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # the user's area: min lon, min lat, max lon, max lat (where the map opens without GPS)
    bounds: tuple[float, float, float, float] | None = None

    def as_json(self, english: bool) -> dict[str, Any]:
        return {
            "user": self.username,
            "classes": [c.as_json(english) for c in self.classes],
            "classFilter": self.class_filter,
            "organizations": [{"code": c, "name": n} for c, n in self.organizations],
            "defaults": self.defaults,
            "areaBounds": list(self.bounds) if self.bounds else None,
            "choices": {
                k: [{"value": v, "label": lbl} for v, lbl in items]
                for k, items in self.choices.items()
            },
        }


def create_grants(user: User) -> list[access.Grant]:
    """The user's grants that allow creating components."""
    return [g for g in access.grants(user) if g.allows(Action.CREATE)]


def survey_classes(user: User) -> tuple[list[SurveyClass], list[str] | None]:
    """The minor classes the user surveys, and the class filter for loading the map: a
    grant with class codes (a water surveyor) narrows both to those classes; a grant
    without (a community worker, an administrator) offers every active class."""
    minors = ComponentClass.objects.filter(active=True, code__regex=r"^\d{4}$").order_by("code")
    grants = create_grants(user)
    everything = access.is_superuser(user) or any(not g.class_codes for g in grants)
    codes = sorted({code for g in grants for code in g.class_codes})
    rows = list(minors if everything else minors.filter(code__in=codes))
    layers = dict(
        Layer.objects.filter(kind=LayerKind.COMPONENT, active=True).values_list("source", "code")
    )
    classes = [
        SurveyClass(
            code=c.code,
            name_zh=c.name_zh,
            name_en=c.name_en,
            geometry=c.geometry_kind,
            threshold_m=c.accuracy_threshold_m,
            schema=c.attribute_schema or {},
            layer=layers.get(c.code),
        )
        for c in rows
    ]
    return classes, (None if everything else [c.code for c in classes])


def _default_organizations(user: User, grant: access.Grant | None) -> dict[str, str]:
    """Owner and maintainer: the user's own organization; competent department: the
    user's organization when it is a government body, else the first government body of
    the grant's district."""
    if grant is None:
        return {}
    own = Organization.objects.filter(pk=grant.organization_id).first()
    if own is None:
        return {}
    competent = own
    if own.kind != OrganizationKind.GOVERNMENT:
        found = (
            access.visible(user, Organization.objects.filter(active=True))
            .filter(kind=OrganizationKind.GOVERNMENT, area__code=grant.area_code[:6])
            .order_by("code")
            .first()
        )
        competent = found or own
    return {"competent_department": competent.code, "owner": own.code, "maintainer": own.code}


def _area(user: User, grant: access.Grant | None) -> AdminArea | GridCell | None:
    """The place the grant covers: its area, or its grid cell (a grid worker's map opens on
    its cell)."""
    if grant is None:
        return None
    if grant.grid_cell is not None:
        return access.visible(user, GridCell.objects.all()).filter(code=grant.grid_cell).first()
    return access.visible(user, AdminArea.objects.all()).filter(code=grant.area_code).first()


def _center(area: AdminArea | GridCell | None) -> tuple[float, float] | None:
    if area is None:
        return None
    point = area.boundary.point_on_surface
    return (point.y, point.x)


def _bounds(area: AdminArea | GridCell | None) -> tuple[float, float, float, float] | None:
    if area is None:
        return None
    x1, y1, x2, y2 = area.boundary.extent
    return (x1, y1, x2, y2)


def choices() -> dict[str, list[tuple[str, str]]]:
    """Standard fields with fixed values, labelled in the active language."""
    return {
        "status": [(str(v), str(label)) for v, label in ComponentStatus.choices],
        "data_source": [(str(v), str(label)) for v, label in DataSource.choices],
        "gnss_fix": [(str(v), str(label)) for v, label in GnssFix.choices],
    }


def editor_config(user: User, english: bool = False) -> EditorConfig:
    """Everything the editor page starts from, for ``user``."""
    classes, class_filter = survey_classes(user)
    grants = create_grants(user)
    first = grants[0] if grants else None
    area = _area(user, first)
    organizations = access.visible(user, Organization.objects.filter(active=True)).order_by(
        "kind", "code"
    )
    return EditorConfig(
        username=user.get_username(),
        classes=classes,
        class_filter=class_filter,
        organizations=[
            (o.code, (o.name_en if english and o.name_en else o.name)) for o in organizations
        ],
        defaults=_default_organizations(user, first),
        center=_center(area),
        bounds=_bounds(area),
        choices=choices(),
    )
