"""The device registry and its signed ingest (community.devices), with a made-up device
kind registered here (its own event schema, handler and table) and nothing edited in
``community/devices``: events over HTTP and over MQTT through a real Mosquitto, forged
and replayed requests refused, secrets sealed at rest, rotation and revocation from the
command and from the admin."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from community.devices import kinds, sealing, services, signing
from community.devices import mqtt as device_mqtt
from community.devices.kinds import Kind, Outcome, Submission
from community.devices.models import Device, DeviceNonce
from gis_app import db_roles
from gis_app.errors import DomainError, InvalidInput
from gis_app.models import Organization
from tests.components_helpers import inside
from tests.conftest import REPO
from tests.test_database_roles import connect
from tests.test_parking_mqtt import DEVICE_PASSWORD, SCRIPT, free_port, wait_for

URL = "/api/v1/devices/events/"
CODE = "test.water_meter"
TOPIC = "testmeter"
TABLE = "test_meter_reading"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "time": {"type": "string"},
        "litres": {"type": "number", "minimum": 0},
        "valve": {"enum": ["open", "closed"]},
    },
    "required": ["id", "time", "litres"],
    "additionalProperties": False,
}


class MeterHandler:
    """A water meter's readings, stored in a table of this test, idempotent by device and
    event id; a reading above 10,000 litres is refused naming the field."""

    def prepare(self, submissions: Sequence[Submission]) -> list[list[Any] | DomainError]:
        prepared: list[list[Any] | DomainError] = []
        for submission in submissions:
            rows = []
            for e in submission.events:
                if e.data["litres"] > 10_000:
                    prepared.append(InvalidInput("too much water", field=f"{e.at}litres"))
                    break
                rows.append((submission.device.pk, e.event_id, e.occurred_at, e.data["litres"]))
            else:
                prepared.append(rows)
        return prepared

    def store(self, events: list[Any], channel: str, received_at: Any) -> list[Outcome]:
        outcomes = []
        with connection.cursor() as cursor:
            for device, event_id, at, litres in events:
                cursor.execute(
                    f"INSERT INTO {TABLE} (device_id, event_id, occurred_at, litres, channel) "  # noqa: S608
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                    [device, event_id, at, litres, channel],
                )
                stored = cursor.fetchone() is not None
                outcomes.append(Outcome(event_id, "stored" if stored else "duplicate"))
        return outcomes


def owner_execute(statement: str, grant: bool = False) -> None:
    """A schema change as the database owner (the tests' role may not create tables)."""
    db = connection.settings_dict
    with connect(db_roles.owner_credentials() or db) as conn:
        conn.autocommit = True
        conn.execute(statement)
        if grant and db_roles.app_role():
            conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {db['USER']}")


@pytest.fixture(scope="module")
def meter_table(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The made-up kind's own table (what an app's migration would create)."""
    with django_db_blocker.unblock():
        owner_execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (device_id bigint, event_id text, "
            "occurred_at timestamptz, litres numeric, channel text, UNIQUE (device_id, event_id))",
            grant=True,
        )
        try:
            yield
        finally:
            connection.close()
            owner_execute(f"DROP TABLE IF EXISTS {TABLE}")


def readings(device: Device) -> list[tuple[str, float, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT event_id, litres, channel FROM {TABLE} WHERE device_id = %s "  # noqa: S608
            "ORDER BY event_id",
            [device.pk],
        )
        return [(e, float(v), c) for e, v, c in cursor.fetchall()]


@pytest.fixture
def meter_kind(meter_table: None) -> Iterator[None]:
    kinds.register(
        Kind(code=CODE, label="Water meter", topic=TOPIC, schema=SCHEMA, handler=MeterHandler())
    )
    try:
        yield
    finally:
        kinds.unregister(CODE)


def new_meter(community: str = "330106001001") -> tuple[Device, str]:
    lon, lat = inside(community, 2)
    return services.register(
        f"meter-{secrets.token_hex(3)}",
        CODE,
        Organization.objects.get(code="HZ-SW"),
        location=Point(lon, lat, srid=4490),
        floor="B1",
    )


def at(minutes_ago: float) -> str:
    return (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat()


def reading(event_id: str, litres: float, minutes_ago: float = 5, **extra: Any) -> dict[str, Any]:
    return {"id": event_id, "time": at(minutes_ago), "litres": litres, **extra}


def post(
    device_id: str,
    secret: str,
    payload: Any,
    *,
    url: str = URL,
    nonce: str | None = None,
    client: Client | None = None,
) -> Any:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    nonce = nonce or secrets.token_hex(12)
    headers = {
        "HTTP_X_DEVICE_ID": device_id,
        "HTTP_X_TIMESTAMP": stamp,
        "HTTP_X_NONCE": nonce,
        "HTTP_X_SIGNATURE": signing.sign(secret, "POST", url, stamp, nonce, body),
    }
    return (client or Client()).post(url, data=body, content_type="application/json", **headers)


# --- HTTP -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_kind_registered_by_a_test_is_ingested_over_http(meter_kind: None) -> None:
    device, secret = new_meter()
    assert device.area_id == "330106001001"  # the community of its point
    batch = {"events": [reading("r-1", 12.5), reading("r-2", 13.0, 4, valve="open")]}
    response = post(device.device_id, secret, batch)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "stored": 2,
        "duplicates": 0,
        "events": [
            {"id": "r-1", "status": "stored", "flags": []},
            {"id": "r-2", "status": "stored", "flags": []},
        ],
    }
    again = post(device.device_id, secret, reading("r-1", 12.5))  # a device's retry
    assert again.json()["duplicates"] == 1
    assert readings(device) == [("r-1", 12.5, "http"), ("r-2", 13.0, "http")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"litres": -1}, "events[1].litres"),
        ({"litres": "lots"}, "events[1].litres"),
        ({"valve": "ajar"}, "events[1].valve"),
        ({"colour": "red"}, "events[1].colour"),
        ({"time": "2025-01-01T08:00:00"}, "events[1].time"),
        ({"id": "no spaces"}, "events[1].id"),
        ({"litres": 20_000}, "events[1].litres"),  # the handler's own check
    ],
)
def test_the_new_kinds_schema_names_the_bad_field_and_nothing_is_stored(
    meter_kind: None, bad: dict[str, Any], field: str
) -> None:
    device, secret = new_meter()
    nonces = DeviceNonce.objects.count()
    response = post(device.device_id, secret, {"events": [reading("ok", 1), reading("x", 2) | bad]})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert readings(device) == []
    assert DeviceNonce.objects.count() == nonces


@pytest.mark.django_db
def test_forged_and_replayed_requests_of_the_new_kind_are_401(meter_kind: None) -> None:
    device, secret = new_meter()
    forged = post(device.device_id, "0" * 64, reading("f-1", 1))
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_signature"
    assert "HMAC-SHA256" in forged["WWW-Authenticate"]
    assert (
        post(device.device_id, secret, reading("p-1", 1), nonce="nonce-meter-1").status_code == 200
    )
    replay = post(device.device_id, secret, reading("p-2", 2), nonce="nonce-meter-1")
    assert replay.status_code == 401 and replay.json()["error"] == "replayed"
    assert readings(device) == [("p-1", 1.0, "http")]


@pytest.mark.django_db
def test_a_kinds_device_is_refused_at_another_apps_url(meter_kind: None) -> None:
    """Parking's URL takes parking's kinds only; the signature covers the path, so the
    same request is valid only where it was signed for."""
    device, secret = new_meter()
    at_parking = post(device.device_id, secret, reading("u-1", 1), url="/api/v1/parking/events/")
    assert at_parking.status_code == 401
    assert readings(device) == []


# --- secrets at rest, rotation, revocation --------------------------------------------------


@pytest.mark.django_db
def test_the_secret_is_sealed_at_rest(meter_kind: None) -> None:
    device, secret = new_meter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_sealed, row_to_json(d)::text FROM devices_device d WHERE id = %s",
            [device.pk],
        )
        sealed, row = cursor.fetchone()
    sealed = bytes(sealed)
    assert secret.encode() not in sealed and bytes.fromhex(secret) not in sealed
    assert secret not in row and secret.upper() not in row
    assert sealing.unseal(sealed, device.device_id) == secret
    # bound to its device: the same ciphertext on another device's row does not open
    other, _ = new_meter()
    Device.objects.filter(pk=other.pk).update(secret_sealed=sealed)
    assert post(other.device_id, secret, reading("s-1", 1)).status_code == 401


def command(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("devices", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_rotate_from_the_command_refuses_the_old_secret(meter_kind: None) -> None:
    device, old = new_meter()
    assert post(device.device_id, old, reading("a-1", 1)).status_code == 200
    printed = command("rotate", device.device_id)
    new = re.search(r"new secret \(shown once\): ([0-9a-f]{64})", printed).group(1)
    assert new != old
    refused = post(device.device_id, old, reading("a-2", 2))
    assert refused.status_code == 401 and refused.json()["field"] == "X-Signature"
    assert post(device.device_id, new, reading("a-3", 3)).status_code == 200
    assert [r[0] for r in readings(device)] == ["a-1", "a-3"]


@pytest.mark.django_db
def test_revoke_from_the_command_stops_the_device(meter_kind: None) -> None:
    device, secret = new_meter()
    assert "revoked" in command("revoke", device.device_id)
    nonces = DeviceNonce.objects.count()
    response = post(device.device_id, secret, reading("v-1", 1))
    assert response.status_code == 401 and response.json()["field"] == "X-Device-Id"
    assert readings(device) == [] and DeviceNonce.objects.count() == nonces
    device.refresh_from_db()
    assert (
        not device.active and device.revoked_at is not None and bytes(device.secret_sealed) == b""
    )
    with pytest.raises(CommandError):  # a revoked device gets no new secret
        command("rotate", device.device_id)
    device.refresh_from_db()
    assert bytes(device.secret_sealed) == b""


def admin_client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="demo-pass-2019")
    return client


@pytest.mark.django_db
def test_rotate_and_revoke_from_the_admin_within_ones_area(meter_kind: None) -> None:
    mine, old = new_meter("330106001001")  # in 北山街道
    theirs, their_secret = new_meter("330106002001")  # another street
    client = admin_client("street_admin")
    changelist = client.get("/admin/devices/device/")
    assert changelist.status_code == 200
    assert mine.device_id in changelist.content.decode()
    assert theirs.device_id not in changelist.content.decode()

    page = client.post(
        "/admin/devices/device/",
        {"action": "rotate_secrets", "_selected_action": [mine.pk], "index": 0},
    )
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    new = re.search(r'class="device-secret">([0-9a-f]{64})<', page.content.decode()).group(1)
    assert post(mine.device_id, old, reading("m-1", 1)).status_code == 401
    assert post(mine.device_id, new, reading("m-2", 2)).status_code == 200
    # a device outside the street: not offered, and its secret not rotated if forced
    client.post(
        "/admin/devices/device/",
        {"action": "rotate_secrets", "_selected_action": [theirs.pk], "index": 0},
    )
    assert post(theirs.device_id, their_secret, reading("t-1", 1)).status_code == 200

    done = client.post(
        "/admin/devices/device/",
        {"action": "revoke_devices", "_selected_action": [mine.pk], "index": 0},
        follow=True,
    )
    assert done.status_code == 200
    assert post(mine.device_id, new, reading("m-3", 3)).status_code == 401
    assert [r[0] for r in readings(mine)] == ["m-2"]


@pytest.mark.django_db
def test_an_admin_cannot_place_a_device_outside_its_area(meter_kind: None) -> None:
    client = admin_client("street_admin")
    lon, lat = inside("330106002001", 2)
    owner = Organization.objects.get(code="HZ-SW")
    form = {
        "device_id": "meter-outside",
        "name": "outside",
        "kind": CODE,
        "owner": owner.pk,
        "location": json.dumps({"type": "Point", "coordinates": [lon, lat]}),
        "floor": "",
        "active": "on",
    }
    refused = client.post("/admin/devices/device/add/", form)
    assert refused.status_code == 200  # the form again, with the error
    assert not Device.objects.filter(device_id="meter-outside").exists()
    lon, lat = inside("330106001001", 2)
    form["location"] = json.dumps({"type": "Point", "coordinates": [lon, lat]})
    added = client.post("/admin/devices/device/add/", form)
    assert added.status_code == 200 and "no-store" in added["Cache-Control"]
    secret = re.search(r'class="device-secret">([0-9a-f]{64})<', added.content.decode()).group(1)
    device = Device.objects.get(device_id="meter-outside")
    assert device.area_id == "330106001001"
    assert sealing.unseal(device.secret_sealed, device.device_id) == secret


def test_the_devices_app_knows_nothing_about_parking() -> None:
    for path in (REPO / "community" / "devices").rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        assert "parking" not in text, path


# --- MQTT through the real broker -------------------------------------------------------


@pytest.fixture(scope="module")
def private_broker() -> Iterator[int]:
    """A Mosquitto of its own, configured by the project's script (its ACL as shipped)."""
    if not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("the Debian package mosquitto is not installed")
    directory = tempfile.mkdtemp(prefix="gis-test-devices-mqtt-")
    port = free_port()
    env = {**os.environ, "LOCAL_MQTT_DIR": directory, "LOCAL_MQTT_PORT": str(port)}
    subprocess.run([str(SCRIPT), "start"], check=True, env=env)
    try:
        yield port
    finally:
        subprocess.run([str(SCRIPT), "stop"], check=False, env=env, capture_output=True)


def test_a_new_kind_is_ingested_over_mqtt_through_the_broker(
    private_broker: int, meter_kind: None, django_db_setup: Any, django_db_blocker: Any
) -> None:
    from django.conf import settings

    with django_db_blocker.unblock():
        device, secret = new_meter()
        broker = device_mqtt.Broker(
            "127.0.0.1",
            private_broker,
            settings.DEVICES_MQTT_USERNAME,
            settings.DEVICES_MQTT_PASSWORD,
            f"test-devices-worker-{os.getpid()}",
        )
        worker = device_mqtt.Worker(broker, max_wait=0.02)
        assert f"{TOPIC}/+/events" in worker.subscriptions
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"meter-{os.getpid()}")
        publisher.username_pw_set("parking-device", DEVICE_PASSWORD)
        publisher.connect("127.0.0.1", private_broker)
        publisher.loop_start()
        try:
            thread.start()
            assert worker.connected.wait(30), "the worker did not subscribe"

            def publish(payload: Any, key: str = secret, nonce: str | None = None) -> None:
                body = json.dumps(payload).encode()
                topic, message = device_mqtt.envelope(
                    TOPIC, device.device_id, key, body, nonce=nonce
                )
                publisher.publish(topic, message, qos=1).wait_for_publish(10)

            publish({"events": [reading("q-1", 3), reading("q-2", 4)]})
            publish(reading("q-f", 5), key="f" * 64)  # forged
            publish(reading("q-r", 6), nonce="meter-nonce-1")
            publish(reading("q-r2", 7), nonce="meter-nonce-1")  # replayed nonce
            publish(reading("q-1", 3))  # a retry of a stored event
            assert wait_for(lambda: worker.stats["accepted"] >= 3 and len(worker.stats) >= 4)
            assert readings(device) == [
                ("q-1", 3.0, "mqtt"),
                ("q-2", 4.0, "mqtt"),
                ("q-r", 6.0, "mqtt"),
            ]
            assert worker.stats["rejected:invalid_signature"] == 1
            assert worker.stats["rejected:replayed"] == 1
        finally:
            stop.set()
            thread.join(30)
            publisher.disconnect()
            publisher.loop_stop()
            DeviceNonce.objects.filter(device=device).delete()
            Device.objects.filter(pk=device.pk).delete()


@pytest.mark.django_db
def test_a_new_key_with_the_old_one_listed_reseals_and_devices_keep_working(
    meter_kind: None, settings: Any
) -> None:
    device, secret = new_meter()
    before = bytes(Device.objects.get(pk=device.pk).secret_sealed)
    settings.DEVICES_OLD_SECRET_KEYS = [settings.DEVICES_SECRET_KEY]
    settings.DEVICES_SECRET_KEY = "a-new-key-" + "x" * 40
    assert "resealed" in command("reseal")
    after = bytes(Device.objects.get(pk=device.pk).secret_sealed)
    assert after != before and sealing.sealed_under_current_key(after)
    assert post(device.device_id, secret, reading("k-1", 1)).status_code == 200
    settings.DEVICES_OLD_SECRET_KEYS = []  # the old key dropped: still opens (resealed)
    assert post(device.device_id, secret, reading("k-2", 2)).status_code == 200
    with pytest.raises(sealing.Unsealable):
        sealing.unseal(before, device.device_id)  # what the old key sealed no longer opens


def test_deploy_check_refuses_the_development_key(settings: Any) -> None:
    from community.devices.checks import secret_key

    settings.DEBUG = False
    settings.DEVICES_SECRET_KEY = settings.DEVICES_DEV_SECRET_KEY
    assert [e.id for e in secret_key()] == ["devices.E001"]
    settings.DEVICES_SECRET_KEY = secrets.token_urlsafe(48)
    assert secret_key() == []
