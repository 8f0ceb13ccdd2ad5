"""The reports page ``/reports/``: the form, the choropleth map (the common map of
``map_ui``), charts and tables. The page's script asks the report API for the figures and
downloads the exports; this view only lays out the form with what the user may choose."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from component_catalog.models import ComponentClass
from gis_app import access
from gis_app.roles import Action
from gis_app.types import User
from map_ui import vendor
from map_ui.builder import MapOptions, render_map
from reports import gate, kinds, params
from reports.classes import AUTO, EQUAL, JENKS, QUANTILE
from reports.exports import FORMATS
from reports.scope import LEVELS, levels_below, reportable_areas


def kind_labels(user: User) -> dict[str, str]:
    """The report kinds the user may see (``reports.kinds``), code -> title."""
    return {kind.code: str(kind.title) for kind in kinds.visible(user)}


def level_labels() -> dict[str, str]:
    return {"district": _("Districts"), "street": _("Streets"), "community": _("Communities")}


def page_strings() -> dict[str, Any]:
    """Text the page's script shows, translated here (the script has no gettext)."""
    return {
        "loading": _("Computing the report…"),
        "ready": _("Report updated."),
        "failed": _("The report could not be made."),
        "network": _("The server could not be reached. Check your connection and try again."),
        "exporting": _("Preparing the %(format)s file…"),
        "exportProgress": _("Preparing the %(format)s file… %(percent)s"),
        "exported": _("%(file)s downloaded."),
        "noData": _("No data"),
        "rows": _("%(count)s areas"),
        "legend": _("Legend"),
        "chart": _("Chart"),
        "areaCount": _("(%(count)s)"),
        "allClasses": _("All classes"),
        "classChosen": _("1 class chosen"),
        "classesChosen": _("%(count)s classes chosen"),
        "methods": {
            "jenks": _("Natural breaks"),
            "quantile": _("Quantiles"),
            "equal": _("Equal intervals"),
        },
    }


def classify_methods() -> dict[str, str]:
    """The ways the map's classes may be cut (reports.classes), for the form."""
    return {
        AUTO: _("Chosen by the data"),
        JENKS: _("Natural breaks (Jenks)"),
        QUANTILE: _("Quantiles (equal counts)"),
        EQUAL: _("Equal intervals"),
    }


def class_groups() -> list[dict[str, Any]]:
    """The active component classes under their major classes, for the class filter."""
    english = (translation.get_language() or "").startswith("en")

    def label(name_zh: str, name_en: str) -> str:
        return (name_en or name_zh) if english else name_zh

    groups: dict[str, dict[str, Any]] = {}
    minors = (
        ComponentClass.objects.filter(active=True, code__regex=r"^\d{4}$")
        .select_related("major")
        .order_by("code")
    )
    for minor in minors:
        major = minor.major
        group = groups.setdefault(
            major.code if major else minor.code[:2],
            {
                "code": major.code if major else minor.code[:2],
                "label": label(major.name_zh, major.name_en) if major else "",
                "classes": [],
            },
        )
        group["classes"].append({"code": minor.code, "label": label(minor.name_zh, minor.name_en)})
    return list(groups.values())


@login_required
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    """The reports page for users who may report somewhere (403 for the others)."""
    if not access.can_anywhere(request.user, Action.REPORT):
        raise PermissionDenied
    order = {level: i for i, level in enumerate(LEVELS)}
    areas = sorted(
        reportable_areas(request.user).values("code", "name", "name_en", "level"),
        key=lambda a: (order[a["level"]], a["code"]),
    )
    offered = kind_labels(request.user)
    asked = request.GET.get("kind")
    kind = asked if asked in offered else next(iter(offered), "")
    rendered = render_map(
        MapOptions(
            label=_("Report map"),
            overlays=(),
            legend=False,
            locate=False,
            page_js=(vendor.url("chart.js"), static("reports/reports.js")),
            page_css=(static("reports/reports.css"),),
        )
    )
    config: dict[str, Any] = {
        "api": reverse("report", kwargs={"kind": "KIND"}),
        "strings": page_strings(),
        "formats": list(FORMATS),
        "levels": {a["code"]: levels_below(a["level"]) for a in areas},
        "syncMaxAreas": gate.max_areas(),
    }
    context = {
        "map": rendered,
        "kinds": offered,
        "parameter_kinds": kinds.parameter_kinds(request.user),
        "kind": kind,
        "areas": areas,
        "level_labels": level_labels(),
        "area_levels": {
            "city": _("City"),
            "district": _("District"),
            "street": _("Street"),
            "community": _("Community"),
        },
        "distance": params.limits()["distance_m"],
        "months": params.limits()["months"],
        "formats": [
            ("csv", "CSV"),
            ("xlsx", "Excel (XLSX)"),
            ("gpkg", "GeoPackage"),
            ("pdf", "PDF"),
        ],  # fmt: skip
        "config": config,
        "classify_methods": classify_methods(),
        "class_groups": class_groups(),
    }
    return render(request, "reports/index.html", context)
