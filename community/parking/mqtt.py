"""Parking devices over MQTT: they publish to ``parking/<device id>/events`` (the devices
worker consumes it; see ``community/devices/mqtt.py`` for the envelope)."""

from __future__ import annotations

from community.devices import mqtt
from community.parking.ingest import TOPIC


def envelope(
    device_id: str,
    secret: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> tuple[str, bytes]:
    """(topic, payload) of a signed message, as a parking device builds it."""
    return mqtt.envelope(TOPIC, device_id, secret, body, timestamp=timestamp, nonce=nonce)
