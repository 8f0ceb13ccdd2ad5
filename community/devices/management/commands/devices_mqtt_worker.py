"""Consume signed device events of every registered kind from the MQTT broker (see
community/devices/mqtt.py). Stops on SIGTERM or Ctrl-C after the batch in hand;
unacknowledged messages stay with the broker."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from community.devices.mqtt import Broker, Worker


class Command(BaseCommand):
    help = "Consume signed device events from the MQTT broker and store them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--max-wait-ms", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("community.devices").setLevel(logging.INFO)
        if not logging.getLogger().handlers:
            logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s")
        broker = Broker(
            settings.DEVICES_MQTT_HOST,
            settings.DEVICES_MQTT_PORT,
            settings.DEVICES_MQTT_USERNAME,
            settings.DEVICES_MQTT_PASSWORD,
            settings.DEVICES_MQTT_CLIENT_ID,
        )
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        worker = Worker(
            broker, batch_size=options["batch_size"], max_wait=options["max_wait_ms"] / 1000
        )
        self.stdout.write(
            f"devices MQTT worker: {broker.host}:{broker.port} as {broker.username}", ending="\n"
        )
        self.stdout.flush()
        worker.run(stop)
        totals = ", ".join(f"{k} {v}" for k, v in sorted(worker.stats.items())) or "nothing"
        self.stdout.write(f"devices MQTT worker stopped: {totals}")
