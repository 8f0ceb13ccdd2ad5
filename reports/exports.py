"""A report as a file: CSV, XLSX, GeoPackage or PDF (``export``).

* CSV: one table (the per-area table unless ``table`` names another), UTF-8 with a BOM
  so that Excel opens Chinese correctly; the header row has the column labels.
* XLSX (openpyxl): a sheet describing the report, then one sheet per table, typed cells
  (shares formatted as percentages).
* GeoPackage (GDAL through pyogrio): the per-area table as a MultiPolygon layer in EPSG:4490
  named ``<kind>_<level>``, field names = column keys; the other tables as attribute-only
  layers ``<kind>_<table>``.
* PDF: see ``reports.pdf``.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gis_app.errors import InvalidInput
from reports.kinds import ALL_FORMATS
from reports.model import INTEGER, NUMBER, SHARE, TEXT, Report, Table

FORMATS = ALL_FORMATS
# Progress of a background export: (stage, percent of the whole job).
Progress = Callable[[str, int], None]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in (NUMBER, SHARE):
        return round(float(value), 6)
    return value


def to_csv(table: Table) -> bytes:
    """One table as CSV (UTF-8 with BOM, comma-separated, labels in the header row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow(
            ["" if row.get(c.key) is None else _cell(row.get(c.key), c.kind) for c in table.columns]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Sheet"
    name, i = clean, 2
    while name in used:
        name, i = f"{clean[:25]} {i}", i + 1
    used.add(name)
    return name


def to_xlsx(report: Report) -> bytes:
    """The report as a workbook: an 'about' sheet, then one sheet per table."""
    book = Workbook()
    about = book.active
    assert about is not None
    used: set[str] = set()
    about.title = _sheet_title(_("Report"), used)
    about.append([report.title])
    about["A1"].font = Font(bold=True, size=14)
    if report.issuer:
        about.append([_("Issued by"), report.issuer])
    for label, value in report.parameter_text:
        about.append([label, value])
    about.append([_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    for note in report.notes:
        about.append([note])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 40
    formats = {SHARE: "0.0%", NUMBER: "#,##0.00", INTEGER: "#,##0", TEXT: "@"}
    for table in report.tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheet.append([c.label for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_cell(row.get(c.key), c.kind) for c in table.columns])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(10, min(40, len(column.label) * 2 + 2))
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = formats.get(column.kind, "General")
        sheet.freeze_panes = "C2" if table is report.areas else "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _field_data(table: Table) -> tuple[list[np.ndarray], list[str]]:
    arrays, names = [], []
    for column in table.columns:
        values = [row.get(column.key) for row in table.rows]
        if column.kind == INTEGER and all(v is not None for v in values):
            arrays.append(np.array(values, dtype=np.int64))
        elif column.kind in (INTEGER, NUMBER, SHARE):
            arrays.append(np.array([np.nan if v is None else v for v in values], dtype=float))
        else:
            arrays.append(np.array(["" if v is None else str(v) for v in values], dtype=object))
        names.append(column.key)
    return arrays, names


def to_gpkg(report: Report) -> bytes:
    """The report as a GeoPackage: the areas layer with polygons, the other tables as
    attribute-only layers."""
    from pyogrio.raw import write

    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        path = Path(folder) / "report.gpkg"
        areas = report.areas
        geometries = [
            shapely.to_wkb(
                shapely.multipolygons(
                    shapely.get_parts(shapely.from_wkb(report.geometries[row["code"]].wkb))
                )
            )  # fmt: skip
            for row in areas.rows
        ]
        data, fields = _field_data(areas)
        write(
            str(path),
            np.array(geometries, dtype=object),
            data,
            fields,
            layer=f"{report.kind}_{report.scope.level}",
            driver="GPKG",
            geometry_type="MultiPolygon",
            crs="EPSG:4490",
            encoding="UTF-8",
            layer_metadata={"DESCRIPTION": report.title, "IDENTIFIER": report.title},
        )
        for table in report.tables[1:]:
            data, fields = _field_data(table)
            write(
                str(path),
                None,
                data,
                fields,
                layer=f"{report.kind}_{table.key}",
                driver="GPKG",
                geometry_type=None,
                encoding="UTF-8",
                append=True,
                layer_metadata={"IDENTIFIER": table.title},
            )
        return path.read_bytes()


def filename(report: Report, extension: str) -> str:
    parts = [report.kind, report.scope.code, report.scope.level]
    if report.kind == "coverage":
        parts.append(f"n{report.parameters['n']:g}")
    if report.kind == "edits":
        parts.append(f"{report.parameters['months']}m")
    return "-".join(parts) + "." + extension


def check_format(fmt: str, offered: tuple[str, ...] = FORMATS) -> None:
    """400 naming ``format`` for anything but the formats offered (the report kind's;
    every kind offers csv, xlsx, gpkg and pdf unless its registration says otherwise)."""
    if fmt not in offered:
        raise InvalidInput(
            _("Export format must be one of %(options)s, not %(value)r.")
            % {"options": ", ".join(offered), "value": fmt[:20]},
            field="format",
        )


def _csv_table(report: Report, table: str | None) -> Table:
    chosen = report.table(table) if table else report.areas
    if chosen is None:
        raise InvalidInput(
            _("Parameter table must be one of %(options)s, not %(value)r.")
            % {"options": ", ".join(t.key for t in report.tables), "value": table},
            field="table",
        )
    return chosen


def export(
    report: Report, fmt: str, table: str | None = None, progress: Progress | None = None
) -> ExportFile:
    """The report in ``fmt`` (csv, xlsx, gpkg, pdf); ``table`` picks the CSV's table;
    ``progress`` hears how far a PDF is (the other formats are written in one step)."""
    check_format(fmt)
    if fmt == "csv":
        chosen = _csv_table(report, table)
        name = filename(report, "csv")
        if chosen is not report.areas:
            name = name.replace(".csv", f"-{chosen.key}.csv")
        return ExportFile(to_csv(chosen), CONTENT_TYPES["csv"], name)
    if fmt == "xlsx":
        content = to_xlsx(report)
    elif fmt == "gpkg":
        content = to_gpkg(report)
    else:
        from reports.pdf import to_pdf

        content = to_pdf(report, progress)
    return ExportFile(content, CONTENT_TYPES[fmt], filename(report, fmt))
