"""MQTT ingest through a real Mosquitto broker and the real worker process
(``manage.py parking_mqtt_worker``): published events change the occupancy, forged
messages change nothing, and events published while the worker is down are not lost."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.db import connection

from community.parking.models import LotOccupancy, PassageEvent
from community.parking.mqtt import envelope
from tests.conftest import REPO
from tests.parking_support import event, make_lot, remove_lot

SCRIPT = REPO / "scripts" / "local_mqtt.sh"
DEVICE_PASSWORD = os.environ.get("PARKING_MQTT_DEVICE_PASSWORD", "device-local")


def can_log_in(port: int) -> bool:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"probe-{os.getpid()}")
    client.username_pw_set(settings.PARKING_MQTT_USERNAME, settings.PARKING_MQTT_PASSWORD)
    try:
        client.connect(settings.PARKING_MQTT_HOST, port, keepalive=5)
    except OSError:
        return False
    client.loop_start()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not client.is_connected():
        time.sleep(0.05)
    ok = client.is_connected()
    client.disconnect()
    client.loop_stop()
    return ok


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def broker_port() -> Iterator[int]:
    """The project broker that ``make test`` started, or a private one (same script)."""
    if can_log_in(settings.PARKING_MQTT_PORT):
        yield settings.PARKING_MQTT_PORT
        return
    if not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("the Debian package mosquitto is not installed")
    directory = tempfile.mkdtemp(prefix="gis-test-mqtt-")
    port = free_port()
    env = {**os.environ, "LOCAL_MQTT_DIR": directory, "LOCAL_MQTT_PORT": str(port)}
    subprocess.run([str(SCRIPT), "start"], check=True, env=env)
    try:
        yield port
    finally:
        subprocess.run([str(SCRIPT), "stop"], check=False, env=env, capture_output=True)


def database_url() -> str:
    db = connection.settings_dict
    return "postgis://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**db)


class WorkerProcess:
    def __init__(self, port: int, client_id: str) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gis_app.settings",
            "DATABASE_URL": database_url(),
            "PARKING_MQTT_PORT": str(port),
            "PARKING_MQTT_CLIENT_ID": client_id,
            "LOG_LEVEL": "INFO",
        }
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.reader: threading.Thread | None = None

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def start(self) -> None:
        """Start the worker and wait until it is subscribed."""
        start = len(self.lines)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "parking_mqtt_worker", "--max-wait-ms", "20"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, args=(self.process,), daemon=True)
        self.reader.start()
        subscribed = wait_for(lambda: "subscribed to" in "".join(self.lines[start:]), 60)
        assert subscribed, self.output

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def stop(self) -> str:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process = None
        if self.reader is not None:  # the pipe is drained once the process has ended
            self.reader.join(timeout=30)
        return self.output


def forget_session(port: int, client_id: str) -> None:
    """Connect once with a clean session: the broker drops the worker's persistent session
    (its subscription would otherwise queue every later message for nobody)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.username_pw_set(settings.PARKING_MQTT_USERNAME, settings.PARKING_MQTT_PASSWORD)
    client.connect(settings.PARKING_MQTT_HOST, port)
    client.loop_start()
    wait_for(client.is_connected, 5)
    client.disconnect()
    client.loop_stop()


def publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-device-{os.getpid()}")
    client.username_pw_set("parking-device", DEVICE_PASSWORD)
    client.connect(settings.PARKING_MQTT_HOST, port)
    client.loop_start()
    return client


def publish(client: mqtt.Client, device: Any, payload: Any, secret: str | None = None) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    topic, message = envelope(device.device_id, secret or device.secret, body)
    client.publish(topic, message, qos=1).wait_for_publish(10)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def committed_lot(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    with django_db_blocker.unblock():
        lot = make_lot("MQTT测试停车场", "330106002001")
        try:
            yield lot
        finally:
            remove_lot(lot)


def occupied(lot: Any) -> int:
    row = LotOccupancy.objects.get(lot_id=lot.pk)
    return row.occupied_standard + row.occupied_charging + row.occupied_accessible


def test_mqtt_events_through_the_broker_change_the_occupancy(
    broker_port: int, committed_lot: Any, django_db_blocker: Any
) -> None:
    lot = committed_lot
    client_id = f"test-worker-{os.getpid()}"
    worker = WorkerProcess(broker_port, client_id)
    device = publisher(broker_port)
    with django_db_blocker.unblock():
        try:
            worker.start()
            publish(device, lot.gate, event("mq-1", "in", 5, "浙A6M789"))
            assert wait_for(lambda: occupied(lot) == 1), worker.stop()

            # Forged (wrong secret) and replayed messages change nothing.
            publish(device, lot.gate, event("mq-f", "in", 4, "浙B11111"), secret="f" * 64)
            body = json.dumps(event("mq-r", "in", 4, "浙C22222")).encode()
            topic, message = envelope(
                lot.gate.device_id, lot.gate.secret, body, nonce="mqtt-nonce-1"
            )
            device.publish(topic, message, qos=1).wait_for_publish(10)
            device.publish(topic, message, qos=1).wait_for_publish(10)
            assert wait_for(lambda: PassageEvent.objects.filter(lot_id=lot.pk).count() == 2)

            # Nothing is lost while the worker is down: the broker keeps the messages.
            worker.stop()
            for n in range(20):
                publish(device, lot.gate, event(f"mq-down-{n}", "in", 3, f"浙A{n:05d}"))
            publish(device, lot.gate, event("mq-2", "out", 2, "浙A6M789", gate="G2"))
            worker.start()
            assert wait_for(lambda: PassageEvent.objects.filter(lot_id=lot.pk).count() == 23)
            assert occupied(lot) == 1 + 20 + 1 - 1  # mq-r, 20 while down, mq-1 in and out
        finally:
            if worker.process:
                worker.stop()
            device.disconnect()
            device.loop_stop()
            forget_session(broker_port, client_id)
    log = worker.output
    assert "rejected a message" in log and "invalid_signature" in log and "replayed" in log
    for clear in ("浙A6M789", "A6M789", "浙B11111", "浙C22222", "00019"):
        assert clear not in log
