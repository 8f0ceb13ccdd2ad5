from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gis_app"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from django.contrib import admin

        from gis_app import db_roles, policies  # noqa: F401 (db_roles: the check core.W001)
        from gis_app.admin import audit_every_admin

        policies.register()
        audit_every_admin(admin.site)
