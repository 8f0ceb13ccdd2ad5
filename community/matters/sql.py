"""Hand-written SQL of the matters app (bound parameters only)."""

from __future__ import annotations

import math
from datetime import datetime

from django.db import connection

# Open requests of one class near a point. Distances are geodesic metres on the spheroid
# (``geography``; CGCS2000 and WGS 84 share the GRS 80 / WGS 84 ellipsoid to 0.1 mm), never
# degrees. The ``&&`` box is only an index pre-filter on the CGCS2000 GiST index of
# ``place``: its half-widths in degrees hold every point within the radius (a degree of
# latitude is at least 110.57 km, one of longitude at least 111.32 km * cos(latitude));
# the geodesic ST_DWithin decides.
_OPEN_NEAR_SQL = """
WITH q AS (SELECT ST_GeomFromEWKB(%(point)s) AS g)
SELECT r.id, ST_Distance(r.place::geography, q.g::geography) AS distance_m
  FROM matters_servicerequest r, q
 WHERE r.event_class_id = %(event_class)s
   AND NOT (r.state = ANY(%(final)s))
   AND r.created_at >= %(since)s
   AND r.id <> %(exclude)s
   AND r.place && ST_Expand(q.g, %(dlon)s, %(dlat)s)
   AND ST_DWithin(r.place::geography, q.g::geography, %(metres)s)
 ORDER BY distance_m, r.id
 LIMIT %(limit)s
"""


def open_near(
    event_class: int,
    point_ewkb: bytes,
    latitude: float,
    metres: float,
    since: datetime,
    final_states: list[str],
    exclude: int | None = None,
    limit: int = 20,
) -> list[tuple[int, float]]:
    """(id, geodesic distance in metres) of the requests of ``event_class`` created since
    ``since``, not in ``final_states``, within ``metres`` of the point, nearest first."""
    dlat = metres / 110_000.0 * 1.01
    dlon = metres / (110_000.0 * max(math.cos(math.radians(min(abs(latitude), 89.0))), 1e-6))
    with connection.cursor() as cursor:
        cursor.execute(
            _OPEN_NEAR_SQL,
            {
                "point": point_ewkb,
                "event_class": event_class,
                "final": final_states,
                "since": since,
                "exclude": exclude if exclude is not None else -1,
                "dlon": dlon * 1.01,
                "dlat": dlat,
                "metres": metres,
                "limit": limit,
            },
        )
        return [(int(pk), float(d)) for pk, d in cursor.fetchall()]
