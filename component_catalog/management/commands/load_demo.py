from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from component_catalog import demo as component_demo
from layers import demo as area_demo
from layers.basemap import demo as basemap_demo


class Command(BaseCommand):
    help = (
        "Load (or refresh) the demo district, organizations, demo accounts and demo "
        "components. Idempotent: a second run changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = area_demo.load()
        self.stdout.write(
            "demo data ready: {areas} areas and grid cells, {organizations} organizations, "
            "{accounts} demo accounts (password from DEMO_PASSWORD)".format(**counts)
        )
        base = basemap_demo.load()
        self.stdout.write(
            "demo base layers: {buildings} buildings and {base_features} base features "
            "created, {stewardships} stewardships".format(**base)
        )
        created = component_demo.load()
        if created:
            self.stdout.write(f"demo components: {created} created")
        else:
            self.stdout.write("demo components: already loaded")
        # Apps above the catalog (community functions) add their demo data through a
        # ``load_demo()`` method on their AppConfig, so this command imports none of them.
        for config in apps.get_app_configs():
            hook = getattr(config, "load_demo", None)
            if callable(hook):
                counts = hook()
                details = ", ".join(f"{value} {key}" for key, value in counts.items())
                self.stdout.write(f"demo {config.label}: {details or 'already loaded'}")
