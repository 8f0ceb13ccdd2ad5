"""CSV text with lon/lat columns or a WKT column (see ``_tabular`` for column detection).

Read with Python's ``csv`` module rather than GDAL, for control over encoding detection,
column detection and per-row errors.

* **Encoding**: ``ReadOptions.encoding`` if given (``"option"``); else a byte-order mark
  (UTF-8 or UTF-16; ``"detected"``); else the whole file is decoded strictly as UTF-8, and
  if that fails as GB18030 (``"detected"``). Bytes valid in neither refuse the file.
* **Delimiter**: the most frequent of ``,`` tab ``;`` ``|`` in the header line.
* **Header**: the first non-blank record; blank names become ``column_N``, repeated names get
  ``_2``, ``_3`` (noted).
* **Row numbers**: data rows count from 1 and the HEADER DOES NOT COUNT: row 1 is the first
  record after the header, which a spreadsheet program shows on row 2
  (``SourceInfo.header_rows`` = 1, so spreadsheet row = row + header_rows). Blank records
  are skipped but keep their number, so numbers stay what the user sees (then
  ``Batch.rows`` lists them). A record is a CSV record: a quoted value spanning lines is one
  row.
* **Values**: every column as text, exactly as in the file (the pipeline converts types).
  A record with more values than the header has an error on field ``""``; a shorter one is
  padded with None.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import _encoding as enc
from ._crs import CrsFound, option_or
from ._tabular import RowCollector, find_columns, suggest_crs, unique_header
from .base import BATCH_ROWS, Batch, ImportFileError, Reader, SourceInfo, register

# The csv module refuses fields over 128 KiB by default; a WKT polygon can be larger. This
# sets a process-wide limit of the csv module (there is no per-reader setting).
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))

_CHUNK = 1024 * 1024
_DELIMITERS = (",", "\t", ";", "|")
_BOMS = (
    (codecs.BOM_UTF8, "UTF-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "UTF-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "UTF-16", "utf-16"),
)


def first_undecodable(path: Path, codec: str) -> int | None:
    """Byte offset of the first byte ``codec`` cannot decode, or None if the file decodes."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + max(0, exc.start)
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def _blank(record: list[str]) -> bool:
    if record and record[0].strip():  # the common case, decided without scanning the row
        return False
    return not "".join(record).strip()


@register
class CSVReader(Reader):
    format = "CSV"
    extensions = (".csv",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._info: SourceInfo | None = None
        self._codec = "utf-8"
        self._delimiter = ","

    def _encoding(self) -> tuple[str, str, list[str]]:
        """(canonical name, source); sets the Python codec used to read."""
        head = self.path.open("rb").read(4)
        if self.options.encoding:
            try:
                name = enc.canonical(self.options.encoding)
            except LookupError:
                raise ImportFileError(
                    f"Unknown encoding {self.options.encoding!r}; use a name such as UTF-8, "
                    "GB18030, GBK or BIG5.",
                    field="encoding",
                ) from None
            self._codec = "utf-8-sig" if name == enc.UTF8 else name
            bad = first_undecodable(self.path, self._codec)
            if bad is not None:
                other = next(
                    (
                        c
                        for c in (enc.UTF8, enc.GB18030)
                        if c != name and first_undecodable(self.path, c) is None
                    ),
                    None,
                )
                looks = f"; it looks like {other}" if other else ""
                raise ImportFileError(
                    f"The encoding option says {name} but {self.path.name} is not {name} "
                    f"(undecodable byte at offset {bad:,}){looks}.",
                    field="encoding",
                )
            return name, "option", []
        for bom, name, codec in _BOMS:
            if head.startswith(bom):
                self._codec = codec
                if first_undecodable(self.path, codec) is not None:
                    raise ImportFileError(
                        f"{self.path.name} starts with a {name} byte-order mark but is not "
                        f"valid {name}.",
                        field="encoding",
                    )
                return name, "detected", [f"{name} with a byte-order mark."]
        for name, codec in ((enc.UTF8, "utf-8"), (enc.GB18030, "gb18030")):
            if first_undecodable(self.path, codec) is None:
                self._codec = codec
                return name, "detected", []
        raise ImportFileError(
            f"{self.path.name} is neither UTF-8 nor GB18030 text; give its encoding "
            "explicitly (e.g. encoding=BIG5 or encoding=CP1252).",
            field="encoding",
        )

    def _records(self) -> Iterator[list[str]]:
        with self.path.open("r", encoding=self._codec, newline="") as handle:
            yield from csv.reader(handle, delimiter=self._delimiter, strict=False)

    def _header(self) -> tuple[list[str], int, list[str]]:
        with self.path.open("r", encoding=self._codec, newline="") as handle:
            for line in handle:
                if line.strip():
                    counts = {d: line.count(d) for d in _DELIMITERS}
                    best = max(counts, key=lambda d: counts[d])
                    self._delimiter = best if counts[best] else ","
                    break
        number = 0
        try:
            for number, record in enumerate(self._records(), start=1):  # noqa: B007
                if not _blank(record):
                    header, notes = unique_header(record)
                    return header, number, notes
        except csv.Error as exc:
            raise ImportFileError(f"{self.path.name}: bad CSV in the header: {exc}") from None
        raise ImportFileError(f"{self.path.name} has no header row (the file is blank).")

    def info(self) -> SourceInfo:
        if self._info is not None:
            return self._info
        encoding, source, notes = self._encoding()
        header, header_rows, header_notes = self._header()
        coords = find_columns(header, self.options)
        found = option_or(self.options, CrsFound(None, "none"))
        self._coords = coords
        self._info = SourceInfo(
            format=self.format,
            crs=found.crs,
            crs_source=found.source,
            encoding=encoding,
            encoding_source=source,
            fields=header,
            notes=notes + header_notes + coords.notes + found.notes,
            crs_suggestion=suggest_crs(coords.names),
            geometry_fields=coords.names,
            header_rows=header_rows,
        )
        return self._info

    def batches(self, size: int = BATCH_ROWS) -> Iterator[Batch]:
        info = self.info()
        collector = RowCollector(info.fields, self._coords)
        width = len(info.fields)
        records = self._records()
        row = 0
        try:
            for _ in range(info.header_rows):
                next(records)
            for row, record in enumerate(records, start=1):  # noqa: B007
                if _blank(record):
                    continue
                error = None
                if len(record) > width:
                    error = ("", f"has {len(record)} values but the header has {width} columns")
                collector.add(row, record, error)
                if len(collector) >= size:
                    yield collector.batch()
                    collector.clear()
        except csv.Error as exc:
            raise ImportFileError(
                f"{self.path.name}: bad CSV after data row {row}: {exc}"
            ) from None
        if len(collector):
            yield collector.batch()
