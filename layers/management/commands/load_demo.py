from typing import Any

from django.core.management.base import BaseCommand

from layers import demo


class Command(BaseCommand):
    help = "Load (or refresh) the demo district, organizations and demo accounts. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = demo.load()
        self.stdout.write(
            "demo data ready: {areas} areas and grid cells, {organizations} organizations, "
            "{accounts} demo accounts (password from DEMO_PASSWORD)".format(**counts)
        )
