"""One signed HTTP request of parking events through Django's whole stack, in one process:
the cost of a request without gunicorn, sockets or the client's threads, for comparing two
versions of the code on a loaded machine.

    .venv/bin/python bench/parking_request.py [--before-source DIR] [--pairs 5]

``--before-source`` is a checkout of the other version (e.g. ``git archive 41656be | tar
-x -C DIR``); each side gets its own database (``--database`` and ``--before-database``,
created and migrated by its own code on first use, kept afterwards) with one parking lot
(``bench/parking.py``'s set-up). Then, ``--pairs`` times, alternating before and after,
a fresh process of each side registers a gate device, sends a few warm-up requests and
times ``--requests`` signed requests of ``--batch`` new entries each (Django's test client,
``DJANGO_DEBUG=0``), and reports milliseconds per request and the number of SQL queries
of one request. Prints one line per run and the after / before ratio per pair.

Loopback only; no timing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PY = ROOT / ".venv" / "bin" / "python"
URL = "/api/v1/parking/events/"


def _environment(database: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gis_app.settings",
        "LOCAL_PG_DB": database,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-parking-request-not-secret",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PARKING_CREDENTIAL_KEY": "bench-parking-request-credential-key-not-secret-0123456789",
        "LOG_LEVEL": "WARNING",
    }


def _prepare(source: Path, database: str) -> None:
    """Create, migrate and give one lot to the side's database, with the side's code."""
    sys.path.insert(0, str(ROOT))
    from bench.parking import create_database

    create_database(database, keep=True)
    env = _environment(database)
    subprocess.run(
        [str(VENV_PY), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=source,
        env=env,
        check=True,
    )
    code = "import django; django.setup(); from bench.parking import set_up_lots; set_up_lots(1)"
    subprocess.run([str(VENV_PY), "-c", code], cwd=source, env=env, check=True)


def _child(requests: int, batch: int) -> None:
    """Runs inside a side's checkout: register a device, time the requests, print JSON."""
    import datetime as dt
    import hashlib
    import hmac
    import time

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from community.parking import services
    from community.parking.models import Gate, ParkingLot

    lot = ParkingLot.objects.order_by("id").first()
    assert lot is not None, "no parking lot in the bench database"
    gate = Gate.objects.get(lot=lot, code="G1")
    device, secret = services.register_device(f"req-{secrets.token_hex(4)}", lot, gate=gate)
    client = Client()
    tag = secrets.token_hex(3)
    province = "浙苏沪皖赣闽粤湘"[secrets.randbelow(8)]

    def send(n: int) -> None:
        now = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
        events = [
            {
                "id": f"{tag}-{n}-{i}",
                "time": now,
                "direction": "in",
                "credential_type": "plate",
                "credential": f"{province}{'ABCDEFGHJK'[n % 10]}{(n * batch + i) % 100000:05d}",
            }
            for i in range(batch)
        ]
        body = json.dumps({"events": events}, ensure_ascii=False).encode()
        stamp, nonce = str(int(time.time())), secrets.token_hex(12)
        message = "\n".join(["POST", URL, stamp, nonce, hashlib.sha256(body).hexdigest()])
        signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
        response = client.post(
            URL,
            data=body,
            content_type="application/json",
            HTTP_X_DEVICE_ID=device.device_id,
            HTTP_X_TIMESTAMP=stamp,
            HTTP_X_NONCE=nonce,
            HTTP_X_SIGNATURE=signature,
        )
        assert response.status_code == 200, response.content
        assert response.json()["stored"] == batch, response.content

    for n in range(5):
        send(n)
    statements: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if not sql.startswith(("SAVEPOINT", "RELEASE")):
            statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        send(5)
    started = time.perf_counter()
    for n in range(6, 6 + requests):
        send(n)
    elapsed = time.perf_counter() - started
    print(json.dumps({"ms": elapsed / requests * 1000, "queries": len(statements)}))


def _run(source: Path, database: str, requests: int, batch: int) -> dict[str, float]:
    script = Path(__file__).resolve()
    done = subprocess.run(
        [str(VENV_PY), str(script), "--child", "--requests", str(requests), "--batch", str(batch)],
        cwd=source,
        env={**_environment(database), "PYTHONPATH": str(source)},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"{source}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before-source", type=Path)
    parser.add_argument("--database", default="gis_bench_parking_request")
    parser.add_argument("--before-database", default="gis_bench_parking_request_before")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        here = str(Path(__file__).resolve().parent)  # bench/ has a tiles.py: not the app
        sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
        _child(args.requests, args.batch)
        return
    sides = [("after", ROOT, args.database)]
    if args.before_source:
        sides.insert(0, ("before", args.before_source.resolve(), args.before_database))
    for _name, source, database in sides:
        _prepare(source, database)
    ratios = []
    for pair in range(1, args.pairs + 1):
        found = {}
        for name, source, database in sides if pair % 2 else sides[::-1]:
            found[name] = _run(source, database, args.requests, args.batch)
            load = os.getloadavg()[0]
            print(
                f"pair {pair} {name}: {found[name]['ms']:.1f} ms per request of {args.batch}"
                f" events, {found[name]['queries']} queries per request, load {load:.1f}",
                flush=True,
            )
        if "before" in found:
            ratios.append(found["after"]["ms"] / found["before"]["ms"])
            print(f"pair {pair} after / before: {ratios[-1]:.2f}", flush=True)
    if ratios:
        listed = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"after / before: {listed} (median {statistics.median(ratios):.2f})")


if __name__ == "__main__":
    main()
