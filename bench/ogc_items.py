"""OGC API Features items: our /ogc/ endpoint side by side with pygeoapi and the raw-SQL floor.

    .venv/bin/python bench/ogc_items.py --count 1000000 --requests 50

1. Ensures the street-tree collection (class 0402) holds ``--count`` features, generating
   the missing ones (``manage.py generate_components``; capped at the serial space of the
   county and class: 999,999), then VACUUM ANALYZE.
2. Starts our app with gunicorn (2 sync workers, DJANGO_DEBUG=0) on a free loopback port.
3. Installs pygeoapi into its own virtualenv under .local/bench/pygeoapi-venv (once),
   creates the view ``bench_trees`` (the same rows and properties as our collection),
   writes a pygeoapi config and OpenAPI document under .local/bench/pygeoapi/ and starts
   pygeoapi's Flask app with gunicorn (2 sync workers) on another free port.
4. Times, sequentially, one client, after a warm-up, the same pages for everyone:
   * random pages: ``limit=1000&offset=K`` for random K over the whole collection;
   * a walk: from the middle of the collection, following each server's ``next`` link
     (ours: keyset cursor; pygeoapi: offset) and, for the floor, keyset on the id;
   each against our endpoint, pygeoapi and the floor (the feature SELECT that our
   endpoint runs, straight through psycopg2, fetched fully). Every page is checked: the
   same feature ids everywhere, and our features identical to the floor's.
5. Prints a Markdown table and writes it to bench/results/ogc_items.md.
6. Stops the servers and drops the view (the generated rows stay for the next run; remove
   them with ``manage.py generate_components --delete-generated``).

Loopback only; no timing asserts. Logs go to .local/bench/logs/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from math import ceil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import yaml
from psycopg2 import sql as pgsql

ROOT = Path(__file__).resolve().parent.parent
VENV_PY = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WORK = ROOT / ".local" / "bench"
PYGEOAPI_VENV = WORK / "pygeoapi-venv"
LOGS = WORK / "logs"
RESULTS = ROOT / "bench" / "results" / "ogc_items.md"

CLASS = "0402"
COUNTY = "330106"
COLLECTION = f"component-{CLASS}"
MAX_SERIAL = 999_999
MARKER = "generated"  # component_catalog.bench_sql.MARKER
LIMIT = 1000
WORKERS = 2
HOST = "127.0.0.1"
# Tested together; pygeoapi's PostgreSQL provider needs the SQLAlchemy stack.
PYGEOAPI_PACKAGES = [
    "pygeoapi==0.21.0",
    "SQLAlchemy==2.1.9",
    "GeoAlchemy2==0.20.0",
    "pygeofilter==0.4.0",
    "psycopg2-binary==2.9.13",
    "shapely==2.2.0",
    "gunicorn==27.0.1",
]

# The rows and properties of our collection component-0402 for an anonymous caller
# (component_catalog/ogc_source.py): in use, class 0402, organizations by code.
VIEW_SQL = """
CREATE OR REPLACE VIEW bench_trees AS
SELECT c.id, c.identifier, c.component_class_id AS class, c.name, c.status, c.address,
       c.community_id AS community, c.grid_cell_id AS grid_cell,
       cd.code AS competent_department, o.code AS owner, m.code AS maintainer,
       c.data_source, c.initial_date, c.change_date, c.attributes, c.version, c.updated_at,
       c.geometry
FROM component_catalog_component c
JOIN core_organization cd ON cd.id = c.competent_department_id
JOIN core_organization o ON o.id = c.owner_id
JOIN core_organization m ON m.id = c.maintainer_id
WHERE c.component_class_id = '0402' AND c.currency = 'in_use'
"""

# The floor: the feature SELECT of layers/ogc/sql.py (feature_sql) for this collection,
# written out (without the access module's public-layer semi-join, a one-row lookup):
# GeoJSON built in PostGIS, one text per feature, byte-identical to ours.
_FLOOR_FEATURES = """
SELECT q.id, q.identifier, json_build_object(
    'type', 'Feature', 'id', q.identifier, 'geometry', q.g::json,
    'properties', json_build_object(
        'identifier', q.identifier, 'class', q.component_class_id, 'name', q.name,
        'status', q.status, 'address', q.address, 'community', q.community_id,
        'grid_cell', q.grid_cell_id, 'competent_department', q.cd,
        'owner', q.o, 'maintainer', q.m, 'data_source', q.data_source,
        'initial_date', q.initial_date, 'change_date', q.change_date,
        'attributes', q.attributes, 'version', q.version, 'updated_at', q.updated_at))::text
FROM (
    SELECT c.id, c.identifier, ST_AsGeoJSON(c.geometry, 8, 0) AS g, c.component_class_id,
           c.name, c.status, c.address, c.community_id, c.grid_cell_id, cd.code AS cd,
           o.code AS o, m.code AS m, c.data_source, c.initial_date, c.change_date,
           c.attributes, c.version, c.updated_at
    FROM component_catalog_component c
    JOIN core_organization cd ON cd.id = c.competent_department_id
    JOIN core_organization o ON o.id = c.owner_id
    JOIN core_organization m ON m.id = c.maintainer_id
    WHERE c.component_class_id = '0402' AND c.currency = 'in_use' {where}
    ORDER BY c.id {paging}
) AS q
ORDER BY q.id
"""
FLOOR_OFFSET_SQL = _FLOOR_FEATURES.format(where="", paging="LIMIT %s OFFSET %s")
FLOOR_KEYSET_SQL = _FLOOR_FEATURES.format(where="AND c.id > %s", paging="LIMIT %s")
# Our endpoint also counts the matches up to a cap on every page (layers/ogc/views.py,
# COUNT_CAP) to give numberMatched; timed on its own as a diagnostic.
COUNT_CAP = 100_000
CAPPED_COUNT_SQL = """
SELECT count(*) FROM (
    SELECT c.id FROM component_catalog_component c
    WHERE c.component_class_id = '0402' AND c.currency = 'in_use' LIMIT %s
) AS s
"""
COUNT_SQL = (
    "SELECT count(*) FROM component_catalog_component "
    "WHERE component_class_id = '0402' AND currency = 'in_use'"
)
GENERATED_SQL = (
    "SELECT count(*) FROM component_catalog_component "
    "WHERE component_class_id = %s AND county_code = %s AND notes = %s"
)


# --- database -------------------------------------------------------------------------


def db_params() -> dict[str, Any]:
    """Connection parameters: DATABASE_URL, else the project-local cluster (as settings)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        parts = urlsplit(url)
        return {
            "host": parts.hostname or HOST,
            "port": parts.port or 5432,
            "dbname": parts.path.lstrip("/"),
            "user": parts.username,
            "password": parts.password or "",
        }
    return {
        "host": HOST,
        "port": int(os.environ.get("LOCAL_PG_PORT", "5433")),
        "dbname": os.environ.get("LOCAL_PG_DB", "gis"),
        "user": os.environ.get("LOCAL_PG_USER", "gis"),
        "password": os.environ.get("LOCAL_PG_PASSWORD", "gis-local"),
    }


def connect() -> Any:
    conn = psycopg2.connect(**db_params(), application_name="bench")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")  # as Django's connections: same timestamps
    return conn


def scalar(conn: Any, sql: str, params: Any = None) -> Any:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def manage(*args: str) -> None:
    subprocess.run([str(VENV_PY), "manage.py", *args], cwd=ROOT, check=True)


def use_database(name: str) -> None:
    """Run everything (our app, pygeoapi, the floor) on database ``name`` of the
    project-local cluster instead of the dev database; create, migrate and give it the demo
    when that is missing. Isolates the benchmark from other work on the dev database."""
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("--database works with the project-local cluster only")
    dev = db_params()
    if name == dev["dbname"]:
        return
    admin = psycopg2.connect(**dev)
    admin.autocommit = True
    if not scalar(admin, "SELECT 1 FROM pg_database WHERE datname = %s", [name]):
        print(f"creating database {name}")
        with admin.cursor() as cursor:
            cursor.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    admin.close()
    os.environ["LOCAL_PG_DB"] = name  # read by the settings, db_params() and the children
    manage("migrate", "--noinput", "-v", "0")
    manage("load_demo")


def drop_database(name: str) -> None:
    os.environ.pop("LOCAL_PG_DB", None)
    admin = psycopg2.connect(**db_params())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(name)))
    admin.close()
    print(f"dropped database {name}")


def ensure_data(conn: Any, wanted: int) -> dict[str, int]:
    """Make the collection hold ``wanted`` features (capped at the serial space of the
    county and class), generating what is missing; then VACUUM ANALYZE. Never deletes."""
    target = min(wanted, MAX_SERIAL)
    if target < wanted:
        print(
            f"note: --count {wanted:,} capped at {target:,}: identifiers of county {COUNTY} "
            f"class {CLASS} have 6 serial digits"
        )
    total = scalar(conn, COUNT_SQL)
    if total < target:
        manage("generate_components", "--count", str(target - total), "--class", CLASS)
    else:
        print(f"data: the collection already holds {total:,} features")
    started = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE component_catalog_component")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
    total = scalar(conn, COUNT_SQL)
    generated = scalar(conn, GENERATED_SQL, [CLASS, COUNTY, MARKER])
    return {"generated": int(generated), "total": int(total)}


# --- servers ---------------------------------------------------------------------------


def code_tree(
    rev: str | None, work: Path, watched: tuple[str, ...] = (), link_shared: bool = False
) -> tuple[Path, str]:
    """The tree to run Django from and its description: the working tree (said to carry
    uncommitted changes when any of the ``watched`` paths has some), or, with ``rev``, that
    revision exported with ``git archive`` under ``work`` (once), so the timed code is
    exactly a commit while the working tree is being edited. ``link_shared``: the export
    gets links to the checkout's .venv, node_modules and .local."""
    git = ["git", "-C", str(ROOT)]
    if rev is None:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = (
            watched
            and subprocess.run(
                [*git, "status", "--porcelain", "--", *watched],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        return ROOT, f"working tree at {head}" + (" (with uncommitted changes)" if dirty else "")
    sha = subprocess.run(
        [*git, "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = work / f"src-{sha[:12]}"
    if not (tree / "manage.py").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run([*git, "archive", sha], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        for shared in (".venv", "node_modules", ".local") if link_shared else ():
            if not (tree / shared).exists() and (ROOT / shared).exists():
                (tree / shared).symlink_to((ROOT / shared).resolve())
    return tree, f"commit {sha[:12]} (exported with git archive)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group this script started
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(name: str, command: list[str], port: int, env: dict[str, str], ready: str) -> Server:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, port, process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            status, _body = get(port, ready)
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    tail = log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"{name} did not come up on port {port} ({ready}); log tail:\n{tail}")


def start_ours() -> Server:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + secrets.token_hex(16),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "ERROR",
    }
    command = [str(GUNICORN), "gis_app.wsgi", "--bind", f"{HOST}:{port}"]
    command += ["--workers", str(WORKERS), "--timeout", "300"]
    return start("ours", command, port, env, "/healthz")


def ensure_pygeoapi() -> str:
    """The pygeoapi virtualenv (created once); returns pygeoapi's version."""
    python = PYGEOAPI_VENV / "bin" / "python"
    if not (PYGEOAPI_VENV / "bin" / "pygeoapi").exists():
        print(f"installing {', '.join(PYGEOAPI_PACKAGES)} into .local/bench/pygeoapi-venv")
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PYGEOAPI_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, *PYGEOAPI_PACKAGES], check=True)
    version = subprocess.run(
        [str(python), "-c", "import pygeoapi; print(pygeoapi.__version__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return version


def pygeoapi_config(port: int, db: dict[str, Any], bbox: list[float]) -> str:
    # The password is not written: pygeoapi substitutes ${BENCH_PG_PASSWORD} at load time.
    config = {
        "server": {
            "bind": {"host": HOST, "port": port},
            "url": f"http://{HOST}:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "language": "en-US",
            "cors": False,
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": LIMIT, "on_exceed": "throttle"},
            "map": {
                "url": f"http://{HOST}:{port}/no-tiles/{{z}}/{{x}}/{{y}}.png",
                "attribution": "none",
            },
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "pygeoapi peer of the OGC API items benchmark",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": f"http://{HOST}:{port}/",
                "url": f"http://{HOST}:{port}",
            },
            "license": {"name": "none", "url": f"http://{HOST}:{port}/"},
            "provider": {"name": "bench", "url": f"http://{HOST}:{port}/"},
            "contact": {"name": "bench", "url": f"http://{HOST}:{port}/"},
        },
        "resources": {
            "bench_trees": {
                "type": "collection",
                "title": "Street trees (benchmark view)",
                "description": "Class 0402 components in use",
                "keywords": ["trees"],
                "extents": {
                    "spatial": {
                        "bbox": bbox,
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    }
                },
                "providers": [
                    {
                        "type": "feature",
                        "name": "PostgreSQL",
                        "data": {
                            "host": db["host"],
                            "port": db["port"],
                            "dbname": db["dbname"],
                            "user": db["user"],
                            "password": "${BENCH_PG_PASSWORD}",
                            "search_path": ["public"],
                        },
                        "id_field": "id",
                        "table": "bench_trees",
                        "geom_field": "geometry",
                    }
                ],
            }
        },
    }
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def start_pygeoapi(conn: Any, version: str) -> Server:
    with conn.cursor() as cursor:
        cursor.execute(VIEW_SQL)
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(boundary) AS e FROM layers_adminarea WHERE level = 'city') s"
        )
        bbox = [round(float(v), 6) for v in cursor.fetchone()]
    port = free_port()
    db = db_params()
    folder = WORK / "pygeoapi"
    folder.mkdir(parents=True, exist_ok=True)
    config, openapi = folder / "config.yml", folder / "openapi.yml"
    config.write_text(pygeoapi_config(port, db, bbox), encoding="utf-8")
    env = {
        **os.environ,
        "PYGEOAPI_CONFIG": str(config),
        "PYGEOAPI_OPENAPI": str(openapi),
        "BENCH_PG_PASSWORD": db["password"],
    }
    bin_ = PYGEOAPI_VENV / "bin"
    subprocess.run(
        [str(bin_ / "pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    command = [str(bin_ / "gunicorn"), "pygeoapi.flask_app:APP", "--bind", f"{HOST}:{port}"]
    command += ["--workers", str(WORKERS), "--timeout", "300"]
    print(f"pygeoapi {version} on port {port}")
    return start("pygeoapi", command, port, env, "/collections/bench_trees?f=json")


# --- clients ---------------------------------------------------------------------------


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        connection.request("GET", path, headers={"Accept": "application/geo+json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Page:
    seconds: float
    size: int  # bytes of the response (floor: of the feature texts)
    ids: list[Any]
    features: list[Any] | None = None  # parsed, for the identity check
    next_path: str | None = None
    pks: list[Any] = field(default_factory=list)  # floor: primary keys (pygeoapi's ids)


def local_path(href: str) -> str:
    """Path and query of a next link (the servers put absolute loopback URLs there)."""
    parts = urlsplit(href)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def http_page(port: int, path: str, keep: bool) -> Page:
    started = time.perf_counter()
    status, body = get(port, path)
    seconds = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}: {body[:300]!r}")
    data = json.loads(body)
    links = [link["href"] for link in data.get("links", []) if link.get("rel") == "next"]
    features = data["features"]
    return Page(
        seconds,
        len(body),
        [f["id"] for f in features],
        features if keep else None,
        local_path(links[0]) if links else None,
    )


def floor_page(conn: Any, sql: str, params: list[Any], keep: bool) -> Page:
    started = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    size = sum(len(row[2].encode()) for row in rows) + len(rows)
    features = [json.loads(row[2]) for row in rows] if keep else None
    last = str(rows[-1][0]) if rows else None  # the last id, for keyset
    return Page(seconds, size, [row[1] for row in rows], features, last, [r[0] for r in rows])


@dataclass
class Series:
    scenario: str
    target: str
    pages: list[Page] = field(default_factory=list)

    def add(self, page: Page) -> None:
        self.pages.append(page)


def ours_offset_path(offset: int) -> str:
    return f"/ogc/collections/{COLLECTION}/items?limit={LIMIT}&offset={offset}"


def pyg_offset_path(offset: int) -> str:
    return f"/collections/bench_trees/items?limit={LIMIT}&offset={offset}&f=json"


def run(args: argparse.Namespace) -> None:
    dev_db = db_params()["dbname"]
    if args.drop_database and args.database in (None, dev_db):
        raise SystemExit("--drop-database needs --database NAME other than the dev database")
    if args.database:
        use_database(args.database)
    try:
        measure(args)
    finally:
        if args.drop_database:
            drop_database(args.database)


def measure(args: argparse.Namespace) -> None:
    conn = connect()
    pg_version = scalar(conn, "SHOW server_version")
    postgis = scalar(conn, "SELECT postgis_lib_version()")
    jit = scalar(conn, "SHOW jit")
    data = ensure_data(conn, args.count)
    total = data["total"]
    print(f"collection {COLLECTION}: {total:,} features ({data['generated']:,} generated)")
    pyg_version = ensure_pygeoapi()

    load_start = os.getloadavg()[0]
    rng = random.Random(args.seed)  # noqa: S311 (page choice, not security)
    offsets = [rng.randrange(0, total - LIMIT + 1) for _ in range(args.requests)]
    warm = [rng.randrange(0, total - LIMIT + 1) for _ in range(args.warmup)]
    walk_start = total // 2

    servers: list[Server] = []
    try:
        ours = start_ours()
        servers.append(ours)
        status, body = get(ours.port, f"/ogc/collections/{COLLECTION}/items?limit=2")
        if status != 200:
            raise SystemExit(f"our endpoint answers HTTP {status}: {body[:300]!r}")
        pyg = start_pygeoapi(conn, pyg_version)
        servers.append(pyg)
        floor_nojit = connect()
        with floor_nojit.cursor() as cursor:
            cursor.execute("SET jit = off")

        targets = {
            "ours": lambda o, keep: http_page(ours.port, ours_offset_path(o), keep),
            "pygeoapi": lambda o, keep: http_page(pyg.port, pyg_offset_path(o), keep),
            "floor": lambda o, keep: floor_page(conn, FLOOR_OFFSET_SQL, [LIMIT, o], keep),
            "floor, jit off": lambda o, keep: floor_page(
                floor_nojit, FLOOR_OFFSET_SQL, [LIMIT, o], keep
            ),
        }
        print(f"warm-up: {args.warmup} pages each")
        for offset in warm:
            for fetch in targets.values():
                fetch(offset, False)

        random_series = {name: Series("random pages (offset)", name) for name in targets}
        checks = {"same ids": 0, "identical features": 0}
        print(f"random pages: {args.requests} x {len(targets)} requests")
        for i, offset in enumerate(offsets):
            names = list(targets)
            names = names[i % len(names) :] + names[: i % len(names)]  # rotate the order
            got = {name: targets[name](offset, name in ("ours", "floor")) for name in names}
            for name, page in got.items():
                random_series[name].add(page)
            floor = got["floor"]
            if (
                got["ours"].ids == floor.ids
                and got["pygeoapi"].ids == floor.pks
                and got["floor, jit off"].ids == floor.ids
            ):
                checks["same ids"] += 1
            if got["ours"].features == floor.features:
                checks["identical features"] += 1
            progress(i + 1, args.requests)

        walk_series = walk(args, conn, ours, pyg, walk_start)
        count_ms = []
        for _ in range(args.requests):
            started = time.perf_counter()
            scalar(conn, CAPPED_COUNT_SQL, [COUNT_CAP + 1])
            count_ms.append((time.perf_counter() - started) * 1000)
    finally:
        for server in reversed(servers):
            server.stop()
        with conn.cursor() as cursor:
            cursor.execute("DROP VIEW IF EXISTS bench_trees")

    meta = {
        "date": dt.date.today().isoformat(),
        "total": total,
        "generated": data["generated"],
        "requests": args.requests,
        "count": args.count,
        "warmup": args.warmup,
        "walk_start": walk_start,
        "pg": pg_version,
        "postgis": postgis,
        "jit": jit,
        "pygeoapi": pyg_version,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "checks": checks,
        "walk_same": args.walk_same,
        "count_p50": percentile(count_ms, 50),
        "load": (load_start, os.getloadavg()[0]),
    }
    report = markdown(meta, list(random_series.values()), walk_series)
    print()
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


def walk(
    args: argparse.Namespace, conn: Any, ours: Server, pyg: Server, start_offset: int
) -> list[Series]:
    """Follow next links from the middle of the collection; the entry page is not timed."""
    print(f"walk: {args.requests} pages from offset {start_offset:,} by next links")
    series = {name: Series("walk (next links)", name) for name in ("ours", "pygeoapi", "floor")}
    entry = {
        "ours": http_page(ours.port, ours_offset_path(start_offset), False),
        "pygeoapi": http_page(pyg.port, pyg_offset_path(start_offset), False),
        "floor": floor_page(conn, FLOOR_OFFSET_SQL, [LIMIT, start_offset], False),
    }
    nexts = {name: page.next_path for name, page in entry.items()}
    same = 0
    for i in range(args.requests):
        got: dict[str, Page] = {}
        for name in series:
            following = nexts[name]
            if following is None:
                continue
            if name == "ours":
                page = http_page(ours.port, following, False)
            elif name == "pygeoapi":
                page = http_page(pyg.port, following, False)
            else:
                page = floor_page(conn, FLOOR_KEYSET_SQL, [int(following), LIMIT], False)
            got[name] = page
            series[name].add(page)
            nexts[name] = page.next_path
        if (
            len(got) == 3
            and got["ours"].ids == got["floor"].ids
            and got["pygeoapi"].ids == got["floor"].pks
        ):
            same += 1
        progress(i + 1, args.requests)
    args.walk_same = same
    return list(series.values())


def progress(done: int, total: int) -> None:
    if not sys.stdout.isatty() and done not in (total, total // 2):
        return
    width = 30
    filled = width * done // total
    end = "\n" if done == total or not sys.stdout.isatty() else ""
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, flush=True)


# --- report ----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, ceil(p / 100 * len(ordered)) - 1)]


def summary(series: Series) -> dict[str, float]:
    ms = [page.seconds * 1000 for page in series.pages]
    seconds = sum(page.seconds for page in series.pages)
    features = sum(len(page.ids) for page in series.pages)
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "mean": statistics.fmean(ms),
        "pages_s": len(ms) / seconds,
        "features_s": features / seconds,
        "kib": statistics.fmean(page.size for page in series.pages) / 1024,
        "features": features / len(ms),
    }


def markdown(meta: dict[str, Any], random_pages: list[Series], walked: list[Series]) -> str:
    lines = [
        "# OGC API Features items: ours, pygeoapi and the raw-SQL floor",
        "",
        f"Run {meta['date']}: `.venv/bin/python bench/ogc_items.py --count {meta['count']} "
        f"--requests {meta['requests']}`; collection `{COLLECTION}` with "
        f"{meta['total']:,} features ({meta['generated']:,} of them generated), pages of "
        f"{LIMIT}; {meta['cores']} cores, PostgreSQL {meta['pg']} (jit {meta['jit']}), PostGIS "
        f"{meta['postgis']}, Python {meta['python']}, pygeoapi {meta['pygeoapi']}; both servers "
        f"gunicorn with {WORKERS} sync workers; one client, sequential, loopback, "
        f"{meta['warmup']} warm-up pages each; 1-minute load average {meta['load'][0]:.1f} at "
        f"the start of the timed part, {meta['load'][1]:.1f} at the end.",
        "",
        "| scenario | target | pages | p50 ms | p95 ms | mean ms | pages/s | features/s "
        "| KiB/page | p50 / floor |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for group in (random_pages, walked):
        stats = {s.target: summary(s) for s in group if s.pages}
        floor = stats.get("floor")
        for s in group:
            if not s.pages:
                continue
            st = stats[s.target]
            ratio = f"{st['p50'] / floor['p50']:.2f}" if floor else "-"
            lines.append(
                f"| {s.scenario} | {s.target} | {st['n']} | {st['p50']:.0f} | {st['p95']:.0f} "
                f"| {st['mean']:.0f} | {st['pages_s']:.2f} | {st['features_s']:,.0f} "
                f"| {st['kib']:.0f} | {ratio} |"
            )
    lines.append("")
    for label, group in (("random pages", random_pages), ("walk", walked)):
        stats = {s.target: summary(s) for s in group if s.pages}
        if {"ours", "floor", "pygeoapi"} <= set(stats):
            ours, floor, pyg = stats["ours"], stats["floor"], stats["pygeoapi"]
            lines.append(
                f"- {label}: ours/floor p50 {ours['p50'] / floor['p50']:.2f}, "
                f"ours/pygeoapi p50 {ours['p50'] / pyg['p50']:.2f} "
                f"(throughput: ours {ours['features_s'] / pyg['features_s']:.1f}x pygeoapi's, "
                f"{ours['features_s'] / floor['features_s']:.2f}x the floor's)"
            )
    checks = meta["checks"]
    n = meta["requests"]
    lines.append(
        f"- checks: random pages with the same feature ids everywhere {checks['same ids']}/{n}; "
        f"our features equal to the floor's (as JSON) {checks['identical features']}/{n}; "
        f"walk pages with the same ids {meta.get('walk_same', '-')}/{n}."
    )
    lines.append(
        f"- walk: from offset {meta['walk_start']:,}; ours follows its keyset cursor, pygeoapi "
        "its offset links, the floor `id > last`."
    )
    lines.append(
        f"- diagnostic: the capped count our endpoint runs on every page for numberMatched "
        f"(up to {COUNT_CAP + 1:,} rows) takes {meta['count_p50']:.0f} ms (p50) on its own "
        "through psycopg2."
    )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--count", type=int, default=1_000_000, help="features wanted in the collection"
    )
    parser.add_argument("--requests", type=int, default=50, help="timed pages per target")
    parser.add_argument("--warmup", type=int, default=5, help="untimed pages per target")
    parser.add_argument("--seed", type=int, default=1, help="seed of the page choice")
    parser.add_argument(
        "--database",
        help="a database of the local cluster to run on instead of the dev database "
        "(created, migrated and given the demo when missing)",
    )
    parser.add_argument(
        "--drop-database", action="store_true", help="drop the --database at the end"
    )
    args = parser.parse_args()
    args.walk_same = "-"
    os.chdir(ROOT)
    run(args)


if __name__ == "__main__":
    main()
