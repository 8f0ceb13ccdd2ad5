"""Reports: each report of the API side by side with its raw-SQL floor, the export files,
and the server under six slow report requests at once.

    .venv/bin/python bench/reports.py --database gis_bench_reports [--components 100000]
        [--requests 7] [--rev REV]

1. Uses database ``--database`` of the project-local cluster (created, migrated and given
   the demo, ``load_demo``, when missing: 30 communities, 1,500 buildings, 3,150
   components) and adds ``--components`` generated street trees in the demo district
   (``manage.py generate_components``; 0: the demo alone), then VACUUM ANALYZE.
2. Starts our app with gunicorn (3 sync workers, as ``make demo``, DJANGO_DEBUG=0) and a
   procrastinate worker on the ``reports`` queue, both from the working tree or, with
   ``--rev``, from a ``git archive`` export of that revision (to time the code before a
   change on the same data; a revision without background exports gets no job rows).
3. Times, one client, sequentially, after a warm-up, as ``city_admin`` (who sees every
   component, so the floor needs no access filter):
   * every report as JSON (``GET /api/v1/reports/<kind>/``) beside its floor: the same
     figures straight in SQL through psycopg2, JIT off as in the reports (the report's
     aggregate statements without Django, the access subquery or the JSON: per-area and
     per-class counts, the quality statement of ``component_catalog.quality_sql`` with its
     three groupings, coverage per area with the same box pre-filter and spheroidal
     distance test, edits per month) plus the areas' boundaries as GeoJSON; the ratio is
     ours / floor (parking: no floor);
   * the export files (CSV, XLSX, GeoPackage answered in the request; the PDF in the
     request and as a background job: POST, poll every 0.1 s, download);
4. Six PDF requests at once (the finding of issue 15: they held every worker) while a
   seventh client asks ``/healthz`` every 0.1 s: how long the six took, how many were
   refused (503 ``busy``: no free rendering slot), and the slowest /healthz; then the same
   six as background jobs.
5. Prints a Markdown table and writes it to ``bench/results/reports.md``.

Loopback only; no timing asserts. Logs in .local/bench/logs/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
import ogc_items as common  # noqa: E402  (same folder: database, server helpers)

ROOT = common.ROOT
RESULTS = ROOT / "bench" / "results" / "reports.md"
HOST = common.HOST
WORKERS = 3  # as `make demo`
USER = "city_admin"
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-pass-2019")  # noqa: S105 (the demo's)
DISTRICT = "330106"

# --- the floor: the same figures straight in SQL ------------------------------------------

AREAS_SQL = """
SELECT a.code, a.name, ST_Area(a.boundary::geography) / 1e6, ST_AsGeoJSON(a.boundary, 7)
FROM layers_adminarea a WHERE a.level = %(level)s AND a.code LIKE %(prefix)s ORDER BY a.code
"""
STATUS_SQL = """
SELECT left(c.community_id, %(length)s), c.component_class_id, count(*),
       count(*) FILTER (WHERE c.status = 'good'), count(*) FILTER (WHERE c.status = 'damaged'),
       count(*) FILTER (WHERE c.status = 'missing'), count(*) FILTER (WHERE c.status = 'occupied')
FROM component_catalog_component c
WHERE c.currency = 'in_use' AND c.community_id LIKE %(prefix)s
GROUP BY 1, 2
"""
# The quality statement is the report's own (component_catalog.quality_sql: one pass, the
# three groupings from it), with every in-use component of the area instead of the access
# subquery.
VISIBLE_SQL = (
    "SELECT id FROM component_catalog_component "
    "WHERE currency = 'in_use' AND community_id LIKE %(prefix)s"
)


def quality_floor_sql(area_group: str) -> str:
    from component_catalog import quality_sql  # constants only: no Django set-up needed

    branches = "UNION ALL".join(
        quality_sql._BRANCH.replace("%s::text", f"'{name}'::text").format(
            key=quality_sql.GROUPINGS[name].key,
            label=quality_sql.GROUPINGS[name].label_zh,
            joins=quality_sql.GROUPINGS[name].joins,
        )
        for name in (area_group, "steward", "maintainer")
    )
    statement = quality_sql._QUERY.replace(
        "%s::date - COALESCE(l.update_interval_days, %s)",
        "%(as_of)s::date - COALESCE(l.update_interval_days, 365)",
    )
    return statement.format(
        classes=quality_sql._CLASSES_CTE.strip(), visible=VISIBLE_SQL, branches=branches
    )


COVERAGE_SQL = """
SELECT left(b.community_id, %(length)s), count(*),
       {covered}
FROM layers_building b
WHERE b.community_id LIKE %(prefix)s
GROUP BY 1
"""
# Per service, as the report: the facilities' ids first (in use, not missing), then the
# Web Mercator box pre-filter on their index and the exact test on the spheroid.
COVERED = """count(*) FILTER (WHERE EXISTS (
    SELECT 1 FROM component_catalog_component f
    WHERE f.id = ANY(ARRAY(
              SELECT id FROM component_catalog_component
              WHERE currency = 'in_use' AND status <> 'missing'
                AND component_class_id IN ({classes})))
      AND f.geom_3857 && ST_Expand(ST_Transform(b.geometry, 3857), 1.007 * %(n)s
          / cos(radians(least(89.0, greatest(abs(ST_YMin(b.geometry)),
                                             abs(ST_YMax(b.geometry))) + %(n)s / 110000.0))))
      AND ST_DWithin(f.geometry::geography, b.geometry::geography, %(n)s)))"""
EDITS_SQL = """
SELECT left(COALESCE(h.snapshot -> 'properties' ->> 'community', c.community_id), %(length)s),
       to_char(date_trunc('month', h.time AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM'),
       h.action, count(*)
FROM component_catalog_componenthistory h
JOIN component_catalog_component c ON c.identifier = h.identifier
WHERE h.time >= %(since)s
GROUP BY 1, 2, 3
"""


def floor_statements(kind: str, query: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """The floor of a report: its figures' statements and the areas' boundaries."""
    area, level = query["area"], query["level"]
    city = len(area) == 6 and area.endswith("00")
    values: dict[str, Any] = {
        "level": level,
        "prefix": (area[:4] if city else area) + "%",
        "length": {"district": 6, "street": 9, "community": 12}[level],
        "as_of": dt.date.today(),
        "n": float(query.get("n", 300)),
        "since": dt.datetime.now(dt.UTC) - dt.timedelta(days=366),
    }
    statements: list[tuple[str, dict[str, Any]]] = [(AREAS_SQL, values)]
    if kind in ("counts", "condition"):
        statements.append((STATUS_SQL, values))
    elif kind == "quality":
        group = "community" if level == "community" else "street"
        statements.append((quality_floor_sql(group), values))
    elif kind == "coverage":
        groups = ["'0301'", "'0502'", "'0201', '0215'"]
        covered = ",\n       ".join(COVERED.format(classes=c) for c in groups)
        statements.append((COVERAGE_SQL.format(covered=covered), values))
    elif kind == "edits":
        statements.append((EDITS_SQL, values))
    return statements


def run_floor(conn: Any, statements: list[tuple[str, dict[str, Any]]]) -> float:
    started = time.perf_counter()
    with conn.cursor() as cursor:
        for sql, values in statements:
            cursor.execute(sql, values)
            cursor.fetchall()
    return time.perf_counter() - started


# --- HTTP ----------------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, token: str | None = None, body: bytes | None = None
) -> tuple[int, bytes, dict[str, str]]:
    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    headers = {"Accept-Language": "zh-hans"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def login(port: int) -> str:
    body = f"username={USER}&password={PASSWORD}".encode()
    status, raw, _h = request(port, "POST", "/api/v1/auth/token/", body=body)
    if status != 200:
        raise SystemExit(f"no token for {USER}: {status} {raw[:200]!r}")
    return str(json.loads(raw)["token"])


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def via_job(port: int, token: str, path: str) -> tuple[int, bytes]:
    """POST the export, poll its job every 0.1 s, download the file."""
    status, raw, _h = request(port, "POST", path, token)
    if status != 202:
        return status, raw
    job = json.loads(raw)
    while job["status"] in ("queued", "running"):
        time.sleep(0.1)
        status, raw, _h = request(port, "GET", job["url"], token)
        job = json.loads(raw)
    if job["status"] != "done":
        return 500, raw
    status, raw, _h = request(port, "GET", job["download"], token)
    return status, raw


# --- the servers ---------------------------------------------------------------------------


def code_tree(rev: str | None) -> tuple[Path, str]:
    """Where Django runs from: the working tree, or a ``git archive`` export of ``rev``
    with links to the checkout's environment (``ogc_items.code_tree``)."""
    return common.code_tree(rev, common.WORK, link_shared=True)


def environment(tree: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(tree),
        "PWD": str(tree),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + secrets.token_hex(16),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "ERROR",
    }


def start_servers(tree: Path) -> tuple[common.Server, subprocess.Popen[bytes]]:
    port = common.free_port()
    env = environment(tree)
    # Started in the tree itself (gunicorn puts its working directory first on sys.path:
    # from the working tree it would serve the working tree's code whatever --rev says).
    command = ["env", "-C", str(tree), str(common.GUNICORN), "gis_app.wsgi"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(WORKERS), "--timeout", "300"]
    server = common.start("reports-web", command, port, env, "/healthz")
    common.LOGS.mkdir(parents=True, exist_ok=True)
    log = (common.LOGS / "reports-worker.log").open("wb")
    worker = subprocess.Popen(
        [str(common.VENV_PY), "manage.py", "procrastinate", "worker", "--queues", "reports"],
        cwd=tree,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return server, worker


# --- measuring -----------------------------------------------------------------------------

REPORTS: list[tuple[str, dict[str, str]]] = [
    ("counts", {"area": DISTRICT, "level": "community"}),
    ("condition", {"area": DISTRICT, "level": "community"}),
    ("quality", {"area": DISTRICT, "level": "community"}),
    ("quality", {"area": "330100", "level": "district"}),
    ("coverage", {"area": DISTRICT, "level": "community", "n": "300"}),
    ("edits", {"area": DISTRICT, "level": "community"}),
    ("parking", {"area": DISTRICT, "level": "community"}),
]
EXPORTS: list[tuple[str, str, dict[str, str]]] = [
    ("quality", "csv", {"area": DISTRICT, "level": "community"}),
    ("quality", "xlsx", {"area": DISTRICT, "level": "community"}),
    ("quality", "gpkg", {"area": DISTRICT, "level": "community"}),
    ("quality", "pdf", {"area": "330100", "level": "district"}),
    ("quality", "pdf", {"area": DISTRICT, "level": "community"}),
    ("coverage", "pdf", {"area": DISTRICT, "level": "community", "n": "300"}),
]


def path_of(kind: str, query: dict[str, str], fmt: str | None = None) -> str:
    text = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/reports/{kind}{'.' + fmt if fmt else '/'}?{text}"


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def series(call: Callable[[], Any], requests: int) -> tuple[list[float], Any]:
    call()  # warm-up
    seconds, last = [], None
    for _ in range(requests):
        elapsed, last = timed(call)
        seconds.append(elapsed)
    return seconds, last


def measure_reports(port: int, token: str, conn: Any, requests: int) -> list[dict[str, Any]]:
    rows = []
    for kind, query in REPORTS:
        path = path_of(kind, query)
        ours, (status, raw, _h) = series(partial(request, port, "GET", path, token), requests)
        statements = floor_statements(kind, query) if kind != "parking" else []
        floor = [run_floor(conn, statements) for _ in range(requests)] if statements else []
        row = {
            "what": f"`{kind}` {query}",
            "status": status,
            "bytes": len(raw),
            "ours_ms": median_ms(ours),
            "ours_max_ms": max(ours) * 1000,
            "floor_ms": median_ms(floor) if floor else None,
        }
        rows.append(row)
        print(json.dumps(row, default=str))
    return rows


def measure_exports(port: int, token: str, requests: int, jobs: bool) -> list[dict[str, Any]]:
    rows = []
    for kind, fmt, query in EXPORTS:
        path = path_of(kind, query, fmt)
        sync, (status, raw, _h) = series(partial(request, port, "GET", path, token), requests)
        row: dict[str, Any] = {
            "what": f"`{kind}.{fmt}` {query}",
            "status": status,
            "bytes": len(raw),
            "sync_ms": median_ms(sync),
            "job_ms": None,
        }
        if jobs and fmt == "pdf":
            job, (job_status, _raw) = series(partial(via_job, port, token, path), requests)
            row["job_ms"] = median_ms(job) if job_status == 200 else None
        rows.append(row)
        print(json.dumps(row, default=str))
    return rows


def crowd(port: int, token: str, jobs: bool) -> dict[str, Any]:
    """Six PDF requests at once while /healthz is asked every 0.1 s."""
    path = path_of("quality", {"area": "330100", "level": "district"}, "pdf")
    result: dict[str, Any] = {}

    def with_probe(work: Callable[[], list[int]]) -> tuple[float, list[int], float]:
        stop = threading.Event()
        probes: list[float] = []

        def probe() -> None:
            while not stop.is_set():
                elapsed, _r = timed(lambda: request(port, "GET", "/healthz"))
                probes.append(elapsed)
                time.sleep(0.1)

        prober = threading.Thread(target=probe)
        prober.start()
        elapsed, statuses = timed(work)
        stop.set()
        prober.join()
        return elapsed, statuses, max(probes) * 1000 if probes else 0.0

    def six_sync() -> list[int]:
        with ThreadPoolExecutor(max_workers=6) as pool:
            return [
                s for s, _b, _h in pool.map(lambda _i: request(port, "GET", path, token), range(6))
            ]

    elapsed, statuses, health = with_probe(six_sync)
    result["sync"] = {
        "seconds": elapsed,
        "ok": statuses.count(200),
        "busy": statuses.count(503),
        "healthz_max_ms": health,
    }
    if jobs:

        def six_jobs() -> list[int]:
            with ThreadPoolExecutor(max_workers=6) as pool:
                return [s for s, _b in pool.map(lambda _i: via_job(port, token, path), range(6))]

        elapsed, statuses, health = with_probe(six_jobs)
        result["jobs"] = {
            "seconds": elapsed,
            "ok": statuses.count(200),
            "busy": statuses.count(503),
            "healthz_max_ms": health,
        }
    print(json.dumps(result))
    return result


# --- the table -----------------------------------------------------------------------------


def number(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(meta: dict[str, Any], reports: list[Any], exports: list[Any], crowd: Any) -> str:
    lines = [
        f"# Reports ({meta['when']})",
        "",
        f"Command: `{meta['command']}`  ",
        f"Code: {meta['code']}; data: {meta['components']:,} in-use components, "
        f"{meta['buildings']:,} buildings; {meta['machine']}; load average before: "
        f"{meta['load']}; gunicorn {WORKERS} sync workers; {meta['requests']} requests per "
        "row after one warm-up, median.",
        "",
        "| report (JSON) | status | KiB | ours ms | ours max ms | floor ms | ours / floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        ratio = r["ours_ms"] / r["floor_ms"] if r["floor_ms"] else None
        lines.append(
            f"| {r['what']} | {r['status']} | {r['bytes'] / 1024:,.0f} | {number(r['ours_ms'])} "
            f"| {number(r['ours_max_ms'])} | {number(r['floor_ms'], 1)} | {number(ratio, 1)} |"
        )
    lines += [
        "",
        "| export | status | KiB | in the request ms | background job ms (POST, poll, file) |",
        "|---|---|---|---|---|",
    ]
    for r in exports:
        lines.append(
            f"| {r['what']} | {r['status']} | {r['bytes'] / 1024:,.0f} | {number(r['sync_ms'])} "
            f"| {number(r['job_ms'])} |"
        )
    lines += [
        "",
        "| six `quality.pdf?area=330100` at once | wall s | 200 | 503 busy | slowest /healthz ms |",
        "|---|---|---|---|---|",
    ]
    for name, label in (("sync", "in the request"), ("jobs", "as background jobs")):
        c = crowd.get(name)
        if c:
            lines.append(
                f"| {label} | {c['seconds']:.1f} | {c['ok']} | {c['busy']} "
                f"| {number(c['healthz_max_ms'])} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="gis_bench_reports")
    parser.add_argument("--components", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--rev", help="run the server from this git revision")
    parser.add_argument("--no-jobs", action="store_true", help="the revision has no job API")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(1))  # stop the servers on the way out
    load = f"{os.getloadavg()[0]:.1f}"
    common.use_database(args.database)
    conn = common.connect()
    with conn.cursor() as cursor:
        cursor.execute("SET jit = off")  # as the reports' statements (reports.sql.without_jit)
    generated = common.scalar(conn, common.GENERATED_SQL, [common.CLASS, DISTRICT, common.MARKER])
    if args.components > generated:
        common.manage("generate_components", "--count", str(args.components - generated))
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    tree, code = code_tree(args.rev)
    server, worker = start_servers(tree)
    try:
        token = login(server.port)
        reports = measure_reports(server.port, token, conn, args.requests)
        exports = measure_exports(server.port, token, args.requests, not args.no_jobs)
        crowded = crowd(server.port, token, not args.no_jobs)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        server.stop()
    meta = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python bench/reports.py " + " ".join(sys.argv[1:]),
        "code": code,
        "components": common.scalar(
            conn, "SELECT count(*) FROM component_catalog_component WHERE currency = 'in_use'"
        ),
        "buildings": common.scalar(conn, "SELECT count(*) FROM layers_building"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load": load,
        "requests": args.requests,
    }
    text = markdown(meta, reports, exports, crowded)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    main()
