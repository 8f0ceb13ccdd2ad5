"""The MQTT side of device ingest: the message format devices publish, and the worker
(``manage.py devices_mqtt_worker``) that consumes it for every registered kind.

A device publishes with QoS 1 to ``<kind topic>/<device id>/events`` a JSON envelope::

    {"device": "<device id>", "timestamp": "<Unix seconds>", "nonce": "<8-64 chars>",
     "signature": "<hex HMAC-SHA256>", "body": "<the JSON text an HTTP request carries>"}

signed like an HTTP request with method ``MQTT`` and the topic as path (``signing.py``).

The worker subscribes to ``<topic>/+/events`` of each kind registered when it starts,
keeps a persistent session (fixed client id, clean session off) and acknowledges a message
only after the transaction that stored it committed, so nothing is lost when the worker or
the database stops: the broker keeps and redelivers what was not acknowledged. Messages
are taken in batches (up to ``batch_size`` or ``max_wait`` seconds) and stored in one
transaction each (``ingest.from_mqtt``). A message that fails its checks is acknowledged,
counted and logged by topic and reason only, never retried; a database error retries the
batch.
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from django.db import DatabaseError, connection
from django.utils import timezone

from community.devices import ingest, kinds, signing

log = logging.getLogger(__name__)


def envelope(
    root: str,
    device_id: str,
    secret: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> tuple[str, bytes]:
    """(topic, payload) of a signed message, as a device of a kind whose topic root is
    ``root`` builds it."""
    topic = ingest.topic_for(root, device_id)
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(12)
    signature = signing.sign(secret, "MQTT", topic, stamp, nonce, body)
    payload = {
        "device": device_id,
        "timestamp": stamp,
        "nonce": nonce,
        "signature": signature,
        "body": body.decode("utf-8"),
    }
    return topic, json.dumps(payload, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str
    password: str
    client_id: str


@dataclass
class _Received:
    message: ingest.Message
    mid: int
    qos: int


class Worker:
    """Consume, store in batches, acknowledge after commit."""

    def __init__(
        self,
        broker: Broker,
        *,
        batch_size: int = 1000,
        max_wait: float = 0.05,
    ) -> None:
        self.broker = broker
        self.subscriptions = kinds.topics()
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.inbox: queue.Queue[_Received] = queue.Queue()
        self.stats: Counter[str] = Counter()
        self.connected = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=broker.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        self.client.username_pw_set(broker.username, broker.password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.error("devices mqtt: the broker refused the connection: %s", reason)
            return
        if not self.subscriptions:
            log.error("devices mqtt: no device kind is registered; nothing to subscribe to")
            return
        client.subscribe([(topic, 1) for topic in self.subscriptions])
        log.info("devices mqtt: connected to %s:%s", self.broker.host, self.broker.port)

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, reasons: Any, props: Any) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error(
                "devices mqtt: the broker refused a subscription to %s",
                ", ".join(self.subscriptions),
            )
            return
        self.connected.set()
        log.info("devices mqtt: subscribed to %s", ", ".join(self.subscriptions))

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.connected.clear()
        log.warning("devices mqtt: disconnected (%s); reconnecting", reason)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        received = ingest.Message(message.topic, bytes(message.payload), timezone.now())
        self.inbox.put(_Received(received, message.mid, message.qos))

    def _take(self) -> list[_Received]:
        try:
            batch = [self.inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self.inbox.get(timeout=max(remaining, 0))
                    if remaining > 0
                    else self.inbox.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def process(self, batch: list[_Received], stop: threading.Event) -> None:
        """Store the batch, retrying on database errors, then acknowledge every message."""
        while True:
            try:
                results = ingest.from_mqtt([item.message for item in batch])
                break
            except DatabaseError as exc:
                self.stats["database_errors"] += 1
                log.error(
                    "devices mqtt: database error (%s); retrying the batch", type(exc).__name__
                )
                connection.close()
                if stop.wait(1.0):
                    return  # not acknowledged: the broker redelivers after a restart
        for item, result in zip(batch, results, strict=True):
            self.client.ack(item.mid, item.qos)
            if result.accepted:
                self.stats["accepted"] += 1
                self.stats["events"] += len(result.outcomes)
            else:
                self.stats[f"rejected:{result.error}"] += 1
                log.warning(
                    "devices mqtt: rejected a message on %s (%s)", item.message.topic, result.error
                )

    def run(self, stop: threading.Event) -> None:
        for hook in kinds.worker_hooks():
            hook()
        connection.close()
        self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        try:
            while not stop.is_set():
                batch = self._take()
                if batch:
                    self.process(batch, stop)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            connection.close()  # this thread's connection (a worker may run in a thread)
