"""The summary and the findings of a report's title page, computed from its figures: which
areas stand out at either end of the mapped figure, how many are below the average (or, for
shares where more is better, below half), and the spread of the map's classes."""

from __future__ import annotations

from statistics import mean
from typing import Any

from django.utils.translation import gettext as _

from reports.format import class_label, display
from reports.model import SHARE, Column, Report

TOP = 3
MAX_TIED = 8
# A share "where more is better" (coverage) is a finding when an area is below this.
LOW_SHARE = 0.5


def _rows_text(report: Report) -> str:
    count = len(report.areas.rows)
    return {
        "district": _("%(count)s districts"),
        "street": _("%(count)s streets"),
        "community": _("%(count)s communities"),
    }[report.scope.level] % {"count": count}


def _listed(pairs: list[tuple[str, Any]], column: Column) -> str:
    return _(", ").join(f"{name} ({display(value, column.kind)})" for name, value in pairs)


def summary(report: Report, area: str) -> str:
    """One paragraph: what the report covers and what its map shows."""
    column = report.areas.column(report.metric)
    known = [r[column.key] for r in report.areas.rows if r.get(column.key) is not None]
    text = _("This report covers %(rows)s of %(area)s. The map shows “%(metric)s”.") % {
        "rows": _rows_text(report),
        "area": area,
        "metric": column.label,
    }
    if known:
        text += ("" if text.endswith("。") else " ") + _(
            "Across the areas it ranges from %(low)s to %(high)s, %(average)s on average."
        ) % {
            "low": display(min(known), column.kind),
            "high": display(max(known), column.kind),
            "average": display(mean(known), column.kind),
        }
    return text


def _end(rows: list[dict[str, Any]], column: Column) -> str:
    """The areas at one end of the ranking (``rows`` from that end): the first few, or all
    those tied with the first when more share its value (up to ``MAX_TIED`` named)."""
    first = rows[0][column.key]
    tied = [r for r in rows if r[column.key] == first]
    if len(tied) > TOP:
        names = _(", ").join(r["name"] for r in tied[:MAX_TIED])
        if len(tied) > MAX_TIED:
            names += _(" and %(count)s more") % {"count": len(tied) - MAX_TIED}
        return _("%(count)s areas at %(value)s (%(areas)s)") % {
            "count": len(tied),
            "value": display(first, column.kind),
            "areas": names,
        }
    count = min(TOP, len(rows) // 2 or 1)
    return _listed([(r["name"], r[column.key]) for r in rows[:count]], column)


def _ends(report: Report, column: Column) -> list[str]:
    rows = [r for r in report.areas.rows if r.get(column.key) is not None]
    if len(rows) < 2 or len({r[column.key] for r in rows}) < 2:
        return []
    ranked = sorted(rows, key=lambda r: r[column.key], reverse=True)
    high, low = _end(ranked, column), _end(list(reversed(ranked)), column)
    values = {"metric": column.label}
    if column.better == "high":
        return [
            _("Best on “%(metric)s”: %(areas)s.") % {**values, "areas": high},
            _("Worst on “%(metric)s”: %(areas)s.") % {**values, "areas": low},
        ]
    if column.better == "low":
        return [
            _("Best on “%(metric)s”: %(areas)s.") % {**values, "areas": low},
            _("Worst on “%(metric)s”: %(areas)s.") % {**values, "areas": high},
        ]
    return [
        _("Highest “%(metric)s”: %(areas)s.") % {**values, "areas": high},
        _("Lowest “%(metric)s”: %(areas)s.") % {**values, "areas": low},
    ]


def _below(report: Report, column: Column) -> list[str]:
    known = [r[column.key] for r in report.areas.rows if r.get(column.key) is not None]
    if not known:
        return []
    total = len(report.areas.rows)
    out = []
    if column.kind == SHARE and column.better == "high":
        under = sum(1 for v in known if v < LOW_SHARE)
        out.append(
            _("%(count)s of %(total)s areas are below %(threshold)s on “%(metric)s”.")
            % {
                "count": under,
                "total": total,
                "threshold": display(LOW_SHARE, SHARE),
                "metric": column.label,
            }
        )
    average = mean(known)
    under = sum(1 for v in known if v < average)
    out.append(
        _("%(count)s of %(total)s areas are below the average of %(average)s.")
        % {"count": under, "total": total, "average": display(average, column.kind)}
    )
    return out


def findings(report: Report) -> list[str]:
    """The findings of the title page, computed from the report's per-area figures."""
    column = report.areas.column(report.metric)
    found = _ends(report, column) + _below(report, column)
    # Other shares where more is better (the other services of the coverage report).
    for other in report.mappable():
        if other.key != column.key and other.kind == SHARE and other.better == "high":
            found += _below(report, other)[:1]
    classes = report.classes()
    if classes and classes.counts:
        biggest = max(range(len(classes.counts)), key=lambda i: classes.counts[i])
        last = len(classes.counts) - 1
        found.append(
            _("The largest class on the map, %(range)s, holds %(count)s of %(total)s areas.")
            % {
                "range": class_label(
                    classes.breaks[biggest],
                    classes.breaks[biggest + 1],
                    column.kind,
                    biggest == last,
                ),  # fmt: skip
                "count": classes.counts[biggest],
                "total": len(report.areas.rows),
            }
        )
    empty = sum(1 for r in report.areas.rows if r.get(column.key) is None)
    if empty:
        found.append(_("%(count)s areas have no value.") % {"count": empty})
    return found
