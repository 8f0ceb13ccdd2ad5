"""Add the event classes the catalog lacks: after new component classes (local extensions)
their damaged / missing / occupied classes, and flows added to ``flows.py``. Rows that
administrators edited stay as they are."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from community.matters import loader


class Command(BaseCommand):
    help = "Add missing flows and event classes (per component class: damaged, missing, occupied)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            added = loader.load(apps)
        self.stdout.write(
            f"added {added['flows']} flows and {added['event_classes']} event classes"
        )
