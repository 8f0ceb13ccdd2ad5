"""Coordinate reference systems of the OGC API (Features Part 2).

Storage is CGCS2000 (EPSG:4490). Output and bbox input may use any CRS listed here, in the
axis order its authority defines: EPSG:4490 and EPSG:4326 are latitude first, EPSG:4549
(CGCS2000 / 3-degree Gauss-Kruger CM 120E) is northing first, EPSG:3857 and CRS84 are
easting/longitude first. EPSG:4326 is served from the CGCS2000 numbers without a datum shift:
the two agree within centimetres.
"""

from __future__ import annotations

from dataclasses import dataclass

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"


@dataclass(frozen=True)
class OutputCrs:
    uri: str
    srid: int  # PostGIS SRID to transform to (4490: none)
    flip: bool  # authority axis order is north/latitude first
    precision: int  # decimals in GeoJSON (about 1 mm either way)


SUPPORTED: dict[str, OutputCrs] = {
    CRS84: OutputCrs(CRS84, 4490, False, 8),
    EPSG_URI.format(4490): OutputCrs(EPSG_URI.format(4490), 4490, True, 8),
    EPSG_URI.format(4326): OutputCrs(EPSG_URI.format(4326), 4490, True, 8),
    EPSG_URI.format(3857): OutputCrs(EPSG_URI.format(3857), 3857, False, 3),
    EPSG_URI.format(4549): OutputCrs(EPSG_URI.format(4549), 4549, True, 3),
}
STORAGE_CRS = EPSG_URI.format(4490)

# Short forms clients also send.
ALIASES = {
    "CRS84": CRS84,
    "OGC:CRS84": CRS84,
    "urn:ogc:def:crs:OGC:1.3:CRS84": CRS84,
    **{f"EPSG:{code}": EPSG_URI.format(code) for code in (4490, 4326, 3857, 4549)},
    **{f"urn:ogc:def:crs:EPSG::{code}": EPSG_URI.format(code) for code in (4490, 4326, 3857, 4549)},
}


def resolve(value: str | None) -> OutputCrs | None:
    """The CRS for a ``crs``/``bbox-crs`` value (default CRS84), or None if unsupported."""
    if value is None or value == "":
        return SUPPORTED[CRS84]
    uri = ALIASES.get(value.strip(), value.strip())
    if uri.startswith("https://"):
        uri = "http://" + uri[len("https://") :]
    return SUPPORTED.get(uri)
