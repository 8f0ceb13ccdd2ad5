from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MattersConfig(AppConfig):
    name = "community.matters"
    label = "matters"
    verbose_name = _("Matters and service requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from community.matters import ogc, policies, privacy
        from layers.ogc import sources

        privacy.default_key()
        policies.register()
        sources.register_collection(ogc.collection())
