from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MattersConfig(AppConfig):
    name = "community.matters"
    label = "matters"
    verbose_name = _("Matters and service requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from community.matters import area_links, checks, ogc, policies  # noqa: F401 (checks)
        from layers import area_links as links
        from layers.ogc import sources

        policies.register()
        from community.matters import deadlines
        from community.notify import kinds

        kinds.register(deadlines.REMINDER, _("Request reminder"))
        kinds.register(deadlines.ESCALATION, _("Request escalation"))
        links.register("service requests", area_links.rederive)
        sources.register_collection(ogc.collection())
