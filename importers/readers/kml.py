"""KML (.kml; a .kmz is unpacked by ``importers.files`` to its main .kml first).

KML coordinates are always longitude/latitude on WGS 84 (OGC KML 2.2), so the CRS is CRS84
with ``crs_source = "format"``. Altitudes are dropped (2D). GDAL's LIBKML driver gives one
layer per folder; the only layer with placemarks is read, or the one named by
``ReadOptions.layer``. Text encoding comes from the XML declaration (GDAL handles it).
"""

from __future__ import annotations

from typing import Any

import pyogrio

from ._crs import CrsFound, option_or
from ._gdal import GdalReader, choose_layer, gdal_call, layers
from .base import register


@register
class KMLReader(GdalReader):
    format = "KML"
    extensions = (".kml",)

    def choose(self) -> str | None:
        names = [name for name, _ in layers(self)]
        if self.options.layer:
            return choose_layer(self, names, names)
        with_features = [
            name
            for name in names
            if gdal_call(self, pyogrio.read_info, self.path, layer=name).get("features", 0) != 0
        ]
        return choose_layer(self, with_features or names[:1], names)

    def crs(self, gdal_info: dict[str, Any]) -> CrsFound:
        return option_or(self.options, CrsFound("CRS84", "format"))
