from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapUiConfig(AppConfig):
    name = "map_ui"
    label = "map_ui"
    verbose_name = _("Map pages")

    def ready(self) -> None:
        from gis_app import navigation

        navigation.register(navigation.Page("home", _("Map"), 10))
