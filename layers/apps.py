from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Geographic layers")

    def ready(self) -> None:
        from gis_app import access
        from layers.models import AdminArea, GridCell
        from layers.policies import AdminAreaPolicy, GridCellPolicy

        access.register(AdminArea, AdminAreaPolicy())
        access.register(GridCell, GridCellPolicy())
