"""What every report is made of, whatever its kind: tables, charts and the area map.

A ``Report`` is plain data. The API serializes it to JSON, the exports write it to CSV,
XLSX, GeoPackage and PDF, and the page draws it. The first table is always the per-area
table: one row per area of the scope, keyed by ``code``, whose ``mappable`` columns can
colour the choropleth. ``geometries`` holds each area's boundary (EPSG:4490, as WKB and as
GeoJSON text built by PostGIS).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.ops import polylabel

from reports.classes import Classes, classify
from reports.scope import Scope

# Column kinds: how a value is written and shown.
TEXT, INTEGER, NUMBER, SHARE = "text", "integer", "number", "share"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = INTEGER
    mappable: bool = False
    # A detail column (per class, per month) is left out of the PDF's tables, which have
    # no room for dozens of columns; CSV, XLSX and GeoPackage carry every column.
    detail: bool = False
    # Which way is better, for the PDF's findings: "high" (coverage), "low" (damage), "".
    better: str = ""


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": [
                {
                    "key": c.key,
                    "label": c.label,
                    "kind": c.kind,
                    "mappable": c.mappable,
                    "detail": c.detail,
                }
                for c in self.columns
            ],
            "rows": self.rows,
        }


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar (or stacked segment) per category and series."""

    key: str
    title: str
    categories: list[str]
    series: list[Series]
    stacked: bool = False
    share: bool = False  # values are shares from 0 to 1 (shown as percentages)
    y_label: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "categories": self.categories,
            "series": [{"label": s.label, "values": s.values} for s in self.series],
            "stacked": self.stacked,
            "share": self.share,
            "y_label": self.y_label,
        }


@dataclass(frozen=True)
class AreaGeometry:
    wkb: bytes
    geojson: str

    @functools.cached_property
    def label(self) -> tuple[float, float]:
        """Where the area's name goes (lon, lat): the pole of inaccessibility of its largest
        part, the point inside it farthest from its edges (1 m precision)."""
        shape = shapely.from_wkb(self.wkb)
        parts = list(getattr(shape, "geoms", [shape]))
        largest = max(parts, key=lambda p: p.area)
        point = polylabel(largest, tolerance=1e-5)
        return (round(point.x, 6), round(point.y, 6))


@dataclass
class Report:
    kind: str
    title: str
    scope: Scope
    parameters: dict[str, Any]
    # (label, shown value) pairs describing the parameters, for exports
    parameter_text: list[tuple[str, str]]
    tables: list[Table]
    charts: list[Chart]
    geometries: dict[str, AreaGeometry]
    metric: str
    notes: list[str] = field(default_factory=list)
    # Set by services.build: how the map's classes are cut, who asked (the PDF's basemap
    # shows what they may see) and the office issuing the report (their organization).
    classify: str = "auto"
    viewer: Any = None
    issuer: str = ""

    @property
    def areas(self) -> Table:
        return self.tables[0]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def mappable(self) -> list[Column]:
        return [c for c in self.areas.columns if c.mappable]

    def classes(self, key: str | None = None) -> Classes | None:
        """The map classes of column ``key`` (default: the mapped metric)."""
        column = self.areas.column(key or self.metric)
        values = [row.get(column.key) for row in self.areas.rows]
        return classify(values, self.classify, share=column.kind == SHARE)
