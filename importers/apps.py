from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportersConfig(AppConfig):
    name = "importers"
    label = "importers"
    verbose_name = _("Importers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gis_app import access, navigation
        from gis_app.roles import Action
        from importers.models import ImportJob
        from importers.policies import ImportJobPolicy

        access.register(ImportJob, ImportJobPolicy())
        navigation.register(navigation.Page("importers:upload", _("Imports"), 30, Action.CREATE))

        from importers.areas import read_upload
        from layers.area_import import files as area_files

        area_files.register_upload_reader(read_upload)
