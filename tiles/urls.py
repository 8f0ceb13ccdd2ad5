from django.urls import path, register_converter

from tiles import views


class ImageFormat:
    regex = "png|webp"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ImageFormat, "imgfmt")

urlpatterns = [
    path("components/<int:z>/<int:x>/<int:y>.mvt", views.components_tile, name="tiles-components"),
    path("labels/<int:z>/<int:x>/<int:y>.json", views.labels_tile, name="tiles-labels"),
    path("components.json", views.components_tilejson, name="tiles-components-tilejson"),
    path(
        "raster/<slug:name>/<int:z>/<int:x>/<int:y>.<imgfmt:fmt>",
        views.raster_tile,
        name="tiles-raster",
    ),
    path("raster/<slug:name>.json", views.raster_tilejson, name="tiles-raster-tilejson"),
    path("<slug:layer>/<int:z>/<int:x>/<int:y>.mvt", views.layer_tile, name="tiles-layer"),
    path("<slug:layer>.json", views.layer_tilejson, name="tiles-layer-tilejson"),
]
