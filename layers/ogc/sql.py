"""SQL of the OGC API items: GeoJSON features built in PostGIS, from an ORM queryset that
the access module has already filtered. Python only joins the rows' text.

The inner query is the ORM's (filters, access, ordering, paging) with the id, the key, the
published properties and the geometry (transformed, axis-flipped where the CRS says so,
``ST_AsGeoJSON`` with a fixed precision) as aliased columns; the outer query turns each row
into one Feature with ``json_build_object``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db import connection
from django.db.models import F, Func, QuerySet

from layers.ogc.crs import OutputCrs

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
FETCH_ROWS = 500


class FlipCoordinates(Func):
    function = "ST_FlipCoordinates"
    output_field = GeometryField()


def geometry_expression(field: str, crs: OutputCrs) -> AsGeoJSON:
    geom: Any = F(field)
    if crs.srid != 4490:
        geom = Transform(geom, crs.srid)
    if crs.flip:
        geom = FlipCoordinates(geom)
    return AsGeoJSON(geom, precision=crs.precision)


def feature_sql(
    queryset: QuerySet[Any],
    *,
    id_field: str,
    key_field: str,
    geometry_field: str,
    properties: dict[str, str],
    crs: OutputCrs,
) -> tuple[str, list[Any]]:
    """(sql, params) selecting ``key, feature_json_text`` rows in the queryset's order."""
    for name in properties:
        if not _NAME.match(name):
            raise ValueError(f"property name {name!r} is not a plain identifier")
    annotated = queryset.annotate(
        ogc_id=F(id_field),
        ogc_key=F(key_field),
        ogc_geom=geometry_expression(geometry_field, crs),
        **{f"p_{name}": F(lookup) for name, lookup in properties.items()},
    ).values("ogc_id", "ogc_key", "ogc_geom", *(f"p_{name}" for name in properties))
    inner, inner_params = annotated.query.sql_with_params()
    # Safe: property names are checked identifiers, values and keys are bound parameters,
    # and ``inner`` is the ORM's own SQL with its parameters.
    pairs = ", ".join(f"%s, q.p_{name}" for name in properties)
    sql = (
        "SELECT q.ogc_key, json_build_object("  # noqa: S608
        "'type', 'Feature', 'id', q.ogc_id, 'geometry', q.ogc_geom::json, "
        f"'properties', json_build_object({pairs}))::text "
        f"FROM ({inner}) AS q ORDER BY q.ogc_key"
    )
    return sql, [*list(properties), *inner_params]


class PageState:
    """What streaming learned: rows sent and the key of the last one (for the next link)."""

    def __init__(self) -> None:
        self.count = 0
        self.last_key: Any = None


def stream_features(sql: str, params: list[Any], state: PageState) -> Iterator[str]:
    """Yield the features' JSON text, comma-separated, a few hundred rows at a time."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            chunk = ",".join(row[1] for row in rows)
            yield chunk if state.count == 0 else "," + chunk
            state.count += len(rows)
            state.last_key = rows[-1][0]


def capped_count(queryset: QuerySet[Any], cap: int) -> int | None:
    """The number of rows, or None when there are more than ``cap`` (then the caller omits
    numberMatched, which OGC API Features allows, instead of counting a big table)."""
    inner, params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({inner}) AS c", params)  # noqa: S608
        (count,) = cursor.fetchone()
    return None if count > cap else int(count)
