"""Parking ingest under a bounded load: HTTP and MQTT on loopback, and the event engine
in-process as the floor (no transport, no signature, no parsing).

    .venv/bin/python bench/parking.py [--rate 1000] [--seconds 60] [--burst 60000]

1. Creates a fresh database (``--database``, dropped first unless ``--keep-database``),
   migrates it, loads the demo areas and organizations, and makes ``--lots`` parking lots
   (components of class 0201, capacity 5,000 each, gates G1/G2) with one HTTP and one MQTT
   gate device each.
2. Starts our app with gunicorn (``--workers`` sync workers, DJANGO_DEBUG=0), a private
   Mosquitto (scripts/local_mqtt.sh, its own directory and port) and the MQTT worker
   (``manage.py devices_mqtt_worker``), all on loopback.
3. For each channel, two runs of synthetic traffic (entries of new plates, exits of plates
   inside, 2% of visits sent exit-first with the earlier entry after it, 1% of events
   sent twice as a device retry would):
   * paced: ``--rate`` events per second for ``--seconds`` seconds, to see whether the
     system keeps up and how long an event takes to reach the occupancy;
   * burst: ``--burst`` events as fast as the client can send them, for the capacity.
   HTTP: batches of ``--batch`` events per signed request from ``--clients`` threads
   with keep-alive connections. MQTT: one event per signed message, QoS 1, one publisher.
   Floor: ``engine.record`` in this process on pre-parsed batches of ``--batch`` events.
4. Waits until every event is stored (or ``--timeout``), then reports per run: events
   sent, stored, sustained events/s (stored events over the time from the first send to
   the last store), end-to-end delay p50/p95/max (from the client's send to the
   ``processed_at`` of the stored row, written in the transaction that updates the
   occupancy, just before its commit), and the reconciliation: events sent (distinct ids)
   = events stored, and per lot, live occupancy = entries - exits = vehicles inside.
5. Prints a Markdown table and writes it to ``bench/results/parking.md``.

Loopback only; no timing asserts; logs under .local/bench/logs/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import queue
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_PY = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WORK = ROOT / ".local" / "bench"
LOGS = WORK / "logs"
RESULTS = ROOT / "bench" / "results" / "parking.md"
HOST = "127.0.0.1"
URL = "/api/v1/parking/events/"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
CAPACITY = 5000


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}"


# --- environment --------------------------------------------------------------------------


def environment(database: str, mqtt_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gis_app.settings",
        "LOCAL_PG_DB": database,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PARKING_CREDENTIAL_KEY": secrets.token_urlsafe(48),
        "PARKING_MQTT_PORT": str(mqtt_port),
        "PARKING_MQTT_CLIENT_ID": "bench-parking-worker",
        "LOG_LEVEL": "WARNING",
    }


def create_database(name: str, keep: bool) -> None:
    import psycopg2

    conn = psycopg2.connect(
        host=HOST,
        port=int(os.environ.get("LOCAL_PG_PORT", "5433")),
        user=os.environ.get("LOCAL_PG_USER", "gis"),
        password=os.environ.get("LOCAL_PG_PASSWORD", "gis-local"),
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and not keep:
            cursor.execute(f'DROP DATABASE "{name}"')
            exists = False
        if not exists:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


@dataclass
class BenchLot:
    pk: int
    identifier: str
    http_device: str
    http_secret: str
    mqtt_device: str
    mqtt_secret: str
    floor_device_pk: int
    gates: dict[str, int]


def set_up_lots(count: int) -> list[BenchLot]:
    """Demo areas, then ``count`` lots (through the component service) with devices."""
    from django.contrib.auth import get_user_model

    from community.parking import services
    from community.parking.models import Gate, ParkingLot
    from component_catalog import services as component_services
    from component_catalog.models import ChangesetSource
    from gis_app.models import Organization
    from layers import demo
    from layers.models import GridCell

    demo.load()
    existing = list(ParkingLot.objects.select_related("component").order_by("id"))
    if len(existing) < count:
        cells = list(GridCell.objects.order_by("code")[: count - len(existing)])
        features = []
        for n, cell in enumerate(cells):
            p = cell.boundary.point_on_surface
            dx, dy = 0.0002, 0.00015
            ring = [
                [p.x - dx, p.y - dy],
                [p.x + dx, p.y - dy],
                [p.x + dx, p.y + dy],
                [p.x - dx, p.y + dy],
                [p.x - dx, p.y - dy],
            ]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "class": "0201",
                        "name": f"压测停车场{len(existing) + n + 1}",
                        "competent_department": "XH-CGJ",
                        "owner": "HZ-CDFW",
                        "maintainer": "HZ-CDFW",
                        "attributes": {"capacity": CAPACITY},
                    },
                }
            )
        user = get_user_model().objects.get(username="city_admin")
        ctx = component_services.EditContext(
            user=user, comment="parking bench", source=ChangesetSource.DEMO
        )
        operator = Organization.objects.get(code="HZ-CDFW")
        for component in component_services.batch(ctx, features, crs="CRS84"):
            lot = services.register_lot(component, operator, services.Capacity(CAPACITY))
            services.add_gate(lot, "G1")
            services.add_gate(lot, "G2")
    lots = []
    for lot in ParkingLot.objects.select_related("component").order_by("id")[:count]:
        gate = Gate.objects.get(lot=lot, code="G1")
        tag = secrets.token_hex(3)
        http_device, http_secret = services.register_device(f"bench-{tag}-http", lot, gate=gate)
        mqtt_device, mqtt_secret = services.register_device(f"bench-{tag}-mqtt", lot, gate=gate)
        floor_device, _ = services.register_device(f"bench-{tag}-floor", lot, gate=gate)
        lots.append(
            BenchLot(
                lot.pk,
                lot.component.identifier,
                http_device.device_id,
                http_secret,
                mqtt_device.device_id,
                mqtt_secret,
                floor_device.pk,
                dict(Gate.objects.filter(lot=lot).values_list("code", "id")),
            )
        )
    return lots


# --- traffic ------------------------------------------------------------------------------


@dataclass
class Traffic:
    """Synthetic passages per lot: new plates enter, plates inside leave. Records what it
    made (distinct events, entries and exits per lot) for the reconciliation."""

    lots: int
    province: str
    prefix: str
    rng: random.Random
    inside: list[list[tuple[str, str]]] = field(default_factory=list)
    seq: int = 0
    plates: int = 0
    entries: list[int] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)
    retries: int = 0

    def __post_init__(self) -> None:
        self.inside = [[] for _ in range(self.lots)]
        self.entries = [0] * self.lots
        self.exits = [0] * self.lots

    def _plate(self) -> str:
        self.plates += 1
        n, chars = self.plates, []
        for _ in range(5):
            n, r = divmod(n, len(PLATE_CHARS))
            chars.append(PLATE_CHARS[r])
        return f"{self.province}A{''.join(reversed(chars))}"

    def _event(self, direction: str, plate: str, when: dt.datetime) -> dict[str, Any]:
        self.seq += 1
        return {
            "id": f"{self.prefix}-{self.seq}",
            "time": when.isoformat(),
            "direction": direction,
            "credential_type": "plate",
            "credential": plate,
            **({"gate": "G2"} if direction == "out" else {}),
        }

    def events(self, lot: int, count: int) -> list[dict[str, Any]]:
        """``count`` events (plus retries) for one lot, in send order."""
        out: list[dict[str, Any]] = []
        while len(out) < count:
            now = dt.datetime.now(dt.UTC)
            roll = self.rng.random()
            if roll < 0.02:  # a quick visit whose exit arrives before its entry
                plate = self._plate()
                out.append(self._event("out", plate, now - dt.timedelta(seconds=1)))
                out.append(self._event("in", plate, now - dt.timedelta(seconds=30)))
                self.entries[lot] += 1
                self.exits[lot] += 1
            elif self.inside[lot] and (roll < 0.5 or len(self.inside[lot]) > CAPACITY * 0.8):
                index = self.rng.randrange(len(self.inside[lot]))
                plate, _ = self.inside[lot][index]
                self.inside[lot][index] = self.inside[lot][-1]
                self.inside[lot].pop()
                out.append(self._event("out", plate, now))
                self.exits[lot] += 1
            else:
                plate = self._plate()
                self.inside[lot].append((plate, now.isoformat()))
                out.append(self._event("in", plate, now))
                self.entries[lot] += 1
            if self.rng.random() < 0.01 and out:  # a device retry: the same event again
                out.append(dict(out[-1]))
                self.retries += 1
        return out


@dataclass
class Run:
    name: str
    channel: str
    mode: str
    sent: int = 0  # messages or events put on the wire, retries included
    distinct: int = 0
    first_send: float = 0.0
    send_times: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    stored: int = 0
    rate: float = 0.0
    delays: list[float] = field(default_factory=list)
    start_load: str = ""
    end_load: str = ""
    elapsed_send: float = 0.0


def _mark(run: Run, events: list[dict[str, Any]], at: float) -> None:
    for e in events:
        run.send_times.setdefault(e["id"], at)
    run.sent += len(events)


# --- HTTP ---------------------------------------------------------------------------------


def http_run(
    run: Run,
    lots: list[BenchLot],
    traffic: Traffic,
    port: int,
    total: int,
    rate: float | None,
    batch: int,
    clients: int,
) -> None:
    from community.devices import signing

    work: queue.Queue[tuple[float, BenchLot, list[dict[str, Any]]] | None] = queue.Queue(
        maxsize=clients * 4
    )
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while True:
            item = work.get()
            if item is None:
                break
            due, lot, events = item
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            body = json.dumps({"events": events}, ensure_ascii=False).encode()
            stamp, nonce = str(int(time.time())), secrets.token_hex(12)
            headers = {
                "Content-Type": "application/json",
                "X-Device-Id": lot.http_device,
                "X-Timestamp": stamp,
                "X-Nonce": nonce,
                "X-Signature": signing.sign(lot.http_secret, "POST", URL, stamp, nonce, body),
            }
            sent_at = time.time()
            with lock:
                _mark(run, events, sent_at)
            try:
                conn.request("POST", URL, body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                if response.status != 200:
                    with lock:
                        run.errors.append(f"{response.status} {answer[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    run.errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    start = time.time()
    run.first_send = start
    produced, n = 0, 0
    while produced < total:
        lot_index = n % len(lots)
        n += 1
        events = traffic.events(lot_index, min(batch, total - produced))
        produced += len(events)
        due = start + produced / rate if rate else 0.0
        work.put((due, lots[lot_index], events))
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    run.elapsed_send = time.time() - start


# --- MQTT ---------------------------------------------------------------------------------


def mqtt_run(
    run: Run, lots: list[BenchLot], traffic: Traffic, port: int, total: int, rate: float | None
) -> None:
    import paho.mqtt.client as mqtt

    from community.parking.mqtt import envelope

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}")
    client.username_pw_set(
        "parking-device", os.environ.get("PARKING_MQTT_DEVICE_PASSWORD", "device-local")
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(HOST, port)
    client.loop_start()
    infos = []
    start = time.time()
    run.first_send = start
    produced, n = 0, 0
    while produced < total:
        lot_index = n % len(lots)
        n += 1
        lot = lots[lot_index]
        for event in traffic.events(lot_index, 1):
            if rate:
                delay = start + produced / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
            body = json.dumps(event, ensure_ascii=False).encode()
            topic, payload = envelope(lot.mqtt_device, lot.mqtt_secret, body)
            _mark(run, [event], time.time())
            infos.append(client.publish(topic, payload, qos=1))
            produced += 1
    for info in infos:
        info.wait_for_publish(120)
    run.elapsed_send = time.time() - start
    client.disconnect()
    client.loop_stop()


# --- floor --------------------------------------------------------------------------------


def floor_run(run: Run, lots: list[BenchLot], traffic: Traffic, total: int, batch: int) -> None:
    """The engine alone: resolved events straight into ``engine.record``."""
    from django.db import transaction

    from community.parking import engine, privacy
    from community.parking.inputs import EventIn

    start = time.time()
    run.first_send = start
    produced, n = 0, 0
    while produced < total:
        lot_index = n % len(lots)
        n += 1
        lot = lots[lot_index]
        raw = traffic.events(lot_index, min(batch, total - produced))
        produced += len(raw)
        at = time.time()
        _mark(run, raw, at)
        events = [
            EventIn(
                device_id=lot.floor_device_pk,
                event_id=e["id"],
                lot_id=lot.pk,
                gate_id=lot.gates[e.get("gate", "G1")],
                space_id=None,
                space_kind=None,
                direction=e["direction"],
                occurred_at=dt.datetime.fromisoformat(e["time"]),
                credential=privacy.credential("plate", e["credential"]),
                lot_has_gates=True,
            )
            for e in raw
        ]
        with transaction.atomic():
            engine.record(events, "demo", dt.datetime.now(dt.UTC))
    run.elapsed_send = time.time() - start


# --- measuring ----------------------------------------------------------------------------


def collect(run: Run, channel: str, prefix: str, timeout: float) -> None:
    from django.db import connection

    expected = len(run.send_times)
    deadline = time.time() + timeout
    like = f"{prefix}-%"
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM parking_passageevent WHERE channel = %s AND event_id LIKE %s",
                [channel, like],
            )
            (stored,) = cursor.fetchone()
        if stored >= expected or time.time() > deadline:
            break
        time.sleep(0.5)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_id, extract(epoch FROM processed_at) FROM parking_passageevent "
            "WHERE channel = %s AND event_id LIKE %s",
            [channel, like],
        )
        rows = cursor.fetchall()
    run.stored = len(rows)
    run.distinct = expected
    done = [float(t) for _, t in rows]
    run.delays = [float(t) - run.send_times[e] for e, t in rows if e in run.send_times]
    if done:
        run.rate = run.stored / max(max(done) - run.first_send, 1e-6)


def reconcile(lots: list[BenchLot], traffics: list[Traffic]) -> tuple[int, int, list[str]]:
    """Per lot: stored entries - exits = live occupancy = vehicles inside (presence) =
    what the traffic generators left inside. Returns (lots that agree, lots, problems)."""
    from django.db import connection

    from community.parking import sql
    from community.parking.models import LotOccupancy

    problems = []
    agree = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lot_id, sum(CASE direction WHEN 'in' THEN 1 ELSE -1 END) "
            "FROM parking_passageevent GROUP BY lot_id"
        )
        net = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM parking_passageevent WHERE flags ? 'over_capacity'")
        (over,) = cursor.fetchone()
    if over:
        problems.append(f"{over} events flagged over capacity")
    for i, lot in enumerate(lots):
        live = LotOccupancy.objects.get(lot_id=lot.pk)
        counted = live.occupied_standard + live.occupied_charging + live.occupied_accessible
        inside = sum(sql.recount_occupancy(lot.pk))
        generated = sum(t.entries[i] - t.exits[i] for t in traffics)
        values = {int(net.get(lot.pk, 0)), counted, inside, generated}
        if len(values) == 1:
            agree += 1
        else:
            problems.append(
                f"lot {lot.identifier}: entries-exits {net.get(lot.pk)}, live {counted}, "
                f"inside {inside}, generated {generated}"
            )
    return agree, len(lots), problems


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- processes ----------------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen[bytes]:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(LOGS / log_name, "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_http(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the app did not start (see .local/bench/logs/parking-gunicorn.log)")


def wait_log(name: str, text: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in (LOGS / name).read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise SystemExit(f"'{text}' did not appear in .local/bench/logs/{name}")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- report -------------------------------------------------------------------------------


def table(runs: list[Run]) -> list[str]:
    lines = [
        "| channel | run | events sent (retries incl.) | distinct | stored | lost "
        "| sustained events/s | delay p50 ms | p95 ms | max ms | load 1 min (start → end) |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.channel} | {r.mode} | {r.sent:,} | {r.distinct:,} | {r.stored:,} "
            f"| {r.distinct - r.stored:,} | {r.rate:,.0f} | {percentile(r.delays, 0.5) * 1000:.0f} "
            f"| {percentile(r.delays, 0.95) * 1000:.0f} | {max(r.delays, default=0) * 1000:.0f} "
            f"| {r.start_load} → {r.end_load} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="gis_bench_parking")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--lots", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--burst", type=int, default=60000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--channels", default="floor,http,mqtt")
    args = parser.parse_args()

    mqtt_port = free_port()
    env = environment(args.database, mqtt_port)
    os.environ.update(
        {k: env[k] for k in ("LOCAL_PG_DB", "PARKING_CREDENTIAL_KEY", "DJANGO_SETTINGS_MODULE")}
    )
    create_database(args.database, args.keep_database)
    subprocess.run(
        [str(VENV_PY), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    import django

    django.setup()
    from django.db import connection

    lots = set_up_lots(args.lots)
    connection.close()

    mqtt_dir = WORK / "mqtt"
    broker_env = {**env, "LOCAL_MQTT_DIR": str(mqtt_dir), "LOCAL_MQTT_PORT": str(mqtt_port)}
    http_port = free_port()
    server = worker = None
    runs: list[Run] = []
    traffics: list[Traffic] = []
    rng = random.Random(args.seed)  # noqa: S311 (synthetic traffic)
    channels = args.channels.split(",")
    try:
        subprocess.run(
            [str(ROOT / "scripts" / "local_mqtt.sh"), "start"], env=broker_env, check=True
        )
        server = start(
            [
                str(GUNICORN),
                "gis_app.wsgi",
                "--bind",
                f"{HOST}:{http_port}",
                "--workers",
                str(args.workers),
                "--keep-alive",
                "30",
            ],
            env,
            "parking-gunicorn.log",
        )
        (LOGS / "parking-worker.log").unlink(missing_ok=True)
        worker = start(
            [str(VENV_PY), "manage.py", "devices_mqtt_worker"],
            {**env, "LOG_LEVEL": "INFO"},
            "parking-worker.log",
        )
        wait_http(http_port)
        wait_log("parking-worker.log", "subscribed to")
        paced_total = int(args.rate * args.seconds)
        plans = [("paced", paced_total, args.rate), ("burst", args.burst, None)]
        provinces = iter("浙苏沪皖赣闽粤湘")
        for channel in channels:
            for mode, total, rate in plans:
                if channel == "floor" and mode == "paced":
                    continue
                prefix = f"{channel}-{mode}-{secrets.token_hex(2)}"
                traffic = Traffic(len(lots), next(provinces), prefix, rng)
                traffics.append(traffic)
                run = Run(f"{channel} {mode}", channel, mode, start_load=load())
                print(
                    f"{run.name}: {total:,} events" + (f" at {rate:,.0f}/s" if rate else ""),
                    flush=True,
                )
                stored_channel = {"floor": "demo"}.get(channel, channel)
                if channel == "http":
                    http_run(run, lots, traffic, http_port, total, rate, args.batch, args.clients)
                elif channel == "mqtt":
                    mqtt_run(run, lots, traffic, mqtt_port, total, rate)
                else:
                    floor_run(run, lots, traffic, total, args.batch)
                collect(run, stored_channel, prefix, args.timeout)
                connection.close()
                run.end_load = load()
                runs.append(run)
                print("\n".join(table([run])[2:]), flush=True)
                if run.errors:
                    print(f"  {len(run.errors)} errors, first: {run.errors[0]}", flush=True)
        agree, count, problems = reconcile(lots, traffics)
    finally:
        stop(worker)
        stop(server)
        subprocess.run(
            [str(ROOT / "scripts" / "local_mqtt.sh"), "stop"], env=broker_env, check=False
        )
    write(args, runs, agree, count, problems, lots)


def write(
    args: Any, runs: list[Run], agree: int, count: int, problems: list[str], lots: list[BenchLot]
) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (pg,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM parking_passageevent")
        (total,) = cursor.fetchone()
    errors = sum(len(r.errors) for r in runs)
    head = (
        f"Run {dt.date.today()}: `.venv/bin/python bench/parking.py --rate {args.rate:g} "
        f"--seconds {args.seconds:g} --burst {args.burst} --batch {args.batch} --clients "
        f"{args.clients} --workers {args.workers} --lots {args.lots}`; {os.cpu_count()} cores, "
        f"PostgreSQL {pg.split()[0]}, Python {platform.python_version()}, Mosquitto 2.0 "
        f"(Debian); gunicorn {args.workers} sync workers (HTTP batches of {args.batch} events "
        f"from {args.clients} client threads), one MQTT worker (batches up to 1,000 messages, "
        f"one event per message, QoS 1, one publisher), the floor is `engine.record` "
        f"in-process on batches of {args.batch}; all on loopback on the same machine as the "
        f"clients."
    )
    lines = [
        "# Parking ingest: HTTP, MQTT and the engine floor",
        "",
        head,
        "",
        *table(runs),
        "",
        f"Reconciliation: {sum(r.stored for r in runs):,} events stored of "
        f"{sum(r.distinct for r in runs):,} distinct sent ({sum(r.sent for r in runs):,} put on "
        f"the wire with retries; {total:,} rows in the table); {errors} request errors; "
        f"{agree} of {count} lots with live occupancy = stored entries - exits = vehicles "
        f"inside = what the generator left inside.",
    ]
    if problems:
        lines += ["", "Problems:", *[f"- {p}" for p in problems[:20]]]
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
