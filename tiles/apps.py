from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = _("Map tiles")

    def ready(self) -> None:
        from gis_app import access
        from tiles.models import RasterLayer
        from tiles.policies import RasterLayerPolicy

        access.register(RasterLayer, RasterLayerPolicy())
        from layers import changes
        from tiles import cache

        changes.subscribe(cache.on_change)
        from layers.ogc import extensions
        from tiles import ogc

        extensions.register(
            conformance=ogc.CONFORMANCE,
            landing_links=ogc.landing_links,
            collection_links=ogc.collection_links,
        )
