"""Create the monthly partitions of the passage-event table ahead (and move rows that
landed in the default partition into theirs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from community.parking import partitions


class Command(BaseCommand):
    help = "Create missing monthly partitions of parking passage events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--back", type=int, default=2, help="months before this one")
        parser.add_argument("--ahead", type=int, default=3, help="months after this one")

    def handle(self, *args: Any, **options: Any) -> None:
        created = partitions.ensure(options["back"], options["ahead"])
        self.stdout.write(f"partitions created: {', '.join(created) or 'none needed'}")
