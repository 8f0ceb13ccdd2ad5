"""Vector tiles: our /tiles/ endpoint (uncached, cache misses, cache hits) side by side
with the raw-SQL floor and TiPg, on a million components over a Hangzhou-sized extent.

    .venv/bin/python bench/tiles.py --database gis_bench_tiles [--per-zoom 20] [--seed 1]

1. Makes the data: 999,399 generated street trees (class 0402, the whole serial space of
   the demo district with its 600 demo trees) and 601 benches (0407): 1,000,000 generated
   components (``manage.py generate_components``). The generator draws points inside the
   demo district's communities (219 km2); while it runs, a BEFORE INSERT trigger of this
   script (on generated rows only, in the benchmark database) stretches the district's
   bounding box onto the demo city's (50 x 41 km, the size of Hangzhou's urban districts),
   so the points cover a city: about 630 per km2. Then VACUUM ANALYZE.
2. Starts, on free loopback ports, our app with gunicorn (2 sync workers, DJANGO_DEBUG=0)
   four times: cache off with prepared statements, cache off without them
   (TILES_PREPARED_STATEMENTS=0), cache on, cache on without the fast path for anonymous
   tiles (TILES_FAST_PATH=0: Django's whole stack); twice more with 2 gthread workers,
   which keep HTTP connections open (cache off, cache on); and TiPg (PyPI, installed once
   into .local/bench/tipg-venv) with uvicorn (2 workers, keep-alive by default) on two
   views of the same rows and properties: one with the indexed ``geom_3857`` column, one
   with the stored CGCS2000 geometry (TiPg transforms per row). TiPg gets our limits:
   10,000 features per tile, extent 4096, buffer 64.
3. Draws a fixed random set of tiles (``--per-zoom`` per zoom, z10-z16, seeded) over the
   data's extent and times each target on each tile, one client, sequentially, in a
   rotating order, after a warm-up:
   * ours uncached (both servers), the floor (our exact tile statement through psycopg2,
     unprepared and prepared), TiPg (both views), each HTTP request on a new connection
     (the first method of this bench, kept so that runs stay comparable);
   * "keep-alive" rows: ours uncached and TiPg (geom_3857 view), each on one connection
     kept open, as a browser loads tiles;
   * ours with the cache: a first pass (misses: render and store), then hits: through the
     fast path, through Django's whole stack, and on a kept connection.
   Checks: our tiles hold the same features as the floor's; at z15-z16 TiPg returns as
   many features inside the tile as ours.
4. Prints a Markdown table (per zoom band and overall: p50/p95 ms, tiles/s, KiB, ratios)
   and writes it to bench/results/tiles.md.
5. Stops the servers and drops the views (the data stays for the next run).

Loopback only; no timing asserts. Logs in .local/bench/logs/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ogc_items as common  # noqa: E402  (same folder: database, server helpers)

ROOT = common.ROOT
WORK = common.WORK
TIPG_VENV = WORK / "tipg-venv"
RESULTS = ROOT / "bench" / "results" / "tiles.md"
HOST = common.HOST
LAYER = "component-0402"
TREES, BENCHES = 999_399, 601
ZOOMS = range(10, 17)
CAP = 10_000
TIPG_PACKAGES = ["tipg==1.6.1", "uvicorn[standard]==0.54.0"]
FLOOR = "floor (same SQL, psycopg2)"
UNCACHED = "ours, uncached"
TIPG = "TiPg, geom_3857 view"
MISS = "ours, cache miss (render + store)"
HIT = "ours, cache hit"
HIT_DJANGO = "ours, cache hit, through Django (TILES_FAST_PATH=0)"
# The same requests on a kept connection (gunicorn gthread for ours, uvicorn for TiPg)
KEPT_OURS = "keep-alive: ours, uncached"
KEPT_TIPG = "keep-alive: TiPg, geom_3857 view"
KEPT_HIT = "keep-alive: ours, cache hit"
KEEP_ALIVE = "600"  # seconds a server keeps an idle connection (both servers alike)
KEYS = ("dbh_cm", "crown_m", "species", "height_m", "species_latin")  # our key attributes
VIEW_SQL = """
CREATE OR REPLACE VIEW {name} AS
SELECT c.id, c.identifier, c.component_class_id AS class, c.name, c.status,
       jsonb_build_object({pairs}) AS attrs, {geom} AS geom
FROM component_catalog_component c
WHERE c.component_class_id = '0402' AND c.currency = 'in_use'
"""
SPREAD_SQL = """
DO $do$
DECLARE d box2d; c box2d; sx float8; sy float8;
BEGIN
  SELECT ST_Extent(boundary) INTO d FROM layers_adminarea WHERE level = 'district'
      AND code = '330106';
  SELECT ST_Extent(boundary) INTO c FROM layers_adminarea WHERE level = 'city';
  sx := (ST_XMax(c) - ST_XMin(c)) / (ST_XMax(d) - ST_XMin(d));
  sy := (ST_YMax(c) - ST_YMin(c)) / (ST_YMax(d) - ST_YMin(d));
  EXECUTE format($f$CREATE OR REPLACE FUNCTION bench_spread() RETURNS trigger
    LANGUAGE plpgsql AS $b$ BEGIN
    NEW.geometry := ST_SnapToGrid(ST_Affine(NEW.geometry, %s, 0, 0, %s, %s, %s), 1e-8);
    RETURN NEW; END $b$$f$, sx, sy, ST_XMin(c) - ST_XMin(d) * sx, ST_YMin(c) - ST_YMin(d) * sy);
END $do$;
DROP TRIGGER IF EXISTS bench_spread ON component_catalog_component;
CREATE TRIGGER bench_spread BEFORE INSERT ON component_catalog_component
    FOR EACH ROW WHEN (NEW.notes = 'generated') EXECUTE FUNCTION bench_spread();
"""
GENERATED_SQL = (
    "SELECT count(*) FROM component_catalog_component WHERE notes = 'generated' "
    "AND component_class_id = %s"
)


# --- data --------------------------------------------------------------------------------


def ensure_data(conn: Any) -> dict[str, Any]:
    """The million generated components, spread over the city (see the module doc)."""
    wanted = {"0402": TREES, "0407": BENCHES}
    missing = {k: n - int(common.scalar(conn, GENERATED_SQL, [k])) for k, n in wanted.items()}
    if any(n > 0 for n in missing.values()):
        with conn.cursor() as cursor:
            cursor.execute(SPREAD_SQL)
        try:
            for klass, n in missing.items():
                if n > 0:
                    common.manage("generate_components", "--count", str(n), "--class", klass)
        finally:
            with conn.cursor() as cursor:
                cursor.execute("DROP TRIGGER IF EXISTS bench_spread ON component_catalog_component")
                cursor.execute("DROP FUNCTION IF EXISTS bench_spread()")
    else:
        print("data: the 1,000,000 generated components are there")
    started = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE component_catalog_component")
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
            "ST_Extent(geometry) AS e FROM component_catalog_component "
            "WHERE notes = 'generated') s"
        )
        extent = [float(v) for v in cursor.fetchone()]
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
    generated = int(
        common.scalar(
            conn, "SELECT count(*) FROM component_catalog_component WHERE notes = 'generated'"
        )
    )
    layer = int(
        common.scalar(
            conn,
            "SELECT count(*) FROM component_catalog_component "
            "WHERE component_class_id = '0402' AND currency = 'in_use'",
        )
    )
    total = int(common.scalar(conn, "SELECT count(*) FROM component_catalog_component"))
    return {"generated": generated, "layer": layer, "total": total, "extent": extent}


def pick_tiles(extent: list[float], per_zoom: int, seed: int) -> list[tuple[int, int, int]]:
    """``per_zoom`` tiles per zoom z10-z16 around random points of the data's extent."""
    from tiles.grid import tile_of

    rng = random.Random(seed)  # noqa: S311 (tile choice, not security)
    west, south, east, north = extent
    tiles = []
    for z in ZOOMS:
        for _ in range(per_zoom):
            t = tile_of(rng.uniform(west, east), rng.uniform(south, north), z)
            tiles.append((t.z, t.x, t.y))
    return tiles


# --- servers -----------------------------------------------------------------------------


def start_ours(name: str, keep_alive: bool = False, **env: str) -> common.Server:
    """Our app under gunicorn, 2 workers: sync (a connection per request, the first
    method of this bench) or, with ``keep_alive``, gthread (1 thread each), which keeps
    HTTP connections open as a browser's tile requests use them."""
    port = common.free_port()
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + secrets.token_hex(16),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "ERROR",
        **env,
    }
    command = [str(common.GUNICORN), "gis_app.wsgi", "--bind", f"{HOST}:{port}"]
    command += ["--workers", str(common.WORKERS), "--timeout", "300"]
    if keep_alive:
        command += ["--worker-class", "gthread", "--threads", "1", "--keep-alive", KEEP_ALIVE]
    return common.start(name, command, port, environment, "/healthz")


def ensure_tipg() -> str:
    python = TIPG_VENV / "bin" / "python"
    if not (TIPG_VENV / "bin" / "uvicorn").exists() or not _has(python, "tipg"):
        print(f"installing {', '.join(TIPG_PACKAGES)} into .local/bench/tipg-venv")
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TIPG_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, *TIPG_PACKAGES], check=True)
    return subprocess.run(
        [str(python), "-c", "import tipg; print(tipg.__version__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _has(python: Path, module: str) -> bool:
    if not python.exists():
        return False
    return (
        subprocess.run([str(python), "-c", f"import {module}"], capture_output=True).returncode == 0
    )


def start_tipg(conn: Any) -> common.Server:
    pairs = ", ".join(f"'{key}', c.attributes -> '{key}'" for key in KEYS)
    with conn.cursor() as cursor:
        cursor.execute(VIEW_SQL.format(name="bench_tiles_3857", pairs=pairs, geom="c.geom_3857"))
        cursor.execute(VIEW_SQL.format(name="bench_tiles_4490", pairs=pairs, geom="c.geometry"))
    db = common.db_params()
    port = common.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgresql://{db['user']}:{db['password']}@{db['host']}:{db['port']}/{db['dbname']}"
        ),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.bench_tiles_3857", "public.bench_tiles_4490"]',
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
        "TIPG_MAX_FEATURES_PER_TILE": str(CAP),
        "TIPG_TILE_RESOLUTION": "4096",
        "TIPG_TILE_BUFFER": "64",
        "TIPG_ADD_TILES_VIEWER": "false",
    }
    command = [str(TIPG_VENV / "bin" / "uvicorn"), "tipg.main:app", "--host", HOST]
    command += ["--port", str(port), "--workers", str(common.WORKERS), "--log-level", "warning"]
    command += ["--timeout-keep-alive", KEEP_ALIVE]
    return common.start("tipg", command, port, env, "/collections/public.bench_tiles_3857")


# --- clients -----------------------------------------------------------------------------


@dataclass
class Sample:
    zoom: int
    seconds: float
    size: int
    digest: str = ""
    features: int = -1


@dataclass
class Series:
    target: str
    samples: list[Sample] = field(default_factory=list)


_KEPT: dict[int, http.client.HTTPConnection] = {}


def http_tile(port: int, path: str, keep_alive: bool = False) -> Sample:
    """GET a tile on a new connection, or (``keep_alive``) on the one kept per port."""
    started = time.perf_counter()
    if keep_alive:
        connection = _KEPT.get(port) or _KEPT.setdefault(
            port, http.client.HTTPConnection(HOST, port, timeout=600)
        )
    else:
        connection = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        try:
            connection.request("GET", path)
            response = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            if not keep_alive:
                raise
            connection.close()  # the server let the kept connection go: as a browser, anew
            connection.request("GET", path)
            response = connection.getresponse()
        body = response.read()
    finally:
        if not keep_alive:
            connection.close()
    seconds = time.perf_counter() - started
    if response.status not in (200, 204):
        raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:300]!r}")
    return Sample(0, seconds, len(body), hashlib.md5(body, usedforsecurity=False).hexdigest())


class Floor:
    """Our exact tile statement (as the endpoint builds it for an anonymous caller)
    through psycopg2 on its own connection; ``prepared``: PREPARE once, then EXECUTE."""

    def __init__(self, prepared: bool) -> None:
        self.conn = common.connect()
        self.prepared = prepared
        self.names: set[str] = set()

    def statement(self, z: int, x: int, y: int) -> tuple[str, list[Any]]:
        from django.contrib.auth.models import AnonymousUser

        from tiles import sources, vector
        from tiles import sql as tile_sql
        from tiles.grid import Tile

        user = AnonymousUser()
        spec = sources.spec_for(sources.registry(user).get(code=LAYER))
        assert spec is not None
        part = vector._part(spec, user, Tile(z, x, y))
        return tile_sql.tile_sql([part] if part else [], Tile(z, x, y))

    def body(self, statement: tuple[str, list[Any]]) -> bytes:
        from tiles import sql as tile_sql

        with self.conn.cursor() as cursor:
            cursor.execute(tile_sql.NO_JIT + statement[0], statement[1])
            return bytes(cursor.fetchone()[0])

    def run(self, statement: tuple[str, list[Any]]) -> Sample:
        from tiles import sql as tile_sql

        sql, params = statement
        with self.conn.cursor() as cursor:
            started = time.perf_counter()
            if self.prepared:
                name = "f_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]
                if name not in self.names:
                    cursor.execute(f"PREPARE {name} AS {tile_sql._numbered(sql)}")
                    self.names.add(name)
                args = ", ".join(["%s"] * len(params))
                prefix = tile_sql.NO_JIT + (tile_sql.CUSTOM_PLAN if "GROUP BY floor" in sql else "")
                cursor.execute(f"{prefix}EXECUTE {name}({args})", params)
            else:
                cursor.execute(tile_sql.NO_JIT + sql, params)
            body = bytes(cursor.fetchone()[0])
            seconds = time.perf_counter() - started
        return Sample(0, seconds, len(body), hashlib.md5(body, usedforsecurity=False).hexdigest())


def get_body(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    connection.request("GET", path)
    body = connection.getresponse().read()
    connection.close()
    return body


def features_of(body: bytes) -> list[Any]:
    """The tile's features as comparable values (sorted)."""
    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(body) if body else {}
    return sorted(
        repr((f["geometry"]["coordinates"], sorted(f["properties"].items())))
        for layer in layers.values()
        for f in layer["features"]
    )


def inside_count(body: bytes) -> int:
    """Features whose point lies inside the tile proper (TiPg reads no buffer)."""
    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(body) if body else {}
    return sum(
        1
        for layer in layers.values()
        for f in layer["features"]
        if 0 <= f["geometry"]["coordinates"][0] < 4096
        and 0 <= f["geometry"]["coordinates"][1] <= 4096
    )


# --- the run -----------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    if args.database:
        common.use_database(args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + secrets.token_hex(16))
    import django

    django.setup()
    try:
        measure(args)
    finally:
        if args.drop_database:
            common.drop_database(args.database)


def measure(args: argparse.Namespace) -> None:  # noqa: C901 (one linear script)
    conn = common.connect()
    meta: dict[str, Any] = {
        "pg": common.scalar(conn, "SHOW server_version"),
        "postgis": common.scalar(conn, "SELECT postgis_lib_version()"),
        "shared_buffers": common.scalar(conn, "SHOW shared_buffers"),
    }
    meta.update(ensure_data(conn))
    meta["table"] = common.scalar(  # the partitions' (component_catalog.0009), or the table's
        conn,
        "SELECT pg_size_pretty(sum(pg_table_size(relid))) "
        "FROM pg_partition_tree('component_catalog_component')",
    )
    print(f"{meta['generated']:,} generated components; layer {LAYER}: {meta['layer']:,}")
    meta["tipg"] = ensure_tipg()
    tiles = pick_tiles(meta["extent"], args.per_zoom, args.seed)
    warm = pick_tiles(meta["extent"], 1, args.seed + 1)
    with conn.cursor() as cursor:
        cursor.execute("DELETE FROM tiles_tilecacheentry")  # bulk-loaded rows: no edits
    servers: list[common.Server] = []
    try:
        nocache = start_ours("ours-nocache", TILES_CACHE="0")
        servers.append(nocache)
        noprep = start_ours("ours-noprep", TILES_CACHE="0", TILES_PREPARED_STATEMENTS="0")
        servers.append(noprep)
        cached = start_ours("ours-cache", TILES_CACHE="1")
        servers.append(cached)
        django_only = start_ours("ours-cache-django", TILES_CACHE="1", TILES_FAST_PATH="0")
        servers.append(django_only)
        nocache_kept = start_ours("ours-nocache-keepalive", keep_alive=True, TILES_CACHE="0")
        servers.append(nocache_kept)
        cached_kept = start_ours("ours-cache-keepalive", keep_alive=True, TILES_CACHE="1")
        servers.append(cached_kept)
        tipg = start_tipg(conn)
        servers.append(tipg)
        floor, floor_prepared = Floor(False), Floor(True)
        statements = {t: floor.statement(*t) for t in [*tiles, *warm]}

        def ours(port: int, keep_alive: bool = False) -> Any:
            return lambda t: http_tile(port, f"/tiles/{LAYER}/{t[0]}/{t[1]}/{t[2]}.mvt", keep_alive)

        def tipg_of(view: str, keep_alive: bool = False) -> Any:
            path = f"/collections/public.{view}/tiles/WebMercatorQuad"
            return lambda t: http_tile(tipg.port, f"{path}/{t[0]}/{t[1]}/{t[2]}", keep_alive)

        targets = {
            UNCACHED: ours(nocache.port),
            "ours, uncached, no PREPARE": ours(noprep.port),
            FLOOR: lambda t: floor.run(statements[t]),
            "floor, prepared": lambda t: floor_prepared.run(statements[t]),
            TIPG: tipg_of("bench_tiles_3857"),
            "TiPg, CGCS2000 view": tipg_of("bench_tiles_4490"),
            KEPT_OURS: ours(nocache_kept.port, keep_alive=True),
            KEPT_TIPG: tipg_of("bench_tiles_3857", keep_alive=True),
        }
        print(f"warm-up: {len(warm)} tiles per target")
        for t in warm:
            for fetch in targets.values():
                fetch(t)
        meta["load"] = [os.getloadavg()[0]]
        series = {name: Series(name) for name in targets}
        checks = {"identical to the floor": 0, "same features as TiPg (z15-16)": 0, "z15-16": 0}
        print(f"timing {len(tiles)} tiles x {len(targets)} targets")
        for i, t in enumerate(tiles):
            names = list(targets)
            names = names[i % len(names) :] + names[: i % len(names)]
            got = {}
            for name in names:
                sample = targets[name](t)
                sample.zoom = t[0]
                series[name].samples.append(sample)
                got[name] = sample
            path = f"/tiles/{LAYER}/{t[0]}/{t[1]}/{t[2]}.mvt"
            ours_body = get_body(nocache.port, path)
            floor_body = floor.body(statements[t])
            if features_of(ours_body) == features_of(floor_body):
                checks["identical to the floor"] += 1
            if t[0] >= 15:
                checks["z15-16"] += 1
                tipg_path = "/collections/public.bench_tiles_3857/tiles/WebMercatorQuad/"
                tipg_path += f"{t[0]}/{t[1]}/{t[2]}"
                if inside_count(ours_body) == inside_count(get_body(tipg.port, tipg_path)):
                    checks["same features as TiPg (z15-16)"] += 1
            common.progress(i + 1, len(tiles))
        print("cache: pass 1 (misses), then hits: fast path, through Django, keep-alive")
        passes = {
            MISS: ours(cached.port),
            HIT: ours(cached.port),
            HIT_DJANGO: ours(django_only.port),
            KEPT_HIT: ours(cached_kept.port, keep_alive=True),
        }
        for fetch in passes.values():  # each server's workers: registry, connection
            for t in warm:
                fetch(t)
        for label, fetch in passes.items():
            series[label] = Series(label)
            for t in tiles:
                if label == MISS:  # a true miss, also for repeats
                    with conn.cursor() as cursor:
                        cursor.execute(
                            "DELETE FROM tiles_tilecacheentry WHERE layer = %s AND z = %s "
                            "AND x = %s AND y = %s",
                            [LAYER, *t],
                        )
                sample = fetch(t)
                sample.zoom = t[0]
                series[label].samples.append(sample)
        meta["load"].append(os.getloadavg()[0])
        meta["cache_rows"] = common.scalar(conn, "SELECT count(*) FROM tiles_tilecacheentry")
    finally:
        for server in reversed(servers):
            server.stop()
        with conn.cursor() as cursor:
            cursor.execute("DROP VIEW IF EXISTS bench_tiles_3857")
            cursor.execute("DROP VIEW IF EXISTS bench_tiles_4490")
    meta.update(
        date=dt.date.today().isoformat(),
        python=platform.python_version(),
        cores=os.cpu_count(),
        per_zoom=args.per_zoom,
        seed=args.seed,
        database=args.database,
        checks=checks,
        n=len(tiles),
    )
    report = markdown(meta, list(series.values()))
    print()
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


# --- report ------------------------------------------------------------------------------

BANDS = [
    ("z10-12 (clusters)", (10, 11, 12)),
    ("z13-14 (clusters)", (13, 14)),
    ("z15-16 (features)", (15, 16)),
    ("all z10-16", tuple(ZOOMS)),
]


def stats(samples: list[Sample]) -> dict[str, float]:
    ms = sorted(s.seconds * 1000 for s in samples)
    seconds = sum(s.seconds for s in samples)
    return {
        "n": len(ms),
        "p50": common.percentile(ms, 50),
        "p95": common.percentile(ms, 95),
        "tps": len(ms) / seconds if seconds else 0.0,
        "kib": statistics.fmean(s.size for s in samples) / 1024,
    }


def markdown(meta: dict[str, Any], series: list[Series]) -> str:
    db = f" --database {meta['database']}" if meta["database"] else ""
    lines = [
        "# Vector tiles: ours (uncached, cache miss, cache hit), the raw-SQL floor and TiPg",
        "",
        f"Run {meta['date']}: `.venv/bin/python bench/tiles.py{db} --per-zoom "
        f"{meta['per_zoom']} --seed {meta['seed']}`; layer `{LAYER}` with {meta['layer']:,} "
        f"features ({meta['generated']:,} generated components in all, {meta['total']:,} rows, "
        f"table {meta['table']}) over {', '.join(f'{v:.3f}' for v in meta['extent'])}; "
        f"{meta['n']} tiles ({meta['per_zoom']} per zoom, z10-z16); {meta['cores']} cores, "
        f"PostgreSQL {meta['pg']} (shared_buffers {meta['shared_buffers']}), PostGIS "
        f"{meta['postgis']}, Python {meta['python']}, TiPg {meta['tipg']}; ours gunicorn 2 sync "
        "workers (keep-alive rows: 2 gthread workers), TiPg uvicorn 2 workers; one client, "
        "sequential, loopback, a new connection per request except in the keep-alive rows "
        "(one kept connection per server); 1-minute load "
        f"average {meta['load'][0]:.1f} at the start of the timed part, {meta['load'][1]:.1f} "
        "at the end.",
        "",
        "| tiles | target | n | p50 ms | p95 ms | tiles/s | KiB/tile | throughput / floor |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for band, zooms in BANDS:
        group = {s.target: stats([x for x in s.samples if x.zoom in zooms]) for s in series}
        floor = group[FLOOR]
        for s in series:
            st = group[s.target]
            lines.append(
                f"| {band} | {s.target} | {st['n']} | {st['p50']:.1f} | {st['p95']:.1f} "
                f"| {st['tps']:.1f} | {st['kib']:.1f} | {st['tps'] / floor['tps']:.2f} |"
            )
    lines.append("")
    for band, zooms in BANDS:
        group = {s.target: stats([x for x in s.samples if x.zoom in zooms]) for s in series}
        tps = {name: st["tps"] for name, st in group.items()}
        ours, kept = tps[UNCACHED], tps[KEPT_OURS]
        lines.append(
            f"- {band}: new connections: ours uncached {ours / tps[FLOOR]:.2f}x the "
            f"floor's throughput, {ours / tps[TIPG]:.2f}x TiPg's (geom_3857 "
            f"view), {ours / tps['TiPg, CGCS2000 view']:.2f}x TiPg's (CGCS2000 view); cache "
            f"hits {tps[HIT] / ours:.1f}x uncached ({tps[HIT_DJANGO] / ours:.1f}x through "
            f"Django), misses (render + store) {tps[MISS] / ours:.2f}x. Keep-alive: ours "
            f"uncached {kept / tps[FLOOR]:.2f}x the floor, {kept / tps[KEPT_TIPG]:.2f}x TiPg; "
            f"hits {tps[KEPT_HIT] / kept:.1f}x uncached."
        )
    checks = meta["checks"]
    lines += [
        f"- checks: our uncached tile held the same features as the floor's on "
        f"{checks['identical to the floor']}/{meta['n']} tiles; TiPg returned as many features "
        f"inside the tile as ours on {checks['same features as TiPg (z15-16)']}/"
        f"{checks['z15-16']} tiles of z15-16 (TiPg reads no buffer; below z15 ours are "
        "clusters, TiPg's up to 10,000 points).",
        f"- cache rows after the run: {meta['cache_rows']}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-zoom", type=int, default=20, help="tiles per zoom (z10-z16)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the tile choice")
    parser.add_argument(
        "--database",
        help="a database of the local cluster to run on instead of the dev database "
        "(created, migrated and given the demo when missing)",
    )
    parser.add_argument(
        "--drop-database", action="store_true", help="drop the --database at the end"
    )
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    run(args)


if __name__ == "__main__":
    main()
