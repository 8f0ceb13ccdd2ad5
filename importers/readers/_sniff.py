"""Content checks: is the file what its extension says, complete, and not empty?

Run before GDAL sees a file, because GDAL is lenient where an importer must not be: a
Shapefile cut in half reads as "valid" with the missing shapes turned into null geometries.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ._dbf import DbfError, read_header
from .base import ImportFileError

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or the end record of an empty zip
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted .xlsx
SQLITE_MAGIC = b"SQLite format 3\x00"
SHAPEFILE_CODE = 9994
SHAPE_TYPES = frozenset({0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28, 31})
SHAPEFILE_PARTS = (".shx", ".dbf")  # required next to a .shp

_KINDS = (
    (ZIP_MAGICS, "a zip archive"),
    ((OLE2_MAGIC,), "an old-style Office file (.xls, .doc) or an encrypted Office file"),
    ((SQLITE_MAGIC,), "an SQLite database (a GeoPackage?)"),
    ((b"%PDF",), "a PDF document"),
    ((b"\x1f\x8b",), "a gzip archive"),
    ((b"Rar!",), "a RAR archive"),
    ((b"7z\xbc\xaf",), "a 7-Zip archive"),
    ((b"\x89PNG", b"\xff\xd8\xff", b"GIF8"), "an image"),
    ((b"II*\x00", b"MM\x00*"), "a TIFF image"),
)


def describe(head: bytes) -> str | None:
    """What a file is by its first bytes, when it is one of the common binary kinds."""
    for magics, kind in _KINDS:
        if head.startswith(magics):
            return kind
    if head[:4] == struct.pack(">i", SHAPEFILE_CODE):
        return "a Shapefile .shp/.shx"
    return None


def sibling(path: Path, extension: str) -> Path | None:
    """The file next to ``path`` with the same stem and ``extension``, any letter case."""
    exact = path.with_suffix(extension)
    if exact.exists():
        return exact
    wanted = (path.stem + extension).lower()
    for candidate in path.parent.iterdir():
        if candidate.name.lower() == wanted:
            return candidate
    return None


def _head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _text_start(head: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf",):
        if head.startswith(bom):
            head = head[len(bom) :]
    return head.lstrip(b" \t\r\n")


def _not_what_it_says(path: Path, expected: str, head: bytes) -> ImportFileError:
    kind = describe(head)
    found = f"it is {kind}" if kind else "its content does not match"
    return ImportFileError(f"{path.name} is not {expected}: {found}.")


def check_shapefile(shp: Path) -> None:
    """The .shp, .shx and .dbf exist, are Shapefile/dBase files and are not cut short."""
    shp_size = _check_main_file(shp)
    missing = [ext for ext in SHAPEFILE_PARTS if sibling(shp, ext) is None]
    if missing:
        raise ImportFileError(
            f"The Shapefile {shp.name} is incomplete: {' and '.join(missing)} missing. A "
            "Shapefile is a set of files (.shp, .shx, .dbf, usually .prj and .cpg) with the "
            "same name; upload them together in one .zip."
        )
    shx = sibling(shp, ".shx")
    dbf = sibling(shp, ".dbf")
    assert shx is not None and dbf is not None
    shx_size = _check_main_file(shx)
    if (shx_size - 100) % 8:
        raise ImportFileError(f"{shx.name} is damaged: its size is not a whole number of records.")
    with shx.open("rb") as handle:
        handle.seek(100)
        index = np.frombuffer(handle.read(), dtype=">i4").reshape(-1, 2).astype(np.int64)
    shapes = len(index)
    if shapes:
        ends = index[:, 0] * 2 + 8 + index[:, 1] * 2
        if int(index[:, 0].min()) < 50 or int(ends.max()) > shp_size:
            raise ImportFileError(
                f"{shp.name} is truncated or damaged: its index ({shx.name}) points past the end "
                f"of the file ({shp_size:,} bytes)."
            )
    try:
        header = read_header(dbf)
    except DbfError as exc:
        raise ImportFileError(str(exc)) from None
    if header.records != shapes:
        raise ImportFileError(
            f"The Shapefile {shp.name} is inconsistent: {shx.name} lists {shapes:,} shapes but "
            f"{dbf.name} has {header.records:,} rows."
        )


def _check_main_file(path: Path) -> int:
    """Header checks shared by .shp and .shx; returns the file size."""
    size = path.stat().st_size
    head = _head(path, 100)
    if len(head) < 100 or struct.unpack(">i", head[:4])[0] != SHAPEFILE_CODE:
        raise _not_what_it_says(path, f"a Shapefile {path.suffix.lower()}", head)
    declared = struct.unpack(">i", head[24:28])[0] * 2
    shape_type = struct.unpack("<i", head[32:36])[0]
    if shape_type not in SHAPE_TYPES:
        raise ImportFileError(f"{path.name} is damaged: unknown shape type {shape_type}.")
    if size < declared:
        raise ImportFileError(
            f"{path.name} is truncated: its header says {declared:,} bytes but the file has "
            f"only {size:,}. Upload the complete file."
        )
    return size


def check_content(path: Path) -> None:
    """Refuse empty files and files whose content contradicts their extension."""
    size = path.stat().st_size
    if size == 0:
        raise ImportFileError(f"{path.name} is empty (0 bytes).")
    extension = path.suffix.lower()
    head = _head(path)
    if extension == ".shp":
        check_shapefile(path)
    elif extension == ".gpkg":
        if not head.startswith(SQLITE_MAGIC):
            raise _not_what_it_says(path, "a GeoPackage (SQLite) file", head)
    elif extension in (".xlsx", ".zip", ".kmz"):
        if head.startswith(OLE2_MAGIC) and extension == ".xlsx":
            raise ImportFileError(
                f"{path.name} is an old-format Excel (.xls) or a password-protected workbook. "
                "Save it from Excel as .xlsx (without a password) or as CSV UTF-8."
            )
        if not head.startswith(ZIP_MAGICS):
            expected = "an Excel .xlsx workbook" if extension == ".xlsx" else "a zip archive"
            raise _not_what_it_says(path, expected, head)
    elif extension in (".geojson", ".json", ".topojson"):
        if not _text_start(head).startswith(b"{"):
            raise _not_what_it_says(path, "a JSON object (GeoJSON/TopoJSON)", head)
    elif extension == ".kml":
        if not _text_start(head).startswith(b"<"):
            raise _not_what_it_says(path, "a KML (XML) document", head)
    elif extension == ".csv":
        check_csv_head(path, head)


def check_csv_head(path: Path, head: bytes) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 text has NUL bytes
    if head.startswith(ZIP_MAGICS):
        raise ImportFileError(
            f"{path.name} is a zip file (an Excel .xlsx workbook renamed .csv?), not CSV text. "
            "Upload it with its real extension."
        )
    if b"\x00" in head:
        kind = describe(head)
        raise ImportFileError(f"{path.name} is not CSV text: it is {kind or 'a binary file'}.")
