from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from gis_app import navigation
        from gis_app.roles import Action
        from reports import checks, kinds, services  # noqa: F401  (checks: the CJK font check)

        navigation.register(navigation.Page("reports:index", _("Reports"), 40, Action.REPORT))
        for kind in services.builtin_kinds():  # an app adds its own kinds in its ready()
            kinds.register(kind)
