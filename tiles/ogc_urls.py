"""OGC API - Tiles routes, included by gis_app/urls.py before the OGC API - Features
routes (both under /ogc/)."""

from django.urls import path

from tiles import ogc

urlpatterns = [
    path("tileMatrixSets", ogc.tile_matrix_sets, name="ogc-tile-matrix-sets"),
    path("tileMatrixSets/<str:tms_id>", ogc.tile_matrix_set, name="ogc-tile-matrix-set"),
    path("collections/<slug:collection_id>/tiles", ogc.tilesets, name="ogc-tilesets"),
    path(
        "collections/<slug:collection_id>/tiles/<str:tms_id>",
        ogc.tileset,
        name="ogc-tileset",
    ),
    path(
        "collections/<slug:collection_id>/tiles/<str:tms_id>/<int:z>/<int:row>/<int:col>",
        ogc.tile,
        name="ogc-tile",
    ),
]
