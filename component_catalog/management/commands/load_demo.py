import time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import translation

from component_catalog import demo as component_demo
from component_catalog import demo_real
from component_catalog.models import Component
from layers import demo as area_demo
from layers.basemap import demo as basemap_demo


class Command(BaseCommand):
    help = (
        "Load (or refresh) the demo: Hangzhou's former Xiacheng District (下城区, 2020 "
        "statistical codes) with its real boundaries and facilities when SHARED_DATA_DIR "
        "holds the files, else its real names and codes on generated boundaries; demo "
        "organizations, accounts, components, base layers and parking. Idempotent: a "
        "second run changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--geography",
            choices=["auto", *(g.value for g in area_demo.Geography)],
            default="auto",
            help="auto (default): real when the shared data files are there, else fallback; "
            "synthetic: the invented Xihu district of the test suite.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        choice = area_demo.choose_geography()
        geography = choice.geography
        if options["geography"] != "auto":
            geography = area_demo.Geography(options["geography"])
            if geography == area_demo.Geography.REAL and choice.geography != geography:
                self.stderr.write(f"the real geography needs the data files: {choice.reason}")
                raise SystemExit(2)
        if geography == choice.geography:
            self.stdout.write(f"demo geography: {geography} ({choice.reason})")
        else:
            self.stdout.write(f"demo geography: {geography} (as asked)")
        profile = area_demo.profile_of(geography)
        data_dir = choice.data_dir if geography == area_demo.Geography.REAL else None

        with translation.override("en"):  # the import's notes, as the rest of this output
            counts = area_demo.load(geography=geography, data_dir=data_dir)
        self.stdout.write(
            "demo data ready: {areas} areas and grid cells, {organizations} organizations, "
            "{accounts} demo accounts (password from DEMO_PASSWORD)".format(**counts)
        )
        for note in counts["notes"]:
            self.stdout.write(f"  areas {note}")
        base = basemap_demo.load(profile, data_dir)
        self.stdout.write(
            "demo base layers: {buildings} buildings and {base_features} base features "
            "created, {stewardships} stewardships".format(**base)
        )
        self._components(geography, profile, data_dir)
        # Apps above the catalog (community functions) add their demo data through a
        # ``load_demo()`` method on their AppConfig, so this command imports none of them.
        for config in apps.get_app_configs():
            hook = getattr(config, "load_demo", None)
            if callable(hook):
                counts = hook()
                details = ", ".join(f"{value} {key}" for key, value in counts.items())
                self.stdout.write(f"demo {config.label}: {details or 'already loaded'}")
        self.stdout.write(f"demo loaded in {time.monotonic() - started:.0f} s")

    def _components(
        self, geography: area_demo.Geography, profile: Any, data_dir: Path | None
    ) -> None:
        if component_demo.loaded():
            self.stdout.write("demo components: already loaded")
            if not Component.objects.filter(community__code__startswith=profile.district).exists():
                self.stdout.write(
                    f"  (they belong to an earlier demo of another geography: none lies in "
                    f"{profile.district}; load the demo into a fresh database to get them)"
                )
            return
        if geography == area_demo.Geography.SYNTHETIC:
            created = component_demo.load()
            self.stdout.write(f"demo components: {created} created")
            return
        with transaction.atomic():
            real = 0
            skip: tuple[str, ...] = ()
            if data_dir is not None:
                features, kept, outside = demo_real.features(data_dir, profile)
                demo_real.store_sources(component_demo.store(features), kept)
                real, skip = len(kept), demo_real.REAL_CLASSES
                self.stdout.write(
                    f"demo components: {real} real facilities from {demo_real.FACILITIES} and "
                    f"its manhole and trash-bin files (positions and types real, other values "
                    f"generated and marked so)"
                    + (f"; {len(outside)} outside every community left out" if outside else "")
                )
            generated = component_demo.store(component_demo.features(profile, skip))
        where = "in the classes without real data" if data_dir else "(no real facilities here)"
        self.stdout.write(
            f"demo components: {len(generated)} generated {where}, data source 'generated'"
        )
