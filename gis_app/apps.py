from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gis_app"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from gis_app import policies

        policies.register()
