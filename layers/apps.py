from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Geographic layers")

    def ready(self) -> None:
        from gis_app import access
        from layers.models import AdminArea, GridCell, Layer, Stewardship
        from layers.policies import (
            AdminAreaPolicy,
            GridCellPolicy,
            LayerPolicy,
            StewardshipPolicy,
        )

        access.register(AdminArea, AdminAreaPolicy())
        access.register(GridCell, GridCellPolicy())
        access.register(Layer, LayerPolicy())
        access.register(Stewardship, StewardshipPolicy())

        from layers.basemap.policies import register_policies
        from layers.ogc import area_sources, basemap_sources

        register_policies()
        area_sources.register()
        basemap_sources.register()

        from layers import area_links
        from layers.basemap import area_links as basemap_links

        area_links.register("buildings", basemap_links.rederive_buildings)
        area_links.register("base_features", basemap_links.rederive_base_features)
