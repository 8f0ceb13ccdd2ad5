"""Metric work: geometries in EPSG:4490 (lon/lat) to CGCS2000 3-degree Gauss-Kruger
metres, in the zone of the data (EPSG:4534 at 75E ... EPSG:4554 at 135E; Hangzhou: 4549,
central meridian 120E), where areas are square metres and buffers metres."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

FIRST_ZONE_EPSG = 4534  # CGCS2000 / 3-degree Gauss-Kruger CM 75E
FIRST_ZONE_CM = 75


def zone_epsg(longitude: float) -> int:
    """The EPSG code of the 3-degree zone whose central meridian is nearest."""
    meridian = min(max(round(longitude / 3) * 3, FIRST_ZONE_CM), 135)
    return FIRST_ZONE_EPSG + (meridian - FIRST_ZONE_CM) // 3


@lru_cache(maxsize=8)
def _forward(epsg: int) -> Transformer:
    return Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)


class Metric:
    """Converts lon/lat geometries to metres in one zone (chosen once per import)."""

    def __init__(self, longitude: float) -> None:
        self.epsg = zone_epsg(longitude)
        self._transformer = _forward(self.epsg)

    def __call__(self, geom: BaseGeometry) -> BaseGeometry:
        transformer = self._transformer

        def project(coords: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        result: BaseGeometry = shapely.transform(geom, project)
        return result
