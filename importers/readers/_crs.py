"""CRS detection helpers: turn what a file declares into a name ``gis_app.coords`` accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from pyproj import CRS
from pyproj.exceptions import CRSError

from gis_app.coords import CRS84, EPSG_4326, parse_crs

from .base import ImportFileError, ReadOptions

_EPSG_RE: Final = re.compile(r"EPSG:(\d+)", re.IGNORECASE)
MIN_CONFIDENCE: Final = 70


@dataclass
class CrsFound:
    crs: str | None
    source: str  # prj | metadata | format | option | none
    notes: list[str] = field(default_factory=list)


def from_definition(text: str | None) -> tuple[str | None, str | None]:
    """(normalised name, description) of a WKT / PROJ / 'EPSG:n' / URN definition.

    The name is None when PROJ cannot match the definition to an EPSG code with at least
    70% confidence; the description (the CRS's own name) is None when PROJ cannot parse it.
    """
    if not text or not text.strip():
        return None, None
    try:  # the names gis_app.coords knows directly: EPSG:n, CRS84 and its URNs, GCJ02, BD09
        return parse_crs(text), text.strip()
    except ValueError:
        if _EPSG_RE.fullmatch(text.strip()):
            return None, text.strip()  # an EPSG code PROJ does not know, or not horizontal
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        return None, None
    if crs.to_authority(min_confidence=MIN_CONFIDENCE) == ("OGC", "CRS84"):
        return CRS84, crs.name
    code = crs.to_epsg(min_confidence=MIN_CONFIDENCE)
    if code is None:
        return None, crs.name
    try:
        return parse_crs(f"EPSG:{code}"), crs.name
    except ValueError:
        return None, crs.name


def lonlat_name(crs: str | None) -> str | None:
    """For formats whose coordinates are lon/lat by definition, EPSG:4326 is CRS84."""
    return CRS84 if crs == EPSG_4326 else crs


def option_or(options: ReadOptions, found: CrsFound) -> CrsFound:
    """Apply ``options.crs`` (which wins over anything the file says)."""
    if not options.crs or not options.crs.strip():
        return found
    try:
        crs = parse_crs(options.crs)
    except ValueError as exc:
        raise ImportFileError(str(exc), field="crs") from None
    notes = list(found.notes)
    if found.crs is not None and found.crs != crs:
        notes.append(f"The file declares {found.crs} ({found.source}); the crs option {crs} wins.")
    return CrsFound(crs, "option", notes)


def unrecognised_note(what: str, description: str | None) -> str:
    if description:
        return (
            f"The {what} describes '{description}', which PROJ cannot match to an EPSG code; "
            "give the CRS explicitly."
        )
    return f"The {what} could not be understood as a coordinate system; give the CRS explicitly."
