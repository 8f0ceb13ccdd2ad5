from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComponentCatalogConfig(AppConfig):
    name = "component_catalog"
    verbose_name = _("Urban components")

    def ready(self) -> None:
        from component_catalog.models import Component, ComponentClass
        from component_catalog.policies import ComponentClassPolicy, ComponentPolicy
        from gis_app import access

        access.register(ComponentClass, ComponentClassPolicy())
        access.register(Component, ComponentPolicy())

        from component_catalog.class_choices import grouped_choices
        from gis_app import class_scope

        class_scope.register(grouped_choices)

        from component_catalog import ogc_source

        ogc_source.register()

        from component_catalog import area_links
        from layers import area_links as layer_area_links

        layer_area_links.register("components", area_links.rederive)
