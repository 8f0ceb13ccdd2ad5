"""Hand-written SQL of the core, with bound parameters only."""

from __future__ import annotations

from django.db import connection


def lock_for_transaction(namespace: str, key: str) -> None:
    """Wait for, then hold until the current transaction ends, PostgreSQL's advisory lock on
    ``namespace:key``: work under the same key is serialized across processes and
    connections. Call inside ``transaction.atomic()``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{namespace}:{key}"]
        )
