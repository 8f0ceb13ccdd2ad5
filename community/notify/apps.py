from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "community.notify"
    label = "notify"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from community.notify import checks, imports, kinds, policies, services  # noqa: F401
        from gis_app import navigation
        from importers import outcomes

        policies.register()
        kinds.register(imports.FINISHED, _("Import finished"))
        kinds.register(imports.FAILED, _("Import failed"))
        navigation.register(
            navigation.Page(
                "notify:inbox", _("Messages"), 90, signed_in=True, badge=services.unread_count
            )
        )
        outcomes.subscribe(imports.on_import_ended)
