"""The basemap under the PDF's choropleth, from the platform's own base layers: green
spaces, water, rivers, roads and building footprints that the report's user may see, inside
the map's bounding box. Nothing is fetched from the network; the shapes are simplified to
about a pixel of the printed map."""

from __future__ import annotations

from gis_app import access
from gis_app.types import User
from layers.models import BaseFeature, Building
from reports import sql

# Building footprints are drawn when the map is at most this wide (degrees of longitude,
# about 12 km here): wider, they are specks that cost time and say nothing.
BUILDINGS_MAX_WIDTH = 0.12


def shapes(user: User, bbox: tuple[float, float, float, float]) -> list[sql.BasemapShape]:
    """The base shapes the user may see in ``bbox`` (lon/lat min, min, max, max)."""
    if user is None:
        return []
    width = bbox[2] - bbox[0]
    tolerance = width / 3000
    features = access.visible(user, BaseFeature.objects.all()).order_by().values("id")
    features_sql, features_params = features.query.sql_with_params()
    buildings_sql, buildings_params = None, ()
    if width <= BUILDINGS_MAX_WIDTH:
        buildings = access.visible(user, Building.objects.all()).order_by().values("id")
        buildings_sql, buildings_params = buildings.query.sql_with_params()
    return sql.basemap(
        bbox, tolerance, features_sql, features_params, buildings_sql, buildings_params
    )
