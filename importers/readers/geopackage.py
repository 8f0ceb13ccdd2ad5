"""OGC GeoPackage (.gpkg): one layer per read, chosen by ``ReadOptions.layer``.

Without the option the only feature (spatial) layer is read; several feature layers refuse
the file with their names listed. A plain attribute table can be read only when named. The
CRS comes from the layer's ``gpkg_spatial_ref_sys`` entry (``crs_source = "metadata"``);
an undefined SRS (srs_id 0 or -1) or one PROJ cannot match to an EPSG code means no CRS.
Text in a GeoPackage is always UTF-8.
"""

from __future__ import annotations

from typing import Any

from ._crs import CrsFound, from_definition, option_or, unrecognised_note
from ._gdal import GdalReader, choose_layer, layers
from .base import register


@register
class GeoPackageReader(GdalReader):
    format = "GeoPackage"
    extensions = (".gpkg",)

    def choose(self) -> str | None:
        listed = layers(self)
        spatial = [name for name, kind in listed if kind is not None]
        return choose_layer(self, spatial, [name for name, _ in listed])

    def encoding(self) -> tuple[str | None, str, list[str]]:
        notes = []
        if self.options.encoding:
            notes.append("GeoPackage text is always UTF-8; the encoding option is ignored.")
        return "UTF-8", "n/a", notes

    def crs(self, gdal_info: dict[str, Any]) -> CrsFound:
        declared = gdal_info.get("crs")
        found = CrsFound(None, "none")
        if declared:
            crs, description = from_definition(declared)
            if crs is not None:
                found = CrsFound(crs, "metadata")
            else:
                found.notes.append(unrecognised_note("layer's spatial reference", description))
        return option_or(self.options, found)
