"""Server-side images of a report, for the PDF: the choropleth map and the bar charts.

Drawn with matplotlib's object API (``Figure`` + Agg canvas, no pyplot state, so requests
in threads do not share figures) in the CJK font of ``reports.fonts``. The map is drawn in
EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E, metres), so shapes and the scale bar
are true, over a basemap drawn from the platform's own base layers (``reports.basemap``:
nothing is fetched from the network).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
import shapely
from django.utils.translation import gettext as _
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, PercentFormatter
from PIL import Image as PILImage
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from reports import basemap, fonts
from reports.classes import EQUAL, JENKS, NO_DATA, QUANTILE
from reports.format import class_label, display
from reports.model import Chart, Report

METRIC_CRS = "EPSG:4549"
PALETTE = ["#0b5cad", "#e07b00", "#2a9d4b", "#a23b72", "#6c757d"]
DPI = 150
# WenQuanYi Zen Hei has one weight (500): matplotlib would log a fallback for every text.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
_to_metric = Transformer.from_crs("EPSG:4490", METRIC_CRS, always_xy=True)


@functools.cache
def _font_family() -> str:
    """The CJK font's family name, added to matplotlib's font list once per process."""
    path = fonts.cjk_font()
    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


@contextmanager
def _style() -> Iterator[None]:
    name = _font_family()
    with matplotlib.rc_context(
        {"font.family": [name, "DejaVu Sans"], "axes.unicode_minus": False, "font.size": 9}
    ):
        yield


def _pixels(figure: Figure) -> PILImage.Image:
    """The figure's pixels (RGB): the PDF takes them as they are, with no PNG encoded and
    decoded again on the way (a third of the rendering time)."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return PILImage.fromarray(np.ascontiguousarray(rgba[:, :, :3]))


def _metric(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(_to_metric.transform(*xy.T)))


def _path(geom: BaseGeometry) -> MplPath:
    """A compound path of a (multi)polygon, holes included."""
    vertices: list[Any] = []
    codes: list[int] = []
    for polygon in getattr(geom, "geoms", [geom]):
        for ring in [polygon.exterior, *polygon.interiors]:
            xy = np.asarray(ring.coords)
            vertices.extend(xy)
            codes += [int(MplPath.MOVETO)] + [int(MplPath.LINETO)] * (len(xy) - 2)
            codes.append(int(MplPath.CLOSEPOLY))
    return MplPath(np.asarray(vertices), codes)


def _scale_bar(ax: Any, xmin: float, xmax: float, ymin: float) -> None:
    width = xmax - xmin
    length = 10 ** math.floor(math.log10(width / 4))
    for step in (5, 2, 1):
        if step * length <= width / 4:
            length *= step
            break
    x0 = xmin + width * 0.04
    y0 = ymin + width * 0.03
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=3)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length / 2, y0 + width * 0.01, label, ha="center", va="bottom")


BASEMAP_STYLE: dict[str, dict[str, Any]] = {
    "green": {"facecolor": "#cfe6c1", "edgecolor": "none"},
    "water": {"facecolor": "#a9d3e6", "edgecolor": "none"},
    "building": {"facecolor": "#d6d0c6", "edgecolor": "none"},
}
ROAD_WIDTH = {"主干路": 2.2, "次干路": 1.5, "支路": 0.9}
CHOROPLETH_ALPHA = 0.62


def _basemap(ax: Any, report: Report, bbox: tuple[float, float, float, float]) -> int:
    """Draws the platform's base layers under the areas; how many shapes were drawn."""
    found = basemap.shapes(report.viewer, bbox)
    polygons: dict[str, list[PathPatch]] = {kind: [] for kind in BASEMAP_STYLE}
    lines: dict[str, list[tuple[np.ndarray, float]]] = {"river": [], "road": []}
    for shape in found:
        geom = _metric(shapely.from_wkb(shape.wkb))
        if shape.kind in polygons and geom.geom_type in ("Polygon", "MultiPolygon"):
            polygons[shape.kind].append(PathPatch(_path(geom)))
        elif shape.kind in lines:
            width = ROAD_WIDTH.get(shape.road_class, 1.0) if shape.kind == "road" else 1.4
            for part in getattr(geom, "geoms", [geom]):
                lines[shape.kind].append((np.asarray(part.coords), width))
    for kind, patches in polygons.items():
        if patches:
            ax.add_collection(PatchCollection(patches, linewidths=0, **BASEMAP_STYLE[kind]))
    for xy, width in lines["river"]:
        ax.plot(xy[:, 0], xy[:, 1], color="#6fb1d8", linewidth=width, solid_capstyle="round")
    roads = sorted(lines["road"], key=lambda item: item[1])
    for xy, width in roads:  # grey casing, then the white road over it
        ax.plot(xy[:, 0], xy[:, 1], color="#9a9a9a", linewidth=width + 0.8)
    for xy, width in roads:
        ax.plot(xy[:, 0], xy[:, 1], color="#ffffff", linewidth=width)
    return len(found)


def _place_labels(
    ax: Any, renderer: Any, shapes: dict[str, BaseGeometry], names: dict[str, str], small: bool
) -> list[str]:
    """The areas' names at their label points, larger areas first; a name that does not
    fit its area's box or would overlap a name already placed is left out. Returns the
    names placed."""
    placed: list[Any] = []
    shown: list[str] = []
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for code, shape in sorted(shapes.items(), key=lambda item: -item[1].area):
        largest = max(getattr(shape, "geoms", [shape]), key=lambda p: p.area)
        point = polylabel(largest, tolerance=1.0)
        size = 6.5 if small else 8
        text = ax.text(point.x, point.y, names.get(code, code), ha="center", va="center",
                       fontsize=size, color="#111111", path_effects=halo)  # fmt: skip
        box = text.get_window_extent(renderer)
        xmin, ymin, xmax, ymax = shape.bounds
        corners = ax.transData.transform([(xmin, ymin), (xmax, ymax)])
        room_x = abs(corners[1][0] - corners[0][0]) * 1.1
        room_y = abs(corners[1][1] - corners[0][1])
        if box.width > room_x or box.height > room_y or any(box.overlaps(b) for b in placed):
            text.remove()
            continue
        placed.append(box)
        shown.append(names.get(code, code))
    return shown


def map_image(report: Report, metric: str | None = None) -> PILImage.Image:
    """The choropleth of ``metric`` (default: the report's) over the report's areas, in the
    report's classes (``reports.classes``), on the basemap of the platform's base layers,
    with the areas' names where they fit and a legend of the classes and their areas."""
    key = metric or report.metric
    column = report.areas.column(key)
    found = report.classes(key)
    values = {row["code"]: row.get(key) for row in report.areas.rows}
    names = {row["code"]: row["name"] for row in report.areas.rows}
    plain = {code: shapely.from_wkb(g.wkb) for code, g in report.geometries.items()}
    shapes = {code: _metric(shape) for code, shape in plain.items()}
    with _style():
        figure = Figure(figsize=(7.5, 6.6), dpi=DPI)
        canvas = FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        ax.set_facecolor("#f4f2ee")
        if shapes:
            xmin, ymin, xmax, ymax = shapely.total_bounds(list(shapes.values()))
            pad = max(xmax - xmin, ymax - ymin) * 0.03
            ax.set_xlim(xmin - pad, xmax + pad)
            ax.set_ylim(ymin - pad * 3, ymax + pad)
            lon0, lat0, lon1, lat1 = shapely.total_bounds(list(plain.values()))
            margin = max(lon1 - lon0, lat1 - lat0) * 0.05
            _basemap(ax, report, (lon0 - margin, lat0 - margin, lon1 + margin, lat1 + margin))
        patches, colours = [], []
        for code, shape in shapes.items():
            patches.append(PathPatch(_path(shape)))
            colours.append(found.colour(values.get(code)) if found else NO_DATA)
        ax.add_collection(
            PatchCollection(
                patches,
                facecolors=colours,
                edgecolors="#333333",
                linewidths=0.7,
                alpha=CHOROPLETH_ALPHA,
            )  # fmt: skip
        )
        ax.add_collection(
            PatchCollection(
                [PathPatch(_path(s)) for s in shapes.values()],
                facecolors="none",
                edgecolors="#333333",
                linewidths=0.7,
            )  # fmt: skip
        )
        if shapes:
            _scale_bar(ax, xmin, xmax, ymin - pad * 2)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        handles = []
        if found:
            last = len(found.counts) - 1
            for i, colour in enumerate(found.colours):
                label = class_label(found.breaks[i], found.breaks[i + 1], column.kind, i == last)
                handles.append(Patch(facecolor=colour, edgecolor="#57606a", alpha=CHOROPLETH_ALPHA,
                                     label=f"{label}  ({found.counts[i]})"))  # fmt: skip
        if not found or found.no_data:
            count = found.no_data if found else len(shapes)
            handles.append(Patch(facecolor=NO_DATA, edgecolor="#57606a",
                                 label=f"{_('No data')}  ({count})"))  # fmt: skip
        method = _method_label(found.method) if found else ""
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5,
                  title=f"{column.label}\n{method}", title_fontsize=8, frameon=False)  # fmt: skip
        ax.set_title(f"{report.title}: {column.label}")
        figure.tight_layout()
        _place_labels(ax, canvas.get_renderer(), shapes, names, len(shapes) > 12)
        return _pixels(figure)


def _method_label(method: str) -> str:
    return {
        JENKS: _("Natural breaks"),
        QUANTILE: _("Quantiles"),
        EQUAL: _("Equal intervals"),
    }.get(method, method)


def chart_image(chart: Chart) -> PILImage.Image:
    """A bar chart: grouped or stacked series, horizontal when there are many categories."""
    count = len(chart.categories)
    horizontal = count > 10
    with _style():
        height = max(3.2, 0.22 * count + 1.5) if horizontal else 3.6
        figure = Figure(figsize=(7.5, min(height, 9.5)), dpi=DPI)
        ax = figure.add_subplot()
        positions = np.arange(count)
        n = max(1, len(chart.series))
        width = 0.8 if chart.stacked else 0.8 / n
        bottom = np.zeros(count)
        for i, series in enumerate(chart.series):
            values = np.array([np.nan if v is None else v for v in series.values], dtype=float)
            offset = 0.0 if chart.stacked else (i - (n - 1) / 2) * width
            base = bottom if chart.stacked else None
            colour = PALETTE[i % len(PALETTE)]
            if horizontal:
                ax.barh(positions + offset, np.nan_to_num(values), width, left=base,
                        label=series.label, color=colour)  # fmt: skip
            else:
                ax.bar(positions + offset, np.nan_to_num(values), width, bottom=base,
                       label=series.label, color=colour)  # fmt: skip
            if chart.stacked:
                bottom = bottom + np.nan_to_num(values)
        axis = ax.xaxis if horizontal else ax.yaxis
        if chart.share:
            axis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        else:
            axis.set_major_formatter(FuncFormatter(lambda v, _p: display(v, "number")))
        if horizontal:
            ax.set_yticks(positions, chart.categories)
            ax.invert_yaxis()
            ax.set_xlabel(chart.y_label)
        else:
            ax.set_xticks(positions, chart.categories, rotation=30 if count > 4 else 0,
                          ha="right" if count > 4 else "center")  # fmt: skip
            ax.set_ylabel(chart.y_label)
        if len(chart.series) > 1:
            ax.legend(fontsize=7, loc="best")
        ax.set_title(chart.title)
        ax.grid(axis="x" if horizontal else "y", color="#e5e7eb")
        ax.set_axisbelow(True)
        figure.tight_layout()
        return _pixels(figure)
