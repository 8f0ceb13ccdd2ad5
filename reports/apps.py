from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from gis_app import navigation
        from gis_app.roles import Action

        navigation.register(navigation.Page("reports:index", _("Reports"), 40, Action.REPORT))
        from reports import checks  # noqa: F401  (registers the CJK font check)
