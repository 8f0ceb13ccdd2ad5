from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gis_app"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from gis_app import db_roles, policies  # noqa: F401 (db_roles: the check core.W001)

        policies.register()
