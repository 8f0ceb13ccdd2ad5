"""Monthly partitions of the passage-event table (DESIGN.md section 13): created ahead by
migration 0002 and ``manage.py parking_partitions`` (run by ``make`` and by the MQTT
worker at start), through the database owner's function that migration installs (the
application's role owns no table). Events outside every monthly partition land in the
default partition and move into their month's partition when it is created."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from community.parking import sql


def months(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start``'s to ``end``'s, inclusive."""
    found = []
    month = sql.month_start(start)
    while month <= end:
        found.append(month)
        month = sql.next_month(month)
    return found


def ensure(months_back: int = 2, months_ahead: int = 3, today: dt.date | None = None) -> list[str]:
    """Create the missing partitions around today; returns the names created."""
    day = today or timezone.localdate()
    start = day
    for _ in range(months_back):
        start = sql.month_start(start) - dt.timedelta(days=1)
    end = day
    for _ in range(months_ahead):
        end = sql.next_month(end)
    created = []
    with transaction.atomic():
        present = sql.existing_partitions()
        for month in months(start, end):
            name = sql.partition_name(month)
            if name not in present:
                sql.create_partition(month)
                created.append(name)
    return created
