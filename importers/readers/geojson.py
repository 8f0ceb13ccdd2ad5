"""GeoJSON (.geojson, .json).

CRS: RFC 7946 GeoJSON has no ``crs`` member and is always CRS84 (``crs_source = "format"``).
A legacy (2008) ``crs`` member such as ``urn:ogc:def:crs:EPSG::4269`` is honoured
(``crs_source = "metadata"``; EPSG:4326 there means CRS84, as GeoJSON is lon/lat). A file
without a ``crs`` member whose coordinates are not longitude/latitude (outside +-180/+-90,
i.e. projected metres or feet) gets no CRS, so the pipeline asks for one instead of
misplacing everything. Text is UTF-8 (RFC 8259); the encoding option is ignored.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ._crs import CrsFound, from_definition, lonlat_name, option_or, unrecognised_note
from ._gdal import GdalReader
from .base import register

_CRS_MEMBER: Final = re.compile(rb'"crs"\s*:\s*\{')
_PROBE_BYTES: Final = 65536


def declares_crs(path: Any) -> bool:
    """Whether the file has a ``crs`` member (looked for where writers put it: near the start
    of the top-level object, or at its end)."""
    with open(path, "rb") as handle:
        head = handle.read(_PROBE_BYTES)
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - _PROBE_BYTES))
        tail = handle.read()
    return bool(_CRS_MEMBER.search(head) or _CRS_MEMBER.search(tail))


def lonlat_bounds(bounds: Any) -> bool:
    """True when (xmin, ymin, xmax, ymax) fit longitude/latitude (or are unknown)."""
    if bounds is None or len(bounds) != 4:
        return True
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    if any(v != v for v in (xmin, ymin, xmax, ymax)):  # NaN: no geometries
        return True
    return -180.5 <= xmin <= xmax <= 360.5 and -90.5 <= ymin <= ymax <= 90.5


@register
class GeoJSONReader(GdalReader):
    format = "GeoJSON"
    extensions = (".geojson", ".json")
    info_options = {"force_total_bounds": True}  # GDAL has the file in memory anyway

    def encoding(self) -> tuple[str | None, str, list[str]]:
        notes = []
        if self.options.encoding:
            notes.append("GeoJSON text is always UTF-8; the encoding option is ignored.")
        return "UTF-8", "n/a", notes

    def crs(self, gdal_info: dict[str, Any]) -> CrsFound:
        found = CrsFound(None, "none")
        if declares_crs(self.path):
            crs, description = from_definition(gdal_info.get("crs"))
            if crs is not None:
                found = CrsFound(lonlat_name(crs), "metadata")
            else:
                found.notes.append(unrecognised_note("crs member", description))
        else:
            if lonlat_bounds(gdal_info.get("total_bounds")):
                found = CrsFound("CRS84", "format")
            else:
                found.notes.append(
                    "The coordinates are not longitude/latitude (they look projected) and the "
                    "file has no crs member; give the CRS explicitly."
                )
        return option_or(self.options, found)
