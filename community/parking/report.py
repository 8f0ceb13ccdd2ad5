"""The parking occupancy report (issue 8), the report kind ``parking`` (registered with
``reports.kinds`` by ``apps.py``): how full the parking lots are at each hour of the week,
per area of the scope and per lot, over the last 28 days. The figures come from
``community.parking.profiles`` (occupancy history, time-weighted per hour); the rows are
the lots whose operations the user may see inside the scope's area."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.parking import profiles
from gis_app.types import User
from reports import kinds, sql
from reports.model import INTEGER, SHARE, TEXT, AreaGeometry, Chart, Column, Report, Series, Table
from reports.params import ReportRequest
from reports.scope import Scope

DAYS = 28


def _weekday(number: int) -> str:
    return str(WEEKDAYS_ABBR[number - 1])


def _when(peak: tuple[int, int, float] | None) -> str:
    return f"{_weekday(peak[0])} {peak[1]:02d}:00" if peak else ""


def _summary(p: profiles.Profile) -> dict[str, Any]:
    peak = p.peak()
    return {
        "capacity": p.capacity,
        "mean": p.mean(),
        "peak": peak[2] if peak else None,
        "peak_time": _when(peak),
    }


def parking_report(user: User, request: ReportRequest, scope: Scope) -> Report:
    """Occupancy (share of capacity) by weekday and hour, per area and per lot."""
    english = (translation.get_language() or "").startswith("en")
    since, until = profiles.period(DAYS)
    lots = list(profiles.lots_in(user, scope.code))
    per_lot = profiles.by_lot(lots, since, until)
    records = sql.areas(scope.level, scope.prefix)
    names = {r.code: (r.name_en or r.name) if english else r.name for r in records}
    per_area = {p.key: p for p in profiles.by_area(per_lot, scope.code_length, names)}
    counts: dict[str, int] = {}
    for p in per_lot:
        key = p.community[: scope.code_length]
        counts[key] = counts.get(key, 0) + 1
    area_rows = []
    for record in records:
        profile = per_area.get(record.code)
        row: dict[str, Any] = {"code": record.code, "name": names[record.code]}
        row["lots"] = counts.get(record.code, 0)
        row.update(
            _summary(profile)
            if profile
            else {"capacity": 0, "mean": None, "peak": None, "peak_time": ""}
        )
        area_rows.append(row)
    whole = profiles.by_area(per_lot, 0, {"": scope.name})
    scope_profile = whole[0] if whole else profiles.Profile("", scope.name, 0)
    hour_rows = []
    for hour in profiles.HOURS:
        row = {"hour": f"{hour:02d}:00"}
        for day in profiles.WEEKDAYS:
            row[f"d{day}"] = scope_profile.ratio(day, hour)
        hour_rows.append(row)
    lot_rows = [
        {"id": p.key, "name": p.name, "community": p.community, **_summary(p)} for p in per_lot
    ]
    lot_hour_rows = []
    for p in per_lot:
        for day in profiles.WEEKDAYS:
            row = {"id": p.key, "name": p.name, "weekday": _weekday(day)}
            row.update({f"h{h:02d}": p.ratio(day, h) for h in profiles.HOURS})
            lot_hour_rows.append(row)
    summary_columns = [
        Column("capacity", _("Spaces"), INTEGER, mappable=True),
        Column("mean", _("Mean occupancy"), SHARE, mappable=True),
        Column("peak", _("Peak occupancy"), SHARE, mappable=True),
        Column("peak_time", _("Peak hour"), TEXT),
    ]
    area_columns = [
        Column("code", _("Code"), TEXT),
        Column("name", _("Area"), TEXT),
        Column("lots", _("Parking lots"), INTEGER, mappable=True),
        *summary_columns,
    ]
    weekday_columns = [Column(f"d{d}", _weekday(d), SHARE) for d in profiles.WEEKDAYS]
    tables = [
        Table("areas", _("By area"), area_columns, area_rows),
        Table(
            "hours",
            _("By hour and weekday"),
            [Column("hour", _("Hour"), TEXT), *weekday_columns],
            hour_rows,
        ),
        Table(
            "lots",
            _("By parking lot"),
            [
                Column("id", _("Identifier"), TEXT),
                Column("name", _("Parking lot"), TEXT),
                Column("community", _("Community"), TEXT),
                *summary_columns,
            ],
            lot_rows,
        ),
        Table(
            "lot_hours",
            _("By parking lot, weekday and hour"),
            [
                Column("id", _("Identifier"), TEXT),
                Column("name", _("Parking lot"), TEXT),
                Column("weekday", _("Weekday"), TEXT),
                *[Column(f"h{h:02d}", f"{h:02d}", SHARE, detail=True) for h in profiles.HOURS],
            ],
            lot_hour_rows,
        ),
    ]
    chart = Chart(
        "hours",
        _("Occupancy by hour"),
        [f"{h:02d}" for h in profiles.HOURS],
        [
            Series(_weekday(d), [scope_profile.ratio(d, h) for h in profiles.HOURS])
            for d in profiles.WEEKDAYS
        ],
        share=True,
        y_label=_("Share of spaces taken"),
    )
    return Report(
        kind="parking",
        title=_("Parking occupancy"),
        scope=scope,
        parameters={"days": DAYS},
        parameter_text=[
            (_("Area"), f"{scope.label(english)} ({scope.code})"),
            (_("Period"), f"{since:%Y-%m-%d} – {until:%Y-%m-%d}"),
        ],
        tables=tables,
        charts=[chart],
        geometries={r.code: AreaGeometry(r.wkb, r.geojson) for r in records},
        metric="mean",
        notes=[
            _(
                "Occupancy is the share of a lot's spaces taken, averaged over each clock hour "
                "(time-weighted) and then over the same weekday and hour in the last "
                "%(days)s days. Hours before a lot's first record are left out."
            )
            % {"days": DAYS}
        ],
    )


def kind() -> kinds.ReportKind:
    """The report kind (after the platform's own; no parameters of its own)."""
    return kinds.ReportKind("parking", gettext_lazy("Parking occupancy"), parking_report, order=60)
