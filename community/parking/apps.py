from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParkingConfig(AppConfig):
    name = "community.parking"
    label = "parking"
    verbose_name = _("Smart parking")

    def ready(self) -> None:
        from community.parking import checks, policies  # noqa: F401 (registers the checks)

        policies.register()
        self.register_pages_and_reports()

    # --- Registries (issue 17 item 6; helper "registries"): parking fills the registries
    # --- of the apps below it, so none of them names parking.
    def register_pages_and_reports(self) -> None:
        """Parking on the map pages (``map_ui.plugins``), in the menu
        (``gis_app.navigation``) and among the report kinds (``reports.kinds``)."""
        from community.parking import map_pages, report
        from gis_app import navigation
        from map_ui import plugins
        from reports import kinds

        plugins.register(map_pages.extension())
        navigation.register(navigation.Page("parking-find", _("Find my car"), 15))
        kinds.register(report.kind())

        # --- end of the registries block

        # devices: parking's device kinds (gate readers, space cameras) and their handler
        from community.parking import ingest

        ingest.register_kinds()

    def load_demo(self) -> dict[str, int]:
        """Hook called by ``manage.py load_demo`` after the demo components."""
        from community.parking import demo

        return demo.load()
