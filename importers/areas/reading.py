"""Reading an area file: the importer's readers give the rows (Shapefile with its .cpg,
LDID or detected encoding, GeoPackage, GeoJSON, TopoJSON, KML), ``gis_app.coords`` converts
their geometries to CGCS2000 (GCJ-02 and BD-09 included). A file that does not say its
coordinate system is refused unless the user names it: never guessed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from gis_app import coords
from gis_app.types import User
from importers.files import unpack
from importers.readers import ImportFileError, ReadOptions, SourceInfo, crs_hint, open_reader
from layers.area_import import AreaFeature, AreaImportReport, import_areas
from layers.area_import.files import FileOptions, load_code_map

__all__ = [
    "AreaFileOptions",
    "describe",
    "load_code_map",
    "read_area_features",
    "read_upload",
    "run",
]

# Area imports run synchronously (in the request, for the page and the admin): files of
# areas are small (the 332 grid cells of a district: 231 kB).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


AreaFileOptions = FileOptions


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


def read_upload(
    upload: UploadedFile, workdir: Path, options: AreaFileOptions
) -> tuple[list[AreaFeature], str]:
    """An uploaded area file (a .zip holding a Shapefile set, or one file) unpacked safely
    into ``workdir`` and read; the port ``layers.area_import.files`` calls this."""
    name = Path(upload.name or "upload").name
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _("%(name)s is larger than %(mb)d MB, the limit for area files.")
            % {"name": name, "mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    target = workdir / name
    with target.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    main = unpack(target, workdir / "unpacked", max_bytes=MAX_UPLOAD_BYTES)
    features, info = read_area_features(main, options)
    return features, describe(name, info)


def describe(name: str, info: SourceInfo) -> str:
    """One line on what was read: format, CRS and encoding, and where they came from."""
    return _(
        "%(name)s: %(format)s, coordinate system %(crs)s (%(crs_source)s), encoding "
        "%(encoding)s (%(encoding_source)s), %(count)s features."
    ) % {
        "name": name,
        "format": info.format,
        "crs": info.crs,
        "crs_source": info.crs_source,
        "encoding": info.encoding or "-",
        "encoding_source": info.encoding_source,
        "count": info.count if info.count is not None else "?",
    }


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
