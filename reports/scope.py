"""Which area a report covers and at which level its rows are, decided by the access module.

A report covers one area (a city, district, street or community) that the user may report
on: the area must lie inside the subtree of one of the user's grants that allow
``Action.REPORT``. Any other area answers ``NotFound`` (404) like a hidden object, even one
the user may see on the map (a district planner and the city): for reports it is hidden.
A grant scoped to a grid cell reports on nothing: its cell code contains no area (and
no role that may be narrowed to a cell may report).
The rows are the areas of ``level`` inside it (``level`` at or below the
area's own level; by default the level just below it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gis_app import access, areacodes
from gis_app.errors import InvalidInput, NotFound
from gis_app.roles import Action
from gis_app.types import User
from layers.models import AdminArea

LEVELS = ("city", "district", "street", "community")
ROW_LEVELS = ("district", "street", "community")
# Length of the code prefix that names an area of each level (a district: 6 digits).
CODE_LENGTH = {"district": 6, "street": 9, "community": 12}


@dataclass(frozen=True)
class Scope:
    """The report's area and the level of its rows."""

    code: str
    name: str
    name_en: str
    area_level: str
    level: str

    @property
    def code_length(self) -> int:
        """How many leading digits of a community code name the row it belongs to."""
        return CODE_LENGTH[self.level]

    @property
    def prefix(self) -> str:
        return areacodes.prefix_of(self.code)

    def label(self, english: bool) -> str:
        return (self.name_en or self.name) if english else self.name


def reportable_areas(user: User) -> Any:
    """The areas (city to community) the user may report on, as a queryset."""
    return access.visible(user, AdminArea.objects.filter(level__in=LEVELS), Action.REPORT)


def default_area(user: User) -> str | None:
    """The widest area the user may report on (the area of their widest grant), if any."""
    areas = reportable_areas(user)
    for level in LEVELS:
        found = areas.filter(level=level).order_by("code").first()
        if found is not None:
            return str(found.code)
    return None


def levels_below(area_level: str) -> list[str]:
    """The row levels a report on an area of ``area_level`` may use (its own and below)."""
    start = LEVELS.index(area_level)
    return [level for level in ROW_LEVELS if LEVELS.index(level) >= start]


def default_level(area_level: str) -> str:
    """The level just below the area's (a community's own level for a community)."""
    below = [level for level in ROW_LEVELS if LEVELS.index(level) > LEVELS.index(area_level)]
    return below[0] if below else area_level


def resolve(user: User, area_code: str | None, level: str | None) -> Scope:
    """The scope of a report on ``area_code`` (default: the user's widest reportable area)
    with rows at ``level`` (default: the level below the area's); see the module docstring."""
    code = area_code or default_area(user)
    if code is None:
        raise NotFound(_("You may not report on any area."), field="area")
    try:
        area_level = areacodes.level_of(code)
    except ValueError:
        area_level = ""
    if area_level not in LEVELS:
        raise InvalidInput(
            _("Parameter area must be a city, district, street or community code, not %(v)r.")
            % {"v": code},
            field="area",
        )
    area = reportable_areas(user).filter(code=code).first()
    if area is None:
        raise NotFound(
            _("Area %(code)s is not among the areas you may report on.") % {"code": code},
            field="area",
        )
    allowed = levels_below(area.level)
    if level is None:
        level = default_level(area.level)
    elif level not in allowed:
        raise InvalidInput(
            _("Parameter level must be one of %(options)s for area %(code)s, not %(value)r.")
            % {"options": ", ".join(allowed), "code": code, "value": level},
            field="level",
        )
    return Scope(
        code=area.code, name=area.name, name_en=area.name_en, area_level=area.level, level=level
    )
