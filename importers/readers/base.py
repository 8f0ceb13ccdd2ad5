"""The reader plugin interface: one module per file format behind ``Reader`` and a registry.

A reader opens an uploaded file (already unpacked by ``importers.files``), says what it
found (``SourceInfo``: format, layer, CRS and where that came from, encoding and where that
came from, fields, row count) and yields the rows in ``Batch``es: geometries as a numpy
object array of shapely geometries in the SOURCE CRS (None where a row has none), the
attribute columns as lists, and per-row read errors. Reprojection, validation, mapping and
loading are the pipeline's job, vectorised over batches.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from gis_app.errors import InvalidInput

BATCH_ROWS = 50_000


class ImportFileError(InvalidInput):
    """The file as a whole cannot be read (refused before any row is looked at)."""

    code = "import_file"

    def __init__(self, message: Any, *, field: str = "file", **extra: Any) -> None:
        super().__init__(message, field=field, **extra)


@dataclass
class ReadOptions:
    encoding: str | None = None  # explicit text encoding: overrides .cpg / LDID / detection
    crs: str | None = None  # explicit CRS name (see gis_app.coords.parse_crs)
    layer: str | None = None  # layer inside a multi-layer source (GeoPackage, KML)
    lon_field: str | None = None  # CSV/XLSX: coordinate columns ...
    lat_field: str | None = None
    wkt_field: str | None = None  # ... or a WKT column


@dataclass
class SourceInfo:
    format: str
    layer: str | None = None
    crs: str | None = None  # normalised CRS name, None when the file does not say
    # prj | metadata | format (fixed by the format: KML, GeoJSON without ``crs``) | option | none
    crs_source: str = "none"
    encoding: str | None = None
    encoding_source: str = "n/a"  # cpg | ldid | detected | option | n/a
    fields: list[str] = field(default_factory=list)
    count: int | None = None
    notes: list[str] = field(default_factory=list)
    # CRS the column names hint at (e.g. "BD09" for lng_bd09); never applied, only suggested
    crs_suggestion: str | None = None
    # Rows a spreadsheet program shows above data row 1 (CSV/XLSX: the header row's number),
    # so that spreadsheet row = row + header_rows. 0 for formats without a header row.
    header_rows: int = 0
    # CSV/XLSX: the columns the geometry is built from (lon, lat or the WKT column)
    geometry_fields: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """Rows ``start``, ``start + 1``, ... unless ``rows`` gives the row numbers explicitly.

    ``errors`` is keyed by ROW NUMBER (the same numbering as ``start``/``rows``), not by the
    index inside the batch; ``field`` is a column name, ``"geometry"``, or ``""`` for the row
    as a whole. A row with an error still has its slot (geometry None when unreadable).
    """

    start: int  # 1-based number of the batch's first row (as a person would count rows)
    geometries: np.ndarray  # object array of shapely geometries or None, source CRS
    columns: dict[str, list[Any]]
    errors: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (field, message)
    # Row numbers when they are not consecutive (CSV/XLSX skip blank rows but count them)
    rows: np.ndarray | None = None
    fids: np.ndarray | None = None  # the source's feature ids (GDAL formats), else None

    def __len__(self) -> int:
        return len(self.geometries)

    @property
    def row_numbers(self) -> np.ndarray:
        """The row number of each row of the batch (int64 array)."""
        if self.rows is not None:
            return self.rows
        return np.arange(self.start, self.start + len(self), dtype=np.int64)


class Reader(ABC):
    """Subclasses set ``format`` and ``extensions`` and implement ``info`` and ``batches``."""

    format: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]

    def __init__(self, path: Path, options: ReadOptions) -> None:
        self.path = path
        self.options = options

    @abstractmethod
    def info(self) -> SourceInfo:
        """What the file holds; raises ImportFileError when it cannot be read at all."""

    @abstractmethod
    def batches(self, size: int = BATCH_ROWS) -> Iterator[Batch]:
        """The rows, in file order, ``size`` at a time."""


_readers: dict[str, type[Reader]] = {}


def register(reader: type[Reader]) -> type[Reader]:
    """Class decorator: make a reader available for its extensions."""
    for extension in reader.extensions:
        _readers[extension.lower()] = reader
    return reader


def reader_for(path: Path) -> type[Reader] | None:
    return _readers.get(path.suffix.lower())


def supported_extensions() -> list[str]:
    return sorted(_readers)
