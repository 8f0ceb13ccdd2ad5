"""What an area import is made of: one feature of the source file, already read and
converted to CGCS2000 (EPSG:4490) by whoever read the file (``importers.areas`` for files,
the demo loader for its own data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

LEVELS = ("city", "district", "street", "community", "grid")
# The level one up (where a feature's parent is stored).
PARENT_LEVEL = {
    "district": "city",
    "street": "district",
    "community": "street",
    "grid": "community",
}


@dataclass(frozen=True)
class AreaFeature:
    """One feature of the source: its row number there (as a person counts rows, from 1),
    its code (a standard code, or the source's own code to be mapped), its name, its
    parent (a parent's standard code or the source code stored with it; None: the code or
    the location decides), its geometry in EPSG:4490 (shapely, lon/lat), the source's code
    when ``code`` already is a standard one, and its other attributes."""

    row: int
    code: str
    name: str
    parent: str | None
    geometry: BaseGeometry
    source_code: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
