"""A made-up community app ("noise monitoring") that plugs into the platform only through
its registries, as a ``community/<app>`` would from its ``AppConfig.ready()``: a panel and
a map layer on the residents' map (``map_ui.plugins``) and a report kind
(``reports.kinds``). Nothing of it is installed; a test registers it and removes it after.
Its static files are served when a test adds ``STATIC_DIR`` to ``STATICFILES_DIRS``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import HttpRequest
from django.utils.functional import lazystr
from django.utils.translation import get_language

from component_catalog.models import Component
from gis_app import access
from gis_app.roles import Action
from gis_app.types import User
from map_ui import plugins
from reports import kinds, sql
from reports.model import INTEGER, TEXT, AreaGeometry, Column, Report, Table
from reports.params import ReportRequest
from reports.scope import Scope, reportable_areas

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"
#: What the panel lists (a stand-in for readings an app would take from its devices).
READINGS = [("西湖文化广场", 58), ("武林广场", 63), ("黄龙体育中心", 71)]


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def panel_config(page: str, request: HttpRequest) -> dict[str, Any]:
    """The panel's title and readings, in the visitor's language."""
    return {
        "title": "噪声监测" if _chinese() else "Noise monitoring",
        "layer": "噪声测点" if _chinese() else "Noise sensors",
        "readings": [{"name": name, "db": db} for name, db in READINGS],
        "center": [30.2741, 120.1551],
    }


def facility_section(user: User, component: Component) -> plugins.FacilitySection | None:
    """On a public toilet's page: the noise level measured nearest to it."""
    if component.component_class_id != "0301":
        return None
    return plugins.FacilitySection(
        template="registry_app/facility_noise.html",
        context={"title": "噪声" if _chinese() else "Noise", "db": READINGS[0][1]},
        config={"db": READINGS[0][1]},
        styles=("registry_app/noise.css",),
    )


def extension() -> plugins.PageExtension:
    """On the residents' map only: its script, style sheet, configuration and a link; and
    a section on public toilets' pages."""
    return plugins.PageExtension(
        key="noise",
        pages=frozenset({plugins.RESIDENT}),
        scripts=("registry_app/noise.js",),
        styles=("registry_app/noise.css",),
        config=panel_config,
        links=(plugins.Link("healthz", lazystr("Noise sensors status")),),
        facility=facility_section,
    )


def noise_report(user: User, request: ReportRequest, scope: Scope) -> Report:
    """Per area: the communities in it the user may report on (one sensor site each)."""
    records = sql.areas(scope.level, scope.prefix)
    communities = reportable_areas(user).filter(level="community")
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "sites": communities.filter(code__startswith=r.code).count(),
        }
        for r in records
    ]
    columns = [
        Column("code", "Code", TEXT),
        Column("name", "Area", TEXT),
        Column("sites", "Sensor sites", INTEGER, mappable=True),
    ]
    return Report(
        kind="noise",
        title="Noise monitoring",
        scope=scope,
        parameters={"months": request.months},
        parameter_text=[("Area", scope.code)],
        tables=[Table("areas", "By area", columns, rows)],
        charts=[],
        geometries={r.code: AreaGeometry(r.wkb, r.geojson) for r in records},
        metric="sites",
    )


def may_see(user: User) -> bool:
    """Only those who may change components somewhere (not planners or auditors)."""
    return user.is_authenticated and access.can_anywhere(user, Action.CHANGE)


def report_kind() -> kinds.ReportKind:
    return kinds.ReportKind(
        "noise",
        lazystr("Noise monitoring"),
        noise_report,
        params=("months",),
        formats=("csv", "xlsx"),
        may_see=may_see,
    )
