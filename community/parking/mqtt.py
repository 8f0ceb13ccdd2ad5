"""Parking devices over MQTT: they publish to ``parking/<device id>/events`` (the devices
worker consumes it; see ``community/devices/mqtt.py`` for the envelope)."""

from __future__ import annotations

import functools

from community.devices import mqtt
from community.parking.ingest import TOPIC

#: ``envelope(device_id, secret, body, *, timestamp=None, nonce=None)``: (topic, payload)
#: of a signed message, as a parking device builds it.
envelope = functools.partial(mqtt.envelope, TOPIC)
