from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "community.devices"
    label = "devices"
    verbose_name = _("Devices")

    def ready(self) -> None:
        from community.devices import checks, policies  # noqa: F401 (registers the checks)

        policies.register()
