"""``manage.py tile_cache [--clear [--layer CODE]]``: show or empty the vector-tile cache.
Edits invalidate their tiles by themselves; this is for bulk loads done outside the
services (e.g. ``generate_components``) and for repairs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from tiles import cache, sql


class Command(BaseCommand):
    help = "Show the vector-tile cache per layer, or clear it (all or one layer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clear", action="store_true", help="invalidate cached tiles")
        parser.add_argument("--layer", help="only this layer (registry code, or 'components')")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clear"]:
            with transaction.atomic():
                if options["layer"]:
                    cache.invalidate_layer(options["layer"])
                    removed = sql.clear(options["layer"])
                else:
                    removed = sql.clear()
            self.stdout.write(f"removed {removed:,} cached tiles")
            return
        rows = sql.stats()
        for layer, count, size in rows:
            self.stdout.write(f"{layer:24} {count:>9,} tiles {size / 1024:>12,.0f} KiB")
        if not rows:
            self.stdout.write("the tile cache is empty")
