"""``manage.py register_raster NAME FILE``: convert a GeoTIFF to a Cloud-Optimized GeoTIFF
and register it as raster layer NAME (served at /tiles/raster/NAME/{z}/{x}/{y}.png)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gis_app.errors import DomainError
from tiles.raster import register_raster


class Command(BaseCommand):
    help = "Convert a GeoTIFF to a COG and register it as a raster tile layer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="layer name: lowercase letters, digits, hyphens")
        parser.add_argument("file", help="a GeoTIFF (any CRS GDAL knows)")
        parser.add_argument("--title", default="", help="title shown in the layer list")
        parser.add_argument(
            "--private", action="store_true", help="staff only (default: public layer)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["file"])
        if not source.is_file():
            raise CommandError(f"{source}: no such file")
        self.stdout.write(f"converting {source} to a Cloud-Optimized GeoTIFF ...")
        started = time.perf_counter()
        try:
            raster = register_raster(
                options["name"], source, title=options["title"], public=not options["private"]
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            f"raster layer {raster.name} ({raster.layer.code}): {raster.crs}, "
            f"{raster.band_count} band(s) {raster.dtype}, zooms {raster.native_min_zoom}-"
            f"{raster.native_max_zoom}, bounds {raster.bounds}; COG {raster.cog_path} "
            f"({time.perf_counter() - started:.1f} s)"
        )
        self.stdout.write(f"tiles: /tiles/raster/{raster.name}/{{z}}/{{x}}/{{y}}.png")
