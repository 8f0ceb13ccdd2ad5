"""File-format readers for the importer (see ``base`` for the interface).

Usage::

    from importers.files import unpack
    from importers.readers import ReadOptions, crs_hint, open_reader

    path = unpack(upload, workdir)                 # safe unzip + content checks
    reader = open_reader(path, ReadOptions(crs=None, encoding=None))
    info = reader.info()                           # ImportFileError if unreadable
    if info.crs is None:
        refuse(crs_hint(info))
    for batch in reader.batches():                 # geometries in info.crs, per-row errors
        ...
"""

from __future__ import annotations

import re
from pathlib import Path

from . import csv_reader, geojson, geopackage, kml, shapefile, topojson, xlsx
from .base import (
    BATCH_ROWS,
    Batch,
    ImportFileError,
    Reader,
    ReadOptions,
    SourceInfo,
    reader_for,
    register,
    supported_extensions,
)

__all__ = [
    "BATCH_ROWS",
    "Batch",
    "ImportFileError",
    "ReadOptions",
    "Reader",
    "SourceInfo",
    "crs_hint",
    "csv_reader",
    "geojson",
    "geopackage",
    "kml",
    "open_reader",
    "reader_for",
    "register",
    "shapefile",
    "supported_extensions",
    "topojson",
    "unsupported_message",
    "xlsx",
]

ARCHIVE_EXTENSIONS = (".zip", ".kmz")
_TOPOLOGY_RE = re.compile(rb'"type"\s*:\s*"Topology"')

_ADVICE = {
    ".xls": "Old Excel .xls workbooks are not read: save it as .xlsx or as CSV UTF-8.",
    ".shx": "A Shapefile is read from its .shp, with the .shx and .dbf beside it: upload the "
    "whole set in one .zip.",
    ".dbf": "A Shapefile is read from its .shp, with the .shx and .dbf beside it: upload the "
    "whole set in one .zip.",
    ".prj": "A .prj is part of a Shapefile: upload the whole set in one .zip.",
    ".rar": "Only .zip archives are accepted.",
    ".7z": "Only .zip archives are accepted.",
    ".gz": "Only .zip archives are accepted.",
    ".tar": "Only .zip archives are accepted.",
}


def unsupported_message(path: Path) -> str:
    """The error for a file type no reader handles, listing the supported extensions."""
    extension = path.suffix.lower() or "(no extension)"
    accepted = ", ".join(supported_extensions() + list(ARCHIVE_EXTENSIONS))
    advice = _ADVICE.get(path.suffix.lower(), "")
    return (
        f"Unsupported file type {extension} ({path.name}). Supported: {accepted} "
        f"(a .zip may hold a Shapefile set or one file of another supported type). {advice}"
    ).strip()


def open_reader(path: Path, options: ReadOptions | None = None) -> Reader:
    """The reader for ``path`` by its extension (a .json holding a Topology is TopoJSON)."""
    path = Path(path)
    options = options or ReadOptions()
    cls = reader_for(path)
    if cls is None:
        raise ImportFileError(unsupported_message(path))
    if path.suffix.lower() == ".json":
        with path.open("rb") as handle:
            if _TOPOLOGY_RE.search(handle.read(4096)):
                cls = topojson.TopoJSONReader
    return cls(path, options)


def crs_hint(info: SourceInfo) -> str:
    """Why the file cannot be placed and how to give its CRS (for a refusal message)."""
    message = (
        "The file does not say which coordinate system it uses. Give one: --crs EPSG:4326 "
        "(GPS/WGS 84), --crs EPSG:4490 (CGCS2000), --crs GCJ02 (Amap/Tencent), --crs BD09 "
        "(Baidu), or another EPSG code."
    )
    if info.crs_suggestion:
        message += (
            f" The coordinate column names suggest {info.crs_suggestion}: "
            f"--crs {info.crs_suggestion} if that is right."
        )
    details = [note for note in info.notes if "CRS" in note or "coordinate" in note]
    if details:
        message += " " + " ".join(details)
    return message
