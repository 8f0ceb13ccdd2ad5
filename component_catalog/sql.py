"""Hand-written SQL of the component catalog, with bound parameters only."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models.expressions import RawSQL

# Point-on-surface is inside a polygon, on a line, or the point itself: the place that
# decides which community and grid cell a component belongs to.
_LOCATE_SQL = """
WITH input AS (
    SELECT ord, ST_PointOnSurface(ST_GeomFromWKB(wkb, 4490)) AS p
    FROM unnest(%s::bytea[]) WITH ORDINALITY AS t(wkb, ord)
)
SELECT input.ord, c.code, g.code
FROM input
LEFT JOIN LATERAL (
    SELECT a.code FROM layers_adminarea a
    WHERE a.level = 'community' AND ST_Covers(a.boundary, input.p)
    ORDER BY a.code LIMIT 1
) c ON true
LEFT JOIN LATERAL (
    SELECT gc.code FROM layers_gridcell gc
    WHERE gc.community_id = c.code AND ST_Covers(gc.boundary, input.p)
    ORDER BY gc.code LIMIT 1
) g ON true
ORDER BY input.ord
"""


def locate_many(wkbs: Sequence[bytes]) -> list[tuple[str | None, str | None]]:
    """(community code, grid-cell code) for each WKB geometry in CGCS2000, in order."""
    if not wkbs:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_LOCATE_SQL, [list(wkbs)])
        return [(community, grid) for _, community, grid in cursor.fetchall()]


_NEXT_SERIALS_SQL = """
INSERT INTO component_catalog_identifiercounter (county_code, class_code, last_serial)
VALUES (%s, %s, %s)
ON CONFLICT (county_code, class_code)
DO UPDATE SET last_serial = component_catalog_identifiercounter.last_serial + EXCLUDED.last_serial
RETURNING last_serial
"""


def reserve_serials(county_code: str, class_code: str, count: int) -> range:
    """Reserve ``count`` consecutive serials for a county and class. Must run inside the
    transaction that inserts the components: the counter row stays locked until commit,
    and a rollback returns the serials, so there are no gaps."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SERIALS_SQL, [county_code, class_code, count])
        (last,) = cursor.fetchone()
    return range(last - count + 1, last + 1)


# Metric distance and direction from a query point (EWKB, CGCS2000). Distances are on the
# spheroid (geography); KNN ordering uses the geography GiST index (migration 0002).
_TABLE = "component_catalog_component"


def distance_to(point_ewkb: bytes) -> RawSQL:
    return RawSQL(  # noqa: S611 (constant SQL, bound parameters)
        f"ST_Distance({_TABLE}.geometry::geography, ST_GeomFromEWKB(%s)::geography)",
        (point_ewkb,),
    )


def knn_order(point_ewkb: bytes) -> RawSQL:
    return RawSQL(  # noqa: S611 (constant SQL, bound parameters)
        f"{_TABLE}.geometry::geography <-> ST_GeomFromEWKB(%s)::geography", (point_ewkb,)
    )


def bearing_to(point_ewkb: bytes) -> RawSQL:
    """Degrees clockwise from north, from the query point to the nearest point of the
    component (NULL when the point is on or inside it)."""
    return RawSQL(  # noqa: S611 (constant SQL, bound parameters)
        "degrees(ST_Azimuth(ST_GeomFromEWKB(%s)::geography, "
        f"ST_ClosestPoint({_TABLE}.geometry, ST_GeomFromEWKB(%s))::geography))",
        (point_ewkb, point_ewkb),
    )
