"""A report as PDF (reportlab): a title page (issuing office, title, area, date, parameters,
summary and findings), the choropleth map on its basemap, the charts and the tables, every
page numbered "第 X 页 共 Y 页", all text in the embedded CJK font (so Chinese renders and
can be searched and copied). Detail columns (per class, per month) are left to the CSV,
XLSX and GeoPackage."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
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

from reports import findings, fonts, render
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
        "body": ParagraphStyle("body", parent=base, fontSize=10, leading=15, spaceAfter=3),
        "cover": ParagraphStyle("cover", parent=base, fontSize=26, leading=34, spaceAfter=4),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=15, leading=20, textColor=colors.HexColor("#24292f")
        ),
        "office": ParagraphStyle(
            "office",
            parent=base,
            fontSize=11,
            leading=16,
            textColor=colors.HexColor("#0b5cad"),
            spaceAfter=4,
        ),  # fmt: skip
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


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages back until the end, to write "page X of Y" (the total
    is known only then) and the report's title in every page's footer."""

    def __init__(self, *args: Any, title: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._title = title

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        self.saveState()
        self.setFont(fonts.FONT_NAME, 7.5)
        self.setFillColor(colors.HexColor("#57606a"))
        self.drawString(15 * mm, 10 * mm, self._title)
        self.drawRightString(
            A4[0] - 15 * mm,
            10 * mm,
            _("Page %(page)s of %(pages)s") % {"page": number, "pages": total},
        )
        self.restoreState()


def _area_text(report: Report) -> str:
    english = (translation.get_language() or "").startswith("en")
    return report.scope.label(english)


def _title_page(report: Report, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The first page: the issuing office, the title, area and date, the parameters, the
    summary and the findings."""
    area = _area_text(report)
    issued = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    story: list[Flowable] = [Spacer(1, 18 * mm)]
    if report.issuer:
        story.append(_p(report.issuer, styles["office"]))
    story.append(_p(report.title, styles["cover"]))
    story.append(_p(area, styles["subtitle"]))
    story.append(Spacer(1, 6 * mm))
    facts = [
        (_("Issued by"), report.issuer or "–"),
        (_("Date"), issued),
        *report.parameter_text,
        (_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]
    story.append(
        PdfTable(
            [[_p(k, styles["base"]), _p(v, styles["base"])] for k, v in facts],
            colWidths=[35 * mm, WIDTH - 35 * mm],
            hAlign="LEFT",
            style=PdfTableStyle(
                [("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d7de"))]
            ),
        )
    )
    story.append(_p(_("Summary"), styles["h2"]))
    story.append(_p(findings.summary(report, area), styles["body"]))
    story.append(_p(_("Findings"), styles["h2"]))
    story.append(
        ListFlowable(
            [
                ListItem(_p(text, styles["body"]), leftIndent=10)
                for text in findings.findings(report)
            ],
            bulletType="bullet",
            start="•",
            leftIndent=10,
        )
    )
    story.append(PageBreak())
    return story


def to_pdf(report: Report, progress: Callable[[str, int], None] | None = None) -> bytes:
    """The PDF bytes: a title page (issuing office, title, area, date, parameters,
    summary and findings), the map page, the charts, then the tables; every page
    numbered "page X of Y".
    ``progress(stage, percent)`` is told each step (map, each chart, layout): 40 to 95."""

    def step(stage: str, percent: int) -> None:
        if progress is not None:
            progress(stage, percent)

    styles = _styles()
    story: list[Flowable] = _title_page(report, styles)
    step("map", 40)
    story.append(_p(report.title, styles["title"]))
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
        author=report.issuer or _("Smart community platform"),
    )
    document.build(
        story,
        canvasmaker=functools.partial(
            _NumberedCanvas, title=f"{report.title} · {_area_text(report)}"
        ),
    )
    return buffer.getvalue()
