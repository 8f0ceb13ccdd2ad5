"""The platform's reports: one typed builder per kind, each returning a ``Report`` (see
``model``), registered as report kinds (``reports.kinds``, by ``builtin_kinds``); ``build``
runs the kind asked for, whichever app registered it.

Every builder works on what the access module lets the user report on:
``access.visible(user, in-use components, Action.REPORT)`` inside the scope's area (the same
rows as the data-quality measures of ``component_catalog.quality``). Coverage counts the
buildings of the scope (``Building`` footprints the user may see) and the facilities the user
may see, wherever they are: a public toilet across the boundary still serves a building.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from component_catalog import quality
from component_catalog.models import (
    Component,
    ComponentClass,
    ComponentQuerySet,
    ComponentStatus,
    HistoryAction,
)
from gis_app import access
from gis_app.errors import InvalidInput
from gis_app.models import Membership
from gis_app.roles import ROLE_ACTIONS, Action
from gis_app.types import User
from layers.models import Building
from reports import kinds, sql
from reports.model import (
    INTEGER,
    NUMBER,
    SHARE,
    TEXT,
    AreaGeometry,
    Chart,
    Column,
    Report,
    Series,
    Table,
)
from reports.params import ReportRequest
from reports.scope import Scope, resolve

# Facilities of the coverage report: service key -> component classes.
SERVICES: dict[str, tuple[str, ...]] = {
    "toilet": ("0301",),  # 公共厕所
    "shelter": ("0502",),  # 人防工事
    "parking": ("0201", "0215"),  # 停车场, 路边停车场
}
ACTIONS = (HistoryAction.CREATE, HistoryAction.UPDATE, HistoryAction.RETIRE, HistoryAction.DELETE)


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _sql_of(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """The id subquery of an access-filtered queryset, with its bound parameters."""
    sql_text, parameters = qs.order_by().values("id").query.sql_with_params()
    return sql_text, tuple(parameters)


def _components(user: User, scope: Scope, classes: Iterable[str] = ()) -> ComponentQuerySet:
    qs = access.visible(user, Component.objects.in_use(), Action.REPORT).within_area(scope.code)
    codes = list(classes)
    return qs.of_classes(codes) if codes else qs


def _class_names(codes: Iterable[str]) -> dict[str, str]:
    english = _english()
    return {
        code: (name_en or name_zh) if english else name_zh
        for code, name_zh, name_en in ComponentClass.objects.filter(code__in=list(codes))
        .order_by("code")
        .values_list("code", "name_zh", "name_en")
    }


def _classes_text(codes: tuple[str, ...]) -> str:
    """The chosen classes as people read them ("0301 公共厕所, ..."), or "all"."""
    if not codes:
        return _("all")
    names = _class_names(codes)
    return ", ".join(f"{code} {names.get(code, '')}".strip() for code in codes)


def _check_classes(codes: tuple[str, ...]) -> None:
    known = set(
        ComponentClass.objects.filter(code__in=codes, active=True).values_list("code", flat=True)
    )
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(
            _("Parameter classes names unknown component classes: %(codes)s.")
            % {"codes": ", ".join(unknown)},
            field="classes",
        )


class _Areas:
    """The scope's areas at its level: rows to fill, names and boundaries."""

    def __init__(self, scope: Scope) -> None:
        self.records = sql.areas(scope.level, scope.prefix)
        english = _english()
        self.names = {r.code: (r.name_en or r.name) if english else r.name for r in self.records}
        self.km2 = {r.code: r.km2 for r in self.records}
        self.geometries = {r.code: AreaGeometry(r.wkb, r.geojson) for r in self.records}

    @property
    def total_km2(self) -> float:
        return sum(self.km2.values())

    def rows(self) -> list[dict[str, Any]]:
        return [{"code": r.code, "name": self.names[r.code]} for r in self.records]

    def categories(self) -> list[str]:
        return [self.names[r.code] for r in self.records]


def _area_columns() -> list[Column]:
    return [Column("code", _("Code"), TEXT), Column("name", _("Area"), TEXT)]


def _scope_text(scope: Scope) -> list[tuple[str, str]]:
    levels = {
        "district": _("District"),
        "street": _("Street"),
        "community": _("Community"),
    }
    return [
        (_("Area"), f"{scope.label(_english())} ({scope.code})"),
        (_("Rows by"), str(levels[scope.level])),
    ]


# --- counts and density ------------------------------------------------------------------


def _status_data(
    user: User, scope: Scope, classes: tuple[str, ...]
) -> tuple[list[sql.StatusCount], list[str]]:
    _check_classes(classes)
    counts = sql.status_counts(scope.code_length, *_sql_of(_components(user, scope, classes)))
    present = sorted({c.class_code for c in counts} | set(classes))
    return counts, present


def counts_report(user: User, request: ReportRequest, scope: Scope) -> Report:
    """Components per area and class: counts, and density per km2 (spheroidal area)."""
    counts, present = _status_data(user, scope, request.classes)
    areas = _Areas(scope)
    names = _class_names(present)
    per_area: dict[str, dict[str, int]] = defaultdict(dict)
    for c in counts:
        per_area[c.area][c.class_code] = c.total
    columns = [
        *_area_columns(),
        Column("area_km2", _("Area (km²)"), NUMBER),
        Column("total", _("Components"), INTEGER, mappable=True),
        Column("density", _("Density (per km²)"), NUMBER, mappable=True),
    ]
    for code in present:
        columns.append(
            Column(f"n_{code}", names.get(code, code), INTEGER, mappable=True, detail=True)
        )
    for code in present:
        columns.append(
            Column(
                f"d_{code}",
                _("%(name)s per km²") % {"name": names.get(code, code)},
                NUMBER,
                mappable=True,
                detail=True,
            )
        )
    rows = areas.rows()
    for row in rows:
        by_class = per_area.get(row["code"], {})
        km2 = areas.km2[row["code"]]
        total = sum(by_class.values())
        row.update(area_km2=km2, total=total, density=total / km2 if km2 else None)
        for code in present:
            n = by_class.get(code, 0)
            row[f"n_{code}"] = n
            row[f"d_{code}"] = n / km2 if km2 else None
    whole = areas.total_km2
    class_rows: list[dict[str, Any]] = []
    grand_total = sum(c.total for c in counts)
    for code in present:
        n = sum(c.total for c in counts if c.class_code == code)
        class_rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "count": n,
                "density": n / whole if whole else None,
                "share": _share(n, grand_total),
            }
        )
    class_table = Table(
        "classes",
        _("By class"),
        [
            Column("code", _("Class code"), TEXT),
            Column("name", _("Class"), TEXT),
            Column("count", _("Components"), INTEGER),
            Column("density", _("Density (per km²)"), NUMBER),
            Column("share", _("Share of all components"), SHARE),
        ],
        class_rows,
    )
    charts = [
        Chart(
            "density",
            _("Components per km² by area"),
            areas.categories(),
            [Series(_("Density (per km²)"), [r["density"] for r in rows])],
            y_label=_("per km²"),
        ),
        Chart(
            "classes",
            _("Components by class"),
            [r["name"] for r in class_rows],
            [Series(_("Components"), [r["count"] for r in class_rows])],
        ),
    ]
    return Report(
        kind="counts",
        title=_("Component counts and density"),
        scope=scope,
        parameters={"classes": list(request.classes)},
        parameter_text=[
            *_scope_text(scope),
            (_("Classes"), _classes_text(request.classes)),
        ],
        tables=[Table("areas", _("By area"), columns, rows), class_table],
        charts=charts,
        geometries=areas.geometries,
        metric="density",
    )


# --- condition ---------------------------------------------------------------------------


def _condition_figures(total: int, damaged: int, missing: int) -> dict[str, Any]:
    return {
        "share_damaged": _share(damaged, total),
        "share_missing": _share(missing, total),
        "share_bad": _share(damaged + missing, total),
    }


def _condition_columns() -> list[Column]:
    return [
        Column("total", _("Components"), INTEGER),
        Column("good", str(ComponentStatus.GOOD.label), INTEGER),
        Column("damaged", str(ComponentStatus.DAMAGED.label), INTEGER, mappable=True),
        Column("missing", str(ComponentStatus.MISSING.label), INTEGER, mappable=True),
        Column("occupied", str(ComponentStatus.OCCUPIED.label), INTEGER),
        Column("share_damaged", _("Share damaged"), SHARE, mappable=True, better="low"),
        Column("share_missing", _("Share missing"), SHARE, mappable=True, better="low"),
        Column("share_bad", _("Share damaged or missing"), SHARE, mappable=True, better="low"),
    ]


def _sum_status(items: list[sql.StatusCount]) -> dict[str, int]:
    return {
        "total": sum(c.total for c in items),
        "good": sum(c.good for c in items),
        "damaged": sum(c.damaged for c in items),
        "missing": sum(c.missing for c in items),
        "occupied": sum(c.occupied for c in items),
    }


def condition_report(user: User, request: ReportRequest, scope: Scope) -> Report:
    """Share of components damaged (破损) or missing (丢失), per area and per class."""
    counts, present = _status_data(user, scope, request.classes)
    areas = _Areas(scope)
    names = _class_names(present)
    rows = areas.rows()
    for row in rows:
        figures = _sum_status([c for c in counts if c.area == row["code"]])
        row.update(figures)
        row.update(_condition_figures(figures["total"], figures["damaged"], figures["missing"]))
    class_rows = []
    for code in present:
        figures = _sum_status([c for c in counts if c.class_code == code])
        class_rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                **figures,
                **_condition_figures(figures["total"], figures["damaged"], figures["missing"]),
            }
        )
    class_columns = [
        Column("code", _("Class code"), TEXT),
        Column("name", _("Class"), TEXT),
        *[Column(c.key, c.label, c.kind) for c in _condition_columns()],
    ]
    charts = [
        Chart(
            "areas",
            _("Damaged and missing by area"),
            areas.categories(),
            [
                Series(_("Share damaged"), [r["share_damaged"] for r in rows]),
                Series(_("Share missing"), [r["share_missing"] for r in rows]),
            ],
            stacked=True,
            share=True,
        ),
        Chart(
            "classes",
            _("Damaged or missing by class"),
            [r["name"] for r in class_rows],
            [Series(_("Share damaged or missing"), [r["share_bad"] for r in class_rows])],
            share=True,
        ),
    ]
    return Report(
        kind="condition",
        title=_("Condition of components"),
        scope=scope,
        parameters={"classes": list(request.classes)},
        parameter_text=[
            *_scope_text(scope),
            (_("Classes"), _classes_text(request.classes)),
        ],
        tables=[
            Table("areas", _("By area"), [*_area_columns(), *_condition_columns()], rows),
            Table("classes", _("By class"), class_columns, class_rows),
        ],
        charts=charts,
        geometries=areas.geometries,
        metric="share_bad",
    )


# --- data quality ------------------------------------------------------------------------

_MEASURES = ("timeliness", "completeness", "accuracy_geometry", "accuracy_gnss")


def _quality_columns(mappable: bool) -> list[Column]:
    return [
        Column("count", _("Components"), INTEGER),
        Column("timeliness", _("Timeliness"), SHARE, mappable=mappable),
        Column("completeness", _("Completeness"), SHARE, mappable=mappable),
        Column("accuracy_geometry", _("Geometric accuracy"), SHARE, mappable=mappable),
        Column("accuracy_gnss", _("GNSS accuracy"), SHARE, mappable=mappable),
    ]


def _quality_figures(row: quality.QualityRow | None) -> dict[str, Any]:
    if row is None:
        return {"count": 0, **dict.fromkeys(_MEASURES)}
    return {"count": row.count, **{m: getattr(row, m) for m in _MEASURES}}


def _merge(rows: list[quality.QualityRow], key_length: int) -> dict[str, quality.QualityRow]:
    """Quality rows keyed by the first ``key_length`` digits of their key, counts summed
    (every measure is a ratio of counts, so the sums give the measure of the union)."""
    merged: dict[str, quality.QualityRow] = {}
    for row in rows:
        if row.key is None:
            continue
        key = row.key[:key_length]
        seen = merged.get(key)
        if seen is None:
            merged[key] = quality.QualityRow(
                key, row.label, row.count, row.timely, row.complete, row.geometry_ok,
                row.measured, row.gnss_ok,
            )  # fmt: skip
        else:
            merged[key] = quality.QualityRow(
                key,
                seen.label,
                seen.count + row.count,
                seen.timely + row.timely,
                seen.complete + row.complete,
                seen.geometry_ok + row.geometry_ok,
                seen.measured + row.measured,
                seen.gnss_ok + row.gnss_ok,
            )
    return merged


def _organization_table(key: str, title: str, rows: list[quality.QualityRow]) -> Table:
    return Table(
        key,
        title,
        [
            Column("code", _("Organization code"), TEXT),
            Column("name", _("Organization"), TEXT),
            *_quality_columns(mappable=False),
        ],
        [{"code": r.key, "name": r.label or _("(none)"), **_quality_figures(r)} for r in rows],
    )


def _quality_chart(key: str, title: str, table: Table) -> Chart:
    return Chart(
        key,
        title,
        [r["name"] for r in table.rows],
        [Series(table.column(m).label, [r[m] for r in table.rows]) for m in _MEASURES],
        share=True,
    )


def quality_report(user: User, request: ReportRequest, scope: Scope) -> Report:
    """Timeliness, completeness and accuracy (standard 5.2.1) per area, steward and
    maintainer, from ``component_catalog.quality.measure_groupings`` (one pass)."""
    as_of = request.as_of or timezone.localdate()

    group = "community" if scope.level == "community" else "street"
    measured = quality.measure_groupings(
        user, area_code=scope.code, group_bys=[group, "steward", "maintainer"], as_of=as_of
    )
    by_area = _merge(measured[group], scope.code_length)
    areas = _Areas(scope)
    rows = areas.rows()
    for row in rows:
        row.update(_quality_figures(by_area.get(row["code"])))
    stewards = _organization_table("stewards", _("By steward"), measured["steward"])
    maintainers = _organization_table("maintainers", _("By maintainer"), measured["maintainer"])
    return Report(
        kind="quality",
        title=_("Data quality"),
        scope=scope,
        parameters={"as_of": as_of.isoformat()},
        parameter_text=[*_scope_text(scope), (_("Reference date"), as_of.isoformat())],
        tables=[
            Table("areas", _("By area"), [*_area_columns(), *_quality_columns(True)], rows),
            stewards,
            maintainers,
        ],
        charts=[
            _quality_chart("stewards", _("Data quality by steward"), stewards),
            _quality_chart("maintainers", _("Data quality by maintainer"), maintainers),
        ],
        geometries=areas.geometries,
        metric="timeliness",
    )


# --- service coverage --------------------------------------------------------------------


def _service_labels() -> dict[str, tuple[str, str, str]]:
    """Per service: its name, and the labels of its covered-count and share columns."""
    return {
        "toilet": (
            _("Public toilet"),
            _("Buildings near a public toilet"),
            _("Share near a public toilet"),
        ),
        "shelter": (
            _("Civil air-defence shelter"),
            _("Buildings near a shelter"),
            _("Share near a shelter"),
        ),
        "parking": (
            _("Parking lot"),
            _("Buildings near a parking lot"),
            _("Share near a parking lot"),
        ),
    }


def _facilities(user: User, classes: tuple[str, ...]) -> ComponentQuerySet:
    """In-use facilities the user may see, except those recorded as missing (丢失)."""
    qs = Component.objects.in_use().of_classes(list(classes))
    return access.visible(user, qs.exclude(status=ComponentStatus.MISSING))


def coverage_report(user: User, request: ReportRequest, scope: Scope) -> Report:
    """Share of the buildings within N metres of a public toilet, a civil air-defence
    shelter and a parking lot (footprint to facility, on the spheroid)."""
    n = request.distance_m
    labels = _service_labels()
    buildings = access.visible(user, Building.objects.within_area(scope.code))
    facility_ids = [
        list(_facilities(user, classes).values_list("id", flat=True))
        for classes in SERVICES.values()
    ]
    counts = {
        c.area: c
        for c in sql.coverage_counts(scope.code_length, *_sql_of(buildings), facility_ids, float(n))
    }
    areas = _Areas(scope)
    rows = areas.rows()
    for row in rows:
        found = counts.get(row["code"])
        total = found.buildings if found else 0
        row["buildings"] = total
        for i, key in enumerate(SERVICES):
            covered = found.covered[i] if found else 0
            row[f"covered_{key}"] = covered
            row[f"share_{key}"] = _share(covered, total)
    columns = [*_area_columns(), Column("buildings", _("Buildings"), INTEGER)]
    for key in SERVICES:
        columns.append(Column(f"covered_{key}", labels[key][1], INTEGER))
        columns.append(Column(f"share_{key}", labels[key][2], SHARE, mappable=True, better="high"))
    all_buildings = sum(r["buildings"] for r in rows)
    service_rows = []
    for key, classes in SERVICES.items():
        covered = sum(r[f"covered_{key}"] for r in rows)
        service_rows.append(
            {
                "service": key,
                "name": labels[key][0],
                "classes": ", ".join(classes),
                "facilities": _facilities(user, classes).within_area(scope.code).count(),
                "buildings": all_buildings,
                "covered": covered,
                "share": _share(covered, all_buildings),
            }
        )
    service_table = Table(
        "services",
        _("By service"),
        [
            Column("service", _("Service key"), TEXT),
            Column("name", _("Service"), TEXT),
            Column("classes", _("Component classes"), TEXT),
            Column("facilities", _("Facilities in the area"), INTEGER),
            Column("buildings", _("Buildings"), INTEGER),
            Column("covered", _("Buildings covered"), INTEGER),
            Column("share", _("Share covered"), SHARE),
        ],
        service_rows,
    )
    distance = f"{n:g} m"
    return Report(
        kind="coverage",
        title=_("Service coverage"),
        scope=scope,
        parameters={"n": n},
        parameter_text=[*_scope_text(scope), (_("Distance N"), distance)],
        tables=[Table("areas", _("By area"), columns, rows), service_table],
        charts=[
            Chart(
                "areas",
                _("Share of buildings within %(n)s of a service") % {"n": distance},
                areas.categories(),
                [Series(labels[k][0], [r[f"share_{k}"] for r in rows]) for k in SERVICES],
                share=True,
            )
        ],
        geometries=areas.geometries,
        metric="share_toilet",
        notes=[
            _(
                "A building is covered when its footprint lies within N metres of a facility "
                "in use and not recorded as missing, measured on the spheroid."
            )
        ],
    )


# --- edits per month ---------------------------------------------------------------------


def _month_starts(months: int, today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    year, month = first.year, first.month
    for _i in range(months):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(out))


def _action_labels() -> dict[str, str]:
    return {a.value: str(a.label) for a in ACTIONS}


def edits_report(user: User, request: ReportRequest, scope: Scope) -> Report:
    """Accepted edits (history rows: created, updated, retired, deleted) per month and area,
    over the last ``months`` months in the platform's time zone."""
    starts = _month_starts(request.months, timezone.localdate())
    since = timezone.make_aware(dt.datetime.combine(starts[0], dt.time.min))
    months = [d.strftime("%Y-%m") for d in starts]
    visible = access.visible(user, Component.objects.all(), Action.REPORT)
    counts = sql.edit_counts(
        scope.code_length, scope.prefix, since, settings.TIME_ZONE, *_sql_of(visible)
    )
    actions = _action_labels()
    areas = _Areas(scope)
    rows = areas.rows()
    by_row = {r["code"]: r for r in rows}
    for row in rows:
        row.update({"total": 0, **dict.fromkeys(actions, 0)})
        row.update({f"m_{m.replace('-', '_')}": 0 for m in months})
    month_rows: dict[str, dict[str, Any]] = {
        m: {"month": m, "total": 0, **dict.fromkeys(actions, 0)} for m in months
    }
    for c in counts:
        found = by_row.get(c.area)
        if found is None or c.month not in month_rows or c.action not in actions:
            continue
        row = found
        row["total"] += c.count
        row[c.action] += c.count
        row[f"m_{c.month.replace('-', '_')}"] += c.count
        month_rows[c.month]["total"] += c.count
        month_rows[c.month][c.action] += c.count
    action_columns = [Column(a, label, INTEGER, mappable=True) for a, label in actions.items()]
    columns = [
        *_area_columns(),
        Column("total", _("Edits"), INTEGER, mappable=True),
        *action_columns,
        *[Column(f"m_{m.replace('-', '_')}", m, INTEGER, detail=True) for m in months],
    ]
    month_table = Table(
        "months",
        _("By month"),
        [Column("month", _("Month"), TEXT), Column("total", _("Edits"), INTEGER)]
        + [Column(c.key, c.label, INTEGER) for c in action_columns],
        list(month_rows.values()),
    )
    return Report(
        kind="edits",
        title=_("Edits per month"),
        scope=scope,
        parameters={"months": request.months},
        parameter_text=[
            *_scope_text(scope),
            (_("Months"), f"{months[0]} – {months[-1]}"),
        ],
        tables=[Table("areas", _("By area"), columns, rows), month_table],
        charts=[
            Chart(
                "months",
                _("Edits per month"),
                months,
                [
                    Series(label, [float(month_rows[m][a]) for m in months])
                    for a, label in actions.items()
                ],
                stacked=True,
            )
        ],
        geometries=areas.geometries,
        metric="total",
    )


def builtin_kinds() -> list[kinds.ReportKind]:
    """The platform's own report kinds (registered by ``reports.apps``)."""
    return [
        kinds.ReportKind(
            "counts",
            gettext_lazy("Component counts and density"),
            counts_report,
            params=("classes",),
            order=10,
        ),
        kinds.ReportKind(
            "condition",
            gettext_lazy("Condition of components"),
            condition_report,
            params=("classes",),
            order=20,
        ),
        kinds.ReportKind(
            "quality", gettext_lazy("Data quality"), quality_report, params=("as_of",), order=30
        ),
        kinds.ReportKind(
            "coverage",
            gettext_lazy("Service coverage"),
            coverage_report,
            params=("n",),
            order=40,
        ),
        kinds.ReportKind(
            "edits", gettext_lazy("Edits per month"), edits_report, params=("months",), order=50
        ),
    ]


def check(user: User, request: ReportRequest) -> Scope:
    """What ``build`` would refuse before computing anything (login, REPORT, the area and
    level, the class codes), for exports queued to run later."""
    quality.check_may_report(user)
    kinds.get(request.kind, user)
    scope = resolve(user, request.area, request.level)
    if request.classes:
        _check_classes(request.classes)
    return scope


def build(user: User, request: ReportRequest) -> Report:
    """The report asked for, over the area the user may report on (401 without a login,
    403 without the REPORT action or on an area seen but not reportable, 404 on a hidden
    area or a kind the user may not see, 400 naming the parameter on bad input)."""
    quality.check_may_report(user)
    kind = kinds.get(request.kind, user)
    scope = resolve(user, request.area, request.level)
    with sql.without_jit():
        report = kind.build(user, request, scope)
    if request.metric is not None:
        keys = [c.key for c in report.mappable()]
        if request.metric not in keys:
            raise InvalidInput(
                _("Parameter metric must be one of %(options)s, not %(value)r.")
                % {"options": ", ".join(keys), "value": request.metric},
                field="metric",
            )
        report.metric = request.metric
    report.classify = request.classify
    report.viewer = user
    report.issuer = issuing_office(user)
    return report


def issuing_office(user: User) -> str:
    """The organization issuing the user's reports: that of their widest active membership
    whose role may report (the first one when several are as wide), '' for none."""
    if isinstance(user, AnonymousUser):
        return ""
    memberships = (
        Membership.objects.filter(user=user, active=True, organization__active=True)
        .select_related("organization", "area")
        .order_by("area__code", "id")
    )
    able = [m for m in memberships if Action.REPORT in ROLE_ACTIONS.get(m.role, ())]
    if not able:
        return ""
    best = min(able, key=lambda m: len(m.area.code))
    organization = best.organization
    return (organization.name_en or organization.name) if _english() else organization.name
