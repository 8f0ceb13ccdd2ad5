"""Excel workbooks (.xlsx) with lon/lat columns or a WKT column, like CSV.

Read with openpyxl in read-only, values-only mode (formulas give their cached values). The
sheet is ``ReadOptions.layer`` or the FIRST sheet (a note names the others). The header is
the first non-empty row. Row numbers: data rows count from 1 and the header does not count;
``SourceInfo.header_rows`` is the header's Excel row number, so the Excel row is
row + header_rows (data row 1 is Excel row 2 when the header is on row 1). Blank rows are
skipped but keep their number. Cell values keep their Excel types (float, int, str,
datetime, bool, None).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from ._crs import CrsFound, option_or
from ._tabular import RowCollector, find_columns, suggest_crs, unique_header
from .base import BATCH_ROWS, Batch, ImportFileError, Reader, SourceInfo, register


def _blank(values: tuple[Any, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


@register
class XLSXReader(Reader):
    format = "XLSX"
    extensions = (".xlsx",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._info: SourceInfo | None = None

    def _open(self) -> tuple[Workbook, ReadOnlyWorksheet]:
        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(
                f"{self.path.name} cannot be read as an Excel .xlsx workbook ({exc})."
            ) from None
        names = book.sheetnames
        wanted = self.options.layer or (names[0] if names else None)
        if wanted not in names:
            book.close()
            raise ImportFileError(
                f"{self.path.name} has no sheet {wanted!r}; its sheets are: "
                + ", ".join(repr(n) for n in names),
                field="layer",
            )
        sheet = book[wanted]
        if not isinstance(sheet, ReadOnlyWorksheet):
            book.close()
            raise ImportFileError(f"Sheet {wanted!r} is a chart, not a table.", field="layer")
        sheet.reset_dimensions()  # do not trust the stored dimension: read every row
        return book, sheet

    def _rows(self, sheet: ReadOnlyWorksheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
        yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)

    def info(self) -> SourceInfo:
        if self._info is not None:
            return self._info
        book, sheet = self._open()
        try:
            header_row, raw = next(
                ((n, values) for n, values in self._rows(sheet) if not _blank(values)),
                (0, ()),
            )
        finally:
            book.close()
        if not header_row:
            raise ImportFileError(f"Sheet {sheet.title!r} of {self.path.name} is empty.")
        while raw and (raw[-1] is None or str(raw[-1]).strip() == ""):
            raw = raw[:-1]  # Excel often reports formatted but empty columns on the right
        header, notes = unique_header(raw)
        coords = find_columns(header, self.options)
        found = option_or(self.options, CrsFound(None, "none"))
        if len(book.sheetnames) > 1 and not self.options.layer:
            notes.append(
                f"Read the first sheet {sheet.title!r}; the workbook also has "
                + ", ".join(repr(n) for n in book.sheetnames[1:])
                + " (choose one with the layer option)."
            )
        if self.options.encoding:
            notes.append("An .xlsx workbook is always Unicode; the encoding option is ignored.")
        self._coords = coords
        self._info = SourceInfo(
            format=self.format,
            layer=sheet.title,
            crs=found.crs,
            crs_source=found.source,
            fields=header,
            notes=notes + found.notes,
            crs_suggestion=suggest_crs(coords.names),
            geometry_fields=coords.names,
            header_rows=header_row,
        )
        return self._info

    def batches(self, size: int = BATCH_ROWS) -> Iterator[Batch]:
        info = self.info()
        collector = RowCollector(info.fields, self._coords)
        width = len(info.fields)
        book, sheet = self._open()
        try:
            for excel_row, values in self._rows(sheet):
                if excel_row <= info.header_rows or _blank(values):
                    continue
                row = excel_row - info.header_rows
                error = None
                extra = [v for v in values[width:] if v is not None and str(v).strip()]
                if extra:
                    error = ("", f"has values beyond the {width} named columns")
                collector.add(row, values, error)
                if len(collector) >= size:
                    yield collector.batch()
                    collector.clear()
        finally:
            book.close()
        if len(collector):
            yield collector.batch()
