"""A report as PDF (reportlab): title and parameters, the choropleth map, the charts and
the tables, all text in the embedded CJK font (so Chinese renders and can be searched and
copied). Detail columns (per class, per month) are left to the CSV, XLSX and GeoPackage."""

from __future__ import annotations

import io
from collections.abc import Callable
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import (
    Table as PdfTable,
)
from reportlab.platypus import (
    TableStyle as PdfTableStyle,
)
from reportlab.platypus.flowables import Flowable

from reports import fonts, render
from reports.format import display
from reports.model import Report, Table

WIDTH = A4[0] - 30 * mm
# Binary image streams: reportlab's ASCII85 text encoding of images runs in pure Python
# here (no C accelerator) and was a quarter of a PDF's time; the PDF is binary anyway.
rl_config.useA85 = 0


def _styles() -> dict[str, ParagraphStyle]:
    fonts.cjk_font()  # registers fonts.FONT_NAME
    base = ParagraphStyle("base", fontName=fonts.FONT_NAME, fontSize=9, leading=12,
                          wordWrap="CJK")  # fmt: skip
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4
        ),  # fmt: skip
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "small": ParagraphStyle(
            "small", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#57606a")
        ),  # fmt: skip
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (Paragraph parses markup: escape it)."""
    return Paragraph(escape(text), style)


class _Picture(Flowable):
    """A rendered image drawn ``width`` wide (the pixels go into the PDF as they are)."""

    def __init__(self, image: PILImage.Image, width: float) -> None:
        super().__init__()
        self.reader = ImageReader(image)
        pixels_wide, pixels_high = image.size
        self.drawWidth, self.drawHeight = width, pixels_high * width / pixels_wide

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.drawWidth, self.drawHeight

    def draw(self) -> None:
        self.canv.drawImage(self.reader, 0, 0, self.drawWidth, self.drawHeight)


def _table(table: Table, styles: dict[str, ParagraphStyle]) -> PdfTable:
    columns = [c for c in table.columns if not c.detail]
    header = [_p(c.label, styles["cell"]) for c in columns]
    body = [
        [_p(display(row.get(c.key), c.kind), styles["cell"]) for c in columns] for row in table.rows
    ]
    # Codes and names get more room than figures.
    weights = [1.6 if c.kind == "text" else 1.0 for c in columns]
    widths = [WIDTH * w / sum(weights) for w in weights]
    result = PdfTable([header, *body], repeatRows=1, colWidths=widths)
    result.setStyle(
        PdfTableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#57606a")),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d0d7de")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return result


def to_pdf(report: Report, progress: Callable[[str, int], None] | None = None) -> bytes:
    """The PDF bytes: page 1 the title, parameters and map; then charts; then tables.
    ``progress(stage, percent)`` is told each step (map, each chart, layout): 40 to 95."""

    def step(stage: str, percent: int) -> None:
        if progress is not None:
            progress(stage, percent)

    styles = _styles()
    story: list[Flowable] = [_p(report.title, styles["title"])]
    facts = [*report.parameter_text]
    facts.append((_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")))
    story.append(
        PdfTable(
            [[_p(k, styles["base"]), _p(v, styles["base"])] for k, v in facts],
            colWidths=[35 * mm, WIDTH - 35 * mm],
            hAlign="LEFT",
        )
    )
    story.append(Spacer(1, 4 * mm))
    step("map", 40)
    story.append(_Picture(render.map_image(report), WIDTH))
    story.extend(_p(note, styles["small"]) for note in report.notes)
    story.append(PageBreak())
    for i, chart in enumerate(report.charts):
        step("charts", 55 + 30 * i // max(1, len(report.charts)))
        story.append(KeepTogether([_Picture(render.chart_image(chart), WIDTH), Spacer(1, 4 * mm)]))
    for table in report.tables:
        story.append(_p(table.title, styles["h2"]))
        story.append(_table(table, styles))
    if any(c.detail for c in report.areas.columns):
        story.append(Spacer(1, 3 * mm))
        story.append(
            _p(
                _("Per-class and per-month columns are in the CSV, XLSX and GeoPackage files."),
                styles["small"],
            )
        )

    def footer(canvas: object, doc: SimpleDocTemplate) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(fonts.FONT_NAME, 7)  # type: ignore[attr-defined]
        canvas.drawRightString(  # type: ignore[attr-defined]
            A4[0] - 15 * mm, 10 * mm, f"{report.title} · {doc.page}"
        )
        canvas.restoreState()  # type: ignore[attr-defined]

    step("layout", 90)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=report.title,
        author=_("Smart community platform"),
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
