"""Hand-written SQL of the component catalog, with bound parameters only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

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
# spheroid (geography). Candidates come through the Web Mercator GiST index (``geom_3857``,
# the tiles' index): Mercator is conformal, so around a point its distances are the true
# ones times one scale factor (sec(latitude), and up to 0.67% for the ellipsoid), which
# changes by ~0.5% over 50 km at 30N;
# callers re-rank the candidates by the exact distance. (A geography GiST index did this
# until migration 0011; it had no sorted build and cost more than any other index.)
_TABLE = "component_catalog_component"


def mercator_radius_sql(metres: str, geometry: str) -> str:
    """SQL for a Web Mercator distance that covers ``metres`` (SQL) on the ground anywhere
    within that distance of ``geometry`` (SQL, CGCS2000 lon/lat): the ground distance times
    the largest scale factor there, sec(latitude) at the latitude furthest from the equator
    the radius reaches (a degree of latitude is at least 110 km), times 1.007: Web Mercator
    projects a sphere of the equatorial radius, and north-south the ellipsoid's meridian
    radius is up to 0.67% shorter (a/M <= 1/(1 - e^2))."""
    return (
        f"1.007 * ({metres}) / cos(radians(least(89.0, greatest(abs(ST_YMin({geometry})), "
        f"abs(ST_YMax({geometry}))) + ({metres}) / 110000.0)))"
    )


def near_3857(metres: str, geometry: str, target_3857: str) -> str:
    """SQL condition, answerable by a GiST index on ``target_3857``: the Web Mercator box
    around ``geometry`` that holds every point within ``metres`` of it. A pre-filter only:
    the exact test on the spheroid must follow."""
    return (
        f"{target_3857} && ST_Expand(ST_Transform({geometry}, 3857), "
        f"{mercator_radius_sql(metres, geometry)})"
    )


def distance_to(point_ewkb: bytes) -> RawSQL:
    return RawSQL(  # noqa: S611 (constant SQL, bound parameters)
        f"ST_Distance({_TABLE}.geometry::geography, ST_GeomFromEWKB(%s)::geography)",
        (point_ewkb,),
    )


def knn_order(point_ewkb: bytes) -> RawSQL:
    """Nearest first in Web Mercator (KNN on its index); re-rank by ``distance_to``."""
    return RawSQL(  # noqa: S611 (constant SQL, bound parameters)
        f"{_TABLE}.geom_3857 <-> ST_Transform(ST_GeomFromEWKB(%s), 3857)", (point_ewkb,)
    )


def bearing_to(point_ewkb: bytes) -> RawSQL:
    """Degrees clockwise from north, from the query point to the nearest point of the
    component (NULL when the point is on or inside it)."""
    return RawSQL(  # noqa: S611 (constant SQL, bound parameters)
        "degrees(ST_Azimuth(ST_GeomFromEWKB(%s)::geography, "
        f"ST_ClosestPoint({_TABLE}.geometry, ST_GeomFromEWKB(%s))::geography))",
        (point_ewkb, point_ewkb),
    )


# --- history ------------------------------------------------------------------------------

# The history snapshot of a stored component, built in PostGIS: the same document as
# ``component_catalog.representation.snapshot`` (a GeoJSON Feature without updated_at and
# version). ``c`` is the component; k, cd, ow, mt its class and organizations.
# (name, SQL expression, may be null)
SNAPSHOT_PROPERTIES: Final = (
    ("identifier", "c.identifier", False),
    ("class", "c.component_class_id", False),
    ("class_name", "k.name_zh", False),
    ("name", "c.name", False),
    ("address", "c.address", False),
    ("status", "c.status", False),
    ("currency", "c.currency", False),
    ("competent_department", "cd.code", False),
    ("competent_department_name", "cd.name", False),
    ("owner", "ow.code", False),
    ("owner_name", "ow.name", False),
    ("maintainer", "mt.code", False),
    ("maintainer_name", "mt.name", False),
    ("community", "c.community_id", False),
    ("grid_cell", "c.grid_cell_id", True),
    ("data_source", "c.data_source", False),
    ("initial_date", "c.initial_date", False),
    ("change_date", "c.change_date", False),
    ("attributes", "c.attributes", False),
    (
        "gnss",
        """CASE WHEN c.gnss_fix <> '' OR c.gnss_accuracy_m IS NOT NULL THEN
            jsonb_build_object(
                'fix', NULLIF(c.gnss_fix, ''), 'accuracy_m', c.gnss_accuracy_m,
                'satellites', c.gnss_satellites, 'time', c.gnss_time,
                'device', NULLIF(c.gnss_device, ''))
            END""",
        True,
    ),
    ("needs_review", "c.needs_review", False),
    ("review_reason", "c.review_reason", False),
    ("notes", "c.notes", False),
)
GEOMETRY_JSON = "ST_AsGeoJSON(c.geometry, 15)::jsonb"


def snapshot_sql(geometry: str) -> str:
    return (
        "jsonb_build_object('type', 'Feature', 'id', c.identifier, 'geometry', "
        + geometry
        + ", 'properties', jsonb_build_object("
        + ", ".join(f"'{name}', {expr}" for name, expr, _null in SNAPSHOT_PROPERTIES)
        + "))"
    )


SNAPSHOT = snapshot_sql(GEOMETRY_JSON)
# The changes of a creation, ``representation.diff(None, snapshot)``: every property that is
# not null as [null, value] (names of the class and organizations left out), and the
# geometry; built from the columns, as the general diff over jsonb_each costs far more.
_CHANGED = [(n, e, null) for n, e, null in SNAPSHOT_PROPERTIES if not n.endswith("_name")]


def created_changes_sql(geometry: str) -> str:
    return (
        "jsonb_build_object("
        + ", ".join(f"'{n}', jsonb_build_array(NULL, {e})" for n, e, null in _CHANGED if not null)
        + f", 'geometry', jsonb_build_array(NULL, {geometry}))"
        + "".join(
            f" || CASE WHEN ({e}) IS NULL THEN '{{}}'::jsonb"
            f" ELSE jsonb_build_object('{n}', jsonb_build_array(NULL, {e})) END"
            for n, e, null in _CHANGED
            if null
        )
    )


SNAPSHOT_JOINS = """
JOIN component_catalog_componentclass k ON k.code = c.component_class_id
JOIN core_organization cd ON cd.id = c.competent_department_id
JOIN core_organization ow ON ow.id = c.owner_id
JOIN core_organization mt ON mt.id = c.maintainer_id
"""
# field -> [old, new] as ``representation.diff``: names of organizations and the class are
# left out, geometry compared as a whole. ``b`` (before, NULL for a creation), ``a`` (after).
DIFF = """
(SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)), '{}'::jsonb)
 FROM jsonb_each(a -> 'properties') n
 LEFT JOIN jsonb_each(b -> 'properties') o ON o.key = n.key
 WHERE right(n.key, 5) <> '_name' AND n.key <> 'class_name'
   AND coalesce(o.value, 'null'::jsonb) IS DISTINCT FROM n.value)
|| CASE WHEN (b -> 'geometry') IS DISTINCT FROM (a -> 'geometry')
        THEN jsonb_build_object('geometry', jsonb_build_array(b -> 'geometry', a -> 'geometry'))
        ELSE '{}'::jsonb END
"""

HISTORY_FIELDS: Final = (
    "identifier", "version", "action", "changeset_id", "actor_id", "actor_username", "time",
    "changes", "snapshot",
)  # fmt: skip
HISTORY_COLUMNS: Final = ", ".join(HISTORY_FIELDS)


def creation_entries_sql(source: str, who: str) -> str:
    """A SELECT of the creation history entries (``HISTORY_COLUMNS``, in order) of the
    components of ``source`` (a FROM item aliased ``c``, with any joins ``who`` needs);
    ``who`` gives the changeset, actor, actor's username and time. Each geometry's GeoJSON
    is built once for the snapshot and the changes."""
    return f"""
    SELECT c.identifier, 1, 'create', {who},
           {created_changes_sql("g.geojson")}, {snapshot_sql("g.geojson")}
    FROM {source}
    CROSS JOIN LATERAL (SELECT {GEOMETRY_JSON} AS geojson) g
    {SNAPSHOT_JOINS}"""  # noqa: S608 (constants of this module and the caller's)


# The components of a bulk load (``BulkCreation``) with their load's changeset and actor.
_BULK_WHO = "b.changeset_id, b.actor_id, b.actor_username, b.time"
_BULK_JOIN = "JOIN component_catalog_bulkcreation b ON c.id BETWEEN b.first_id AND b.last_id"

# Written out before a bulk-created component first changes or goes: its creation entry
# from the row as it was (OLD). Installed by migration 0010, whose text must stay equal to
# this one (a test compares them): a change here needs a migration replacing the function.
_FUNCTION = f"""
CREATE OR REPLACE FUNCTION component_bulk_creation_history() RETURNS trigger
LANGUAGE plpgsql AS $function$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.version <> OLD.version THEN
        INSERT INTO component_catalog_componenthistory ({HISTORY_COLUMNS})
        {creation_entries_sql(f"(SELECT OLD.*) c {_BULK_JOIN}", _BULK_WHO)}
        ON CONFLICT (identifier, version) DO NOTHING;
    END IF;
    RETURN NULL;
END
$function$"""
BULK_CREATION_HISTORY_FUNCTION: Final = "\n".join(line.rstrip() for line in _FUNCTION.split("\n"))


_IMPLICIT_CREATIONS = f"""
{creation_entries_sql(f"component_catalog_component c {_BULK_JOIN}", _BULK_WHO)}
WHERE c.identifier = ANY(%s::text[]) AND c.version = 1
"""


def implicit_creations(identifiers: Sequence[str]) -> list[dict[str, Any]]:
    """The creation entries (``HISTORY_FIELDS`` -> value) of the given components that a
    bulk load created and that have not changed since: implied by their ``BulkCreation``,
    not stored."""
    with connection.cursor() as cursor:
        cursor.execute(_IMPLICIT_CREATIONS, [list(identifiers)])
        entries = [dict(zip(HISTORY_FIELDS, row, strict=True)) for row in cursor.fetchall()]
    for entry in entries:  # jsonb comes back as text from a raw cursor
        entry["changes"] = json.loads(entry["changes"])
        entry["snapshot"] = json.loads(entry["snapshot"])
    return entries
