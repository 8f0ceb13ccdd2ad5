from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveyConfig(AppConfig):
    name = "survey"
    label = "survey"
    verbose_name = _("Field survey")

    def ready(self) -> None:
        from gis_app import navigation
        from gis_app.roles import Action

        navigation.register(navigation.Page("survey:editor", _("Field survey"), 20, Action.CREATE))
