"""The importer locates rows in memory (importers.locate); the result must be the SQL rule
every other writer uses (component_catalog.sql.locate_many), also on boundaries and
vertices, where a point is covered by two communities or grid cells."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from component_catalog import sql as catalog_sql
from importers.locate import Locator
from layers.models import AdminArea, GridCell

pytestmark = pytest.mark.django_db


def test_in_memory_location_equals_the_sql_rule() -> None:
    rng = np.random.default_rng(7)
    cells = list(GridCell.objects.all())
    communities = list(AdminArea.objects.filter(level="community"))
    points = []
    for area in [*communities, *cells]:
        boundary = shapely.from_wkb(bytes(area.boundary.wkb))
        points.append(shapely.point_on_surface(boundary))
        points += list(shapely.get_parts(shapely.points(shapely.get_coordinates(boundary))))
        x0, y0, x1, y1 = boundary.bounds
        points += list(shapely.points(rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)))
    points.append(shapely.Point(0.0, 0.0))  # outside everything
    points = np.array(points, dtype=object)
    communities_found, cells_found = Locator().locate(points)
    expected = catalog_sql.locate_many([shapely.to_wkb(p) for p in points])
    assert len(points) > 1000
    got = list(zip(communities_found, cells_found, strict=True))
    mismatches = [(i, g, e) for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e]
    assert not mismatches, mismatches[:5]
    assert got[-1] == (None, None)
    assert sum(c is not None for c, _g in got) > len(points) // 2
