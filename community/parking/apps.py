from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParkingConfig(AppConfig):
    name = "community.parking"
    label = "parking"
    verbose_name = _("Smart parking")

    def ready(self) -> None:
        from community.parking import checks, policies  # noqa: F401 (registers the checks)

        policies.register()

        # devices: parking's device kinds (gate readers, space cameras) and their handler
        from community.parking import ingest

        ingest.register_kinds()

    def load_demo(self) -> dict[str, int]:
        """Hook called by ``manage.py load_demo`` after the demo components."""
        from community.parking import demo

        return demo.load()
