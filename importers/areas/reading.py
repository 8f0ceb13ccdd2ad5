"""Reading an area file: the importer's readers give the rows (Shapefile with its .cpg,
LDID or detected encoding, GeoPackage, GeoJSON, TopoJSON, KML), ``gis_app.coords`` converts
their geometries to CGCS2000 (GCJ-02 and BD-09 included). A file that does not say its
coordinate system is refused unless the user names it: never guessed."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from gis_app import coords
from gis_app.types import User
from importers.readers import ImportFileError, ReadOptions, SourceInfo, crs_hint, open_reader
from layers.area_import import AreaFeature, AreaImportReport, import_areas

CODE_MAP_MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class AreaFileOptions:
    """Which fields hold what, and how to read the file."""

    code_field: str
    name_field: str
    parent_field: str | None = None
    parent: str | None = None  # one parent code for every feature
    crs: str | None = None
    encoding: str | None = None
    layer: str | None = None


def _text(value: Any) -> str:
    """A field's value as text: whole numbers without '.0' (codes read as numbers)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return str(value)
    return str(value).strip()


def _check_field(info: SourceInfo, name: str | None, option: str) -> None:
    if name and name not in info.fields:
        raise ImportFileError(
            _("The file has no field %(name)s (%(option)s). Its fields: %(fields)s.")
            % {"name": name, "option": option, "fields": ", ".join(info.fields) or "-"},
            field=option,
        )


def read_area_features(
    path: Path, options: AreaFileOptions
) -> tuple[list[AreaFeature], SourceInfo]:
    """The file's features as ``AreaFeature``s in EPSG:4490, and what the reader found
    (format, CRS, encoding). ``ImportFileError`` (naming the field or option) when the file
    cannot be read, names no CRS and none is given, or lacks a named field."""
    if options.crs:
        try:
            coords.parse_crs(options.crs)
        except ValueError as exc:
            raise ImportFileError(str(exc), field="crs") from None
    reader = open_reader(
        Path(path), ReadOptions(encoding=options.encoding, crs=options.crs, layer=options.layer)
    )
    info = reader.info()
    if info.crs is None:
        raise ImportFileError(crs_hint(info), field="crs")
    _check_field(info, options.code_field, "code_field")
    _check_field(info, options.name_field, "name_field")
    _check_field(info, options.parent_field, "parent_field")
    features: list[AreaFeature] = []
    for batch in reader.batches():
        columns = batch.columns
        for index, row in enumerate(batch.row_numbers.tolist()):
            geom = batch.geometries[index]
            if geom is not None:
                geom = coords.transform_geometry(geom, info.crs)
            parent = options.parent
            if options.parent_field:
                parent = _text(columns[options.parent_field][index]) or parent
            attributes = {
                name: values[index]
                for name, values in columns.items()
                if name not in (options.code_field, options.name_field)
                and isinstance(values[index], str | int | float | bool)
            }
            features.append(
                AreaFeature(
                    row=int(row),
                    code=_text(columns[options.code_field][index]),
                    name=_text(columns[options.name_field][index]),
                    parent=parent or None,
                    geometry=geom,
                    attributes=attributes,
                )
            )
    return features, info


def load_code_map(data: bytes) -> dict[str, str]:
    """A code map (CSV: source_code,standard_code; a header row is optional) as a dict;
    ``ImportFileError`` naming ``code_map`` and the line when it is malformed."""
    if len(data) > CODE_MAP_MAX_BYTES:
        raise ImportFileError(_("The code map is too large."), field="code_map")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The code map must be UTF-8 text."), field="code_map") from None
    mapping: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and not any(ch.isdigit() for ch in cells[-1]):
            continue  # a header (source_code,standard_code)
        if len(cells) != 2 or not cells[0] or not cells[1].isdigit():
            raise ImportFileError(
                _("Code map line %(line)d: expected source_code,standard_code (digits).")
                % {"line": number},
                field="code_map",
            )
        mapping[cells[0]] = cells[1]
    return mapping


def run(
    path: Path,
    level: str,
    options: AreaFileOptions,
    *,
    user: User,
    comment: str,
    tolerance_m: float = 30.0,
    repair: bool = False,
    dry_run: bool = False,
    code_map: Mapping[str, str] | None = None,
    codes_by_name: bool = False,
    address: str | None = None,
) -> tuple[AreaImportReport, SourceInfo]:
    """Read the file and import its areas (see ``layers.area_import.import_areas``)."""
    features, info = read_area_features(path, options)
    report = import_areas(
        features,
        level,
        user=user,
        comment=comment,
        tolerance_m=tolerance_m,
        repair=repair,
        dry_run=dry_run,
        code_map=code_map,
        codes_by_name=codes_by_name,
        address=address,
    )
    return report, info
