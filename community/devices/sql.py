"""Hand-written SQL of the devices app (bound parameters only): the nonce store."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection


def consume_nonces(pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Record (device, nonce) pairs in one statement; returns those not seen before."""
    if not pairs:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO devices_devicenonce (device_id, nonce, seen_at) "
            "SELECT DISTINCT d, n, now() FROM unnest(%s::bigint[], %s::text[]) AS t(d, n) "
            "ORDER BY 1, 2 ON CONFLICT (device_id, nonce) DO NOTHING RETURNING device_id, nonce",
            [[p[0] for p in pairs], [p[1] for p in pairs]],
        )
        return {(device, nonce) for device, nonce in cursor.fetchall()}


_last_purge = 0.0


def purge_nonces(force: bool = False) -> int:
    """Delete nonces older than the longest replay window (at most once a minute per
    process unless forced). Returns the number deleted."""
    global _last_purge
    now = time.monotonic()
    if not force and now - _last_purge < 60:
        return 0
    _last_purge = now
    keep = max(settings.DEVICES_HTTP_REPLAY_WINDOW, settings.DEVICES_MQTT_REPLAY_WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM devices_devicenonce WHERE seen_at < now() - make_interval(secs => %s)",
            [keep],
        )
        return cursor.rowcount
