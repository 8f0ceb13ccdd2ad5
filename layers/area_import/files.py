"""The port through which uploaded area files are read: ``layers`` sits below the importer
in the dependency picture, so the importer (``importers.areas``) registers its reader
here at start-up, and the admin's upload and the import page both call it. Also the
options of a file (which fields hold what) and the code map (CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from gis_app.errors import InvalidInput
from layers.area_import.features import AreaFeature

CODE_MAP_MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class FileOptions:
    """Which fields of a file hold what, and how to read it."""

    code_field: str
    name_field: str
    parent_field: str | None = None
    parent: str | None = None  # one parent code for every feature
    crs: str | None = None
    encoding: str | None = None
    layer: str | None = None


# (uploaded file, a private working directory, options) -> (features, what was read: a
# line naming the format, CRS and encoding)
UploadReader = Callable[[Any, Path, FileOptions], tuple[list[AreaFeature], str]]
_reader: list[UploadReader] = []


def register_upload_reader(reader: UploadReader) -> None:
    """Register the reader of uploaded area files (once, at start-up)."""
    _reader[:] = [reader]


def read_upload(upload: Any, workdir: Path, options: FileOptions) -> tuple[list[AreaFeature], str]:
    """The features of an uploaded file, through the registered reader."""
    if not _reader:
        raise InvalidInput(_("Area files cannot be read here (no reader)."), field="file")
    return _reader[0](upload, workdir, options)


def load_code_map(data: bytes) -> dict[str, str]:
    """A code map (CSV: source_code,standard_code; a header row is optional) as a dict;
    ``InvalidInput`` naming ``code_map`` and the line when it is malformed."""
    if len(data) > CODE_MAP_MAX_BYTES:
        raise InvalidInput(_("The code map is too large."), field="code_map")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("The code map must be UTF-8 text."), field="code_map") from None
    mapping: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and not any(ch.isdigit() for ch in cells[-1]):
            continue  # a header (source_code,standard_code)
        if len(cells) != 2 or not cells[0] or not cells[1].isdigit():
            raise InvalidInput(
                _("Code map line %(line)d: expected source_code,standard_code (digits).")
                % {"line": number},
                field="code_map",
            )
        mapping[cells[0]] = cells[1]
    return mapping
