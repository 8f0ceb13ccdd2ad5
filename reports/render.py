"""Server-side images of a report, for the PDF: the choropleth map and the bar charts.

Drawn with matplotlib's object API (``Figure`` + Agg canvas, no pyplot state, so requests
in threads do not share figures) in the CJK font of ``reports.fonts``. The map is drawn in
EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E, metres), so shapes and the scale bar
are true; it needs no basemap tiles (nothing is fetched).
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
from matplotlib import colormaps, font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, PercentFormatter
from PIL import Image as PILImage
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from reports import fonts
from reports.format import display
from reports.model import SHARE, Chart, Report

METRIC_CRS = "EPSG:4549"
NO_DATA = "#d0d7de"
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


def map_image(report: Report, metric: str | None = None) -> PILImage.Image:
    """The choropleth of ``metric`` (default: the report's) over the report's areas."""
    key = metric or report.metric
    column = report.areas.column(key)
    values = {row["code"]: row.get(key) for row in report.areas.rows}
    names = {row["code"]: row["name"] for row in report.areas.rows}
    shapes = {code: _metric(shapely.from_wkb(g.wkb)) for code, g in report.geometries.items()}
    known = [v for v in values.values() if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if column.kind == SHARE:
        low = 0.0  # shares are read from zero
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    cmap = colormaps["YlOrRd"]
    with _style():
        figure = Figure(figsize=(7.5, 6.2), dpi=DPI)
        ax = figure.add_subplot()
        patches, colours = [], []
        for code, shape in shapes.items():
            value = values.get(code)
            patches.append(PathPatch(_path(shape)))
            colours.append(NO_DATA if value is None else cmap(norm(value)))
        ax.add_collection(
            PatchCollection(patches, facecolors=colours, edgecolors="#333333", linewidths=0.6)
        )
        if len(shapes) <= 60:
            for code, shape in shapes.items():
                point = shape.representative_point()
                ax.text(point.x, point.y, names.get(code, code), ha="center", va="center",
                        fontsize=6 if len(shapes) > 12 else 8, color="#111111")  # fmt: skip
        if shapes:
            xmin, ymin, xmax, ymax = shapely.total_bounds(list(shapes.values()))
            pad = (xmax - xmin) * 0.03
            ax.set_xlim(xmin - pad, xmax + pad)
            ax.set_ylim(ymin - pad * 3, ymax + pad)
            _scale_bar(ax, xmin, xmax, ymin - pad * 2)
        ax.set_aspect("equal")
        ax.set_axis_off()
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
        bar = figure.colorbar(mappable, ax=ax, shrink=0.7)
        bar.set_label(column.label)
        if column.kind == SHARE:
            bar.formatter = PercentFormatter(xmax=1, decimals=0)
            bar.update_ticks()
        ax.set_title(f"{report.title}: {column.label}")
        figure.tight_layout()
        return _pixels(figure)


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
