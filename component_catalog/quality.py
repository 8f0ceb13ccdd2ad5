"""Data-quality measures of the component layers (DB3301/T 0291-2019, 5.2.1: timeliness,
completeness, accuracy), per layer, organization, steward or area.

``measure(user, ...)`` returns one ``QualityRow`` per group, computed in one aggregate SQL
query (``quality_sql``; ``measure_groupings`` gives several groupings from the same pass)
over the in-use components the user may report on. Each share is
the fraction of the group's features that pass the measure (``None`` when its denominator
is zero):

timeliness
    the feature's change date (``change_date``, 变更日期: the date its recorded state was
    last surveyed or changed; every edit through the services sets it) lies within the
    expected update interval of its layer (``Layer.update_interval_days``) before ``as_of``:
    ``change_date >= as_of - interval``. The change date is used rather than ``updated_at``
    because ``updated_at`` is the technical time the row was last written: an import of an
    old survey, or a re-save, refreshes it without re-surveying anything. A change dated
    after ``as_of`` counts as timely (there is no history snapshot to go back to).
completeness
    the feature's ``attributes`` contain every *required attribute* of its class. The
    required attributes are the class attribute schema's ``required`` list when the schema
    has one, else all keys of its ``properties`` (the catalog's schemas list no
    ``required``: every class-specific attribute is expected of a complete survey).
    A class without class-specific attributes is always complete. Computed in SQL with the
    jsonb ``?&`` operator against a text[] of the keys per class.
accuracy_geometry
    the geometry is valid and lies inside its community's boundary (``ST_Covers``).
accuracy_gnss
    among field-measured (实测, ``data_source='measured'``) features only, the share whose
    GNSS horizontal accuracy is known and at most the class threshold
    (``ComponentClass.accuracy_threshold_m``); ``None`` when the group has no measured
    features.

Groupings (``group_by``): ``layer`` (the class's layer, ``component-<class>``),
``maintainer`` and ``owner`` (the component's organizations), ``steward`` (the effective
maintenance stewardship of the layer at the feature's community: the closest one up the area
tree, community, street, district, city; features without one form a group with key
``None``), ``community`` and ``street``.

Whose features: ``access.visible(user, in-use components, Action.REPORT)``: the rows in the
scope of the user's grants that allow reporting (a district planner: their district), so the
access module decides; the service refuses users without REPORT anywhere. Management
commands pass ``SYSTEM_USER`` (a superuser view: every in-use component).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from component_catalog import quality_sql
from component_catalog.models import Component
from gis_app import access, areacodes
from gis_app.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from gis_app.roles import Action
from gis_app.types import User
from layers.models import AdminArea, Layer, LayerKind

GROUP_BY = ("layer", "maintainer", "owner", "steward", "community", "street")


@dataclass(frozen=True)
class SystemUser:
    """The platform itself (management commands, scheduled jobs): sees every row."""

    is_active: bool = True
    is_superuser: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False
    pk: None = None
    username: str = "system"


# Stands in for a superuser wherever the access module asks about a user.
SYSTEM_USER = cast(User, SystemUser())


def _share(passed: int, total: int) -> float | None:
    return passed / total if total else None


@dataclass(frozen=True)
class QualityRow:
    """One group's counts; the shares are derived from them (unrounded)."""

    key: str | None
    label: str | None
    count: int
    timely: int
    complete: int
    geometry_ok: int
    measured: int
    gnss_ok: int

    @property
    def timeliness(self) -> float | None:
        return _share(self.timely, self.count)

    @property
    def completeness(self) -> float | None:
        return _share(self.complete, self.count)

    @property
    def accuracy_geometry(self) -> float | None:
        return _share(self.geometry_ok, self.count)

    @property
    def accuracy_gnss(self) -> float | None:
        return _share(self.gnss_ok, self.measured)

    def as_dict(self, digits: int = 4) -> dict[str, Any]:
        """The row as the API and the command show it: shares rounded to ``digits``."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "key": self.key,
            "label": self.label,
            "count": self.count,
            "timeliness": rounded(self.timeliness),
            "completeness": rounded(self.completeness),
            "accuracy_geometry": rounded(self.accuracy_geometry),
            "accuracy_gnss": rounded(self.accuracy_gnss),
        }


def _check_area(user: User, area_code: str) -> None:
    """A city, district, street or community the user may see (hidden or missing: 404)."""
    try:
        level: str | None = areacodes.level_of(area_code)
    except ValueError:
        level = None  # malformed
    if level not in {"city", "district", "street", "community"}:
        raise InvalidInput(
            _("Parameter area must be a city, district, street or community code, not %(v)r.")
            % {"v": area_code},
            field="area",
        )
    try:
        access.get_visible(user, AdminArea.objects.all(), code=area_code)
    except NotFound:
        raise NotFound(
            _("Area %(code)s was not found.") % {"code": area_code}, field="area"
        ) from None


def _class_codes_of(layer_codes: list[str]) -> list[str]:
    """The component classes of the named component layers; unknown codes are an error."""
    found = dict(
        Layer.objects.filter(kind=LayerKind.COMPONENT, code__in=layer_codes).values_list(
            "code", "source"
        )
    )
    unknown = [code for code in layer_codes if code not in found]
    if unknown:
        raise InvalidInput(
            _("Parameter layers names unknown component layers: %(codes)s.")
            % {"codes": ", ".join(unknown)},
            field="layers",
        )
    return sorted(set(found.values()))


def check_may_report(user: User) -> None:
    """Reports need a login (401) and the REPORT action in some grant (403)."""
    if user is None or not user.is_authenticated:
        raise NotAuthenticated()
    if not access.can_anywhere(user, Action.REPORT):
        raise PermissionDenied(_("You may not view reports."))


def measure(
    user: User,
    *,
    area_code: str | None = None,
    layer_codes: list[str] | None = None,
    group_by: str = "layer",
    as_of: date | None = None,
) -> list[QualityRow]:
    """Data-quality rows of the component layers, one per group (see the module docstring).

    ``area_code`` narrows to an area's subtree; ``layer_codes`` to some component layers
    (``component-<class>``); ``as_of`` is the reference date of timeliness (default: today
    in the platform's time zone)."""
    return measure_groupings(
        user, area_code=area_code, layer_codes=layer_codes, group_bys=[group_by], as_of=as_of
    )[group_by]


def measure_groupings(
    user: User,
    *,
    area_code: str | None = None,
    layer_codes: list[str] | None = None,
    group_bys: list[str],
    as_of: date | None = None,
) -> dict[str, list[QualityRow]]:
    """``measure`` for several groupings at once, from one pass over the features."""
    check_may_report(user)
    for group_by in group_bys:
        if group_by not in GROUP_BY:
            raise InvalidInput(
                _("Parameter group_by must be one of %(options)s, not %(value)r.")
                % {"options": ", ".join(GROUP_BY), "value": group_by},
                field="group_by",
            )
    qs = access.visible(user, Component.objects.in_use(), Action.REPORT)
    if area_code:
        _check_area(user, area_code)
        qs = qs.within_area(area_code)
    if layer_codes:
        qs = qs.of_classes(_class_codes_of(layer_codes))
    visible_sql, visible_params = qs.order_by().values("id").query.sql_with_params()
    english = (translation.get_language() or "").startswith("en")
    grouped = quality_sql.grouped_counts(
        group_bys,
        as_of or timezone.localdate(),
        visible_sql,
        visible_params,
        english=english,
    )
    return {
        group_by: [
            QualityRow(
                key=c.key,
                label=c.label,
                count=c.total,
                timely=c.timely,
                complete=c.complete,
                geometry_ok=c.geometry_ok,
                measured=c.measured,
                gnss_ok=c.gnss_ok,
            )
            for c in counts
        ]
        for group_by, counts in grouped.items()
    }
