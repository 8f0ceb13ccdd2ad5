"""Importer speed: ``manage.py import_components`` side by side with ogr2ogr (issue 5 item 9).

    .venv/bin/python bench/import_bench.py --count 1000000 --database gis_bench_import \\
        --drop-database

1. Sets up ``--database`` on the project-local cluster (created, migrated and given the
   demo, as in bench/ogc_items.py) and snapshots it as ``<NAME>_base``, the template every
   commit of ours starts from (so each commit lands in the same demo database, and the
   county's serial space is not used up by the previous run).
2. Generates ``--count`` random points inside the communities of the demo district 330106
   (boundaries read from ``layers_adminarea``) and writes them with pyogrio, in EPSG:4490,
   as a GeoPackage and as GeoJSON under .local/bench/import/ (reused when already there
   for the same count and seed). The points sit on a jittered 8 m grid, so no two lie
   within 3 m of each other and none within 3 m of a demo tree: every row is a new
   component, none is an in-file or database duplicate (deduplication still runs over
   every row). Attributes: ``class``, ``name``, ``species``, ``dbh``, ``height``. Every
   1,000th row (row 1000, 2000, ...) is an ancient tree (class 0401), the rest street trees
   (0402): 999,000 + 1,000 rows fit the serial spaces of county 330106 (999,999 per class,
   the demo already uses 600 street-tree and 15 ancient-tree serials).
3. With ``--ours-count N`` smaller than ``--count``, the first N rows are also written as
   their own pair of files, and everything below runs at N too (ours only at N).
4. For each size and format, timed one after the other (load average recorded):
   * ogr2ogr (the system's, GDAL) into the table ``bench_ogr`` of the bench database:
     ``-f PostgreSQL PG:... FILE -nln bench_ogr -overwrite --config PG_USE_COPY YES
     -gt 65536 -lco GEOMETRY_NAME=geom -a_srs EPSG:4490``;
   * ours, dry run: ``manage.py import_components FILE --mapping M --crs EPSG:4490 --user
     district_admin --owner XH-YLJ --maintainer XH-YLJ --competent-department XH-CGJ
     --dry-run --report R`` (M: class from the field ``class``, name, species, dbh_cm,
     height_m; ``--class 0402`` cannot be used for all rows, see 2.);
   * ours, commit: the same without ``--dry-run``, on a fresh copy of the demo database;
     the rows in the component table are counted afterwards.
   Features per second are the file's rows over the wall time of the process (ours
   includes starting Django, about a second); the stage breakdown comes from ``--report``.
   With ``--rev REV`` all of Django (migrate, load_demo, import_components) runs from a
   ``git archive`` export of that revision instead of the working tree.
   With ``--compare OLD``, before ours, the importer of revision OLD (exported the same
   way; the database is migrated once, by ``--rev``'s code, so both must share the
   migrations) is timed too, dry run and commit, on the same files and each from a fresh
   copy of the demo: before and after against the same ogr2ogr run.
5. Prints a Markdown report and writes it to bench/results/import.md; drops ``bench_ogr``,
   the snapshot and, with ``--drop-database``, the bench database.

Loopback only; no timing asserts. Command output goes to .local/bench/import/logs/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg2
import psycopg2.errors
import pyogrio
import shapely
from psycopg2 import sql as pgsql
from pyogrio.raw import write as ogr_write

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ogc_items import code_tree as shared_code_tree  # noqa: E402  (same folder)
from ogc_items import db_params  # noqa: E402  (same folder: connection parameters)

ROOT = Path(__file__).resolve().parent.parent
VENV_PY = ROOT / ".venv" / "bin" / "python"
WORK = ROOT / ".local" / "bench" / "import"
LOGS = WORK / "logs"
RESULTS = ROOT / "bench" / "results" / "import.md"
OGR2OGR = "/usr/bin/ogr2ogr"

HOST = "127.0.0.1"
COUNTY = "330106"
TREE, ANCIENT = "0402", "0401"
ANCIENT_EVERY = 1000  # row 1000, 2000, ... is an ancient tree
GRID_M = 8.0  # jittered grid: spacing and ...
JITTER_M = 2.5  # ... +- jitter: neighbours at least GRID_M - 2 * JITTER_M = 3 m apart
CLEARANCE_M = 3.0  # from existing trees of the demo
USER = "district_admin"
OWNER = MAINTAINER = "XH-YLJ"  # 西湖区园林绿化局
DEPARTMENT = "XH-CGJ"  # 西湖区城市管理局
SPECIES = ["悬铃木", "香樟", "银杏", "无患子", "栾树", "鹅掌楸", "水杉", "桂花", "朴树", "榉树"]
MAPPING = """\
class_field: class
class_map: {"0402": "0402", "0401": "0401"}
name: name
attributes:
  species: species
  dbh_cm: dbh
  height_m: height
"""
LOAD_LIMIT = 2.0


# --- database ---------------------------------------------------------------------------


def connect(dbname: str | None = None) -> Any:
    params = db_params()
    if dbname:
        params["dbname"] = dbname
    conn = psycopg2.connect(**params, application_name="bench-import")
    conn.autocommit = True
    return conn


def scalar(conn: Any, query: Any, params: Any = None) -> Any:
    with conn.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
    return row[0] if row else None


# Where manage.py runs from: the working tree, or an export of ``--rev`` (see code_tree()).
CODE = ROOT


def code_tree(rev: str | None) -> tuple[Path, str]:
    """The working tree, or ``rev`` exported under .local/bench/import/ (see
    ``ogc_items.code_tree``)."""
    return shared_code_tree(rev, WORK, watched=("importers", "component_catalog", "gis_app"))


# With --psycopg2: a package named psycopg that fails to import, first on the children's
# PYTHONPATH, so that Django falls back to psycopg2 (it prefers psycopg 3 when importable).
SHIM = WORK / "hide-psycopg3"
CHILD_ENV: dict[str, str] = {}


def hide_psycopg3() -> None:
    package = SHIM / "psycopg"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        'raise ImportError("psycopg 3 hidden by bench/import_bench.py --psycopg2")\n'
    )
    CHILD_ENV["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(SHIM), os.environ.get("PYTHONPATH", "")) if p
    )


def manage(*args: str) -> None:
    env = {**os.environ, **CHILD_ENV}
    subprocess.run([str(VENV_PY), "manage.py", *args], cwd=CODE, env=env, check=True)


def admin_sql(statement: str, *names: str) -> None:
    """CREATE / DROP DATABASE statements, run from the dev database. A DROP waits for
    autovacuum to leave the database first (after a big commit it vacuums and analyses for
    a while; WITH (FORCE) may not end a worker our role does not own)."""
    admin = connect(DEV_DB)
    with admin.cursor() as cursor:
        for attempt in range(600):
            try:
                cursor.execute(pgsql.SQL(statement).format(*(pgsql.Identifier(n) for n in names)))
                break
            except psycopg2.errors.InsufficientPrivilege:
                if attempt == 599 or not statement.startswith("DROP DATABASE"):
                    raise
                time.sleep(1)  # an autovacuum worker is still in the database
    admin.close()


def use_database(name: str) -> None:
    """Run on database ``name`` of the local cluster, made afresh: dropped when present,
    created, migrated and given the demo (as bench/ogc_items.py does when it is missing; here
    always, because a previous run's commit would otherwise be in the snapshot)."""
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("--database works with the project-local cluster only")
    admin = connect(DEV_DB)
    exists = scalar(admin, "SELECT 1 FROM pg_database WHERE datname = %s", [name])
    admin.close()
    if exists:
        print(f"dropping database {name} (left by an earlier run)")
        admin_sql("DROP DATABASE {} WITH (FORCE)", name)
    print(f"creating database {name}")
    admin_sql("CREATE DATABASE {}", name)
    os.environ["LOCAL_PG_DB"] = name  # read by the settings, db_params() and the children
    manage("migrate", "--noinput", "-v", "0")
    manage("load_demo")


def snapshot(name: str) -> str:
    base = f"{name}_base"
    admin_sql("DROP DATABASE IF EXISTS {}", base)
    admin_sql("CREATE DATABASE {} TEMPLATE {}", base, name)
    return base


def restore(name: str, base: str) -> None:
    """The bench database back to the demo as snapshotted (a fresh copy of the template)."""
    admin_sql("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    admin_sql("CREATE DATABASE {} TEMPLATE {}", name, base)


def drop(name: str) -> None:
    admin_sql("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    print(f"dropped database {name}")


# --- data -------------------------------------------------------------------------------


def communities(conn: Any) -> tuple[np.ndarray, np.ndarray]:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsBinary(boundary) FROM layers_adminarea "
            "WHERE level = 'community' AND code LIKE %s ORDER BY code",
            [COUNTY + "%"],
        )
        areas = shapely.from_wkb([bytes(row[0]) for row in cursor.fetchall()])
        cursor.execute(
            "SELECT ST_AsBinary(geometry) FROM component_catalog_component "
            "WHERE component_class_id IN (%s, %s)",
            [TREE, ANCIENT],
        )
        trees = shapely.from_wkb([bytes(row[0]) for row in cursor.fetchall()])
    return np.asarray(areas, dtype=object), np.asarray(trees, dtype=object)


def generate_points(conn: Any, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points (lon, lat in EPSG:4490, 8 decimals) on a jittered grid inside the
    district's communities, in random order, clear of the demo's trees."""
    areas, trees = communities(conn)
    if not len(areas):
        raise SystemExit(f"no communities of {COUNTY} in layers_adminarea: load the demo")
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = shapely.total_bounds(areas)
    lat0 = (ymin + ymax) / 2
    mx = 111_320.0 * np.cos(np.radians(lat0))  # metres per degree (local, enough for a grid)
    my = 110_574.0
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    nodes: list[np.ndarray] = []
    shapely.prepare(areas)
    for area in areas:
        axmin, aymin, axmax, aymax = shapely.bounds(area)
        gx = np.arange(np.floor((axmin - xmin) * mx / GRID_M), (axmax - xmin) * mx / GRID_M)
        gy = np.arange(np.floor((aymin - ymin) * my / GRID_M), (aymax - ymin) * my / GRID_M)
        cx, cy = np.meshgrid(gx, gy)
        x = xmin + (cx.ravel() * GRID_M + rng.uniform(-JITTER_M, JITTER_M, cx.size)) / mx
        y = ymin + (cy.ravel() * GRID_M + rng.uniform(-JITTER_M, JITTER_M, cy.size)) / my
        inside = shapely.contains_xy(area, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        nodes.append((cx.ravel() * 1_000_000 + cy.ravel())[inside].astype(np.int64))
    x, y = np.concatenate(xs), np.concatenate(ys)
    # a grid node near a shared edge can be drawn for two communities, with different
    # jitter, and land inside both (one point each side): keep one point per node
    _, first = np.unique(np.concatenate(nodes), return_index=True)
    x, y = x[np.sort(first)], y[np.sort(first)]
    if len(trees):
        tx, ty = shapely.get_x(trees), shapely.get_y(trees)
        tree_m = shapely.points((tx - xmin) * mx, (ty - ymin) * my)
        here = shapely.points((x - xmin) * mx, (y - ymin) * my)
        near = shapely.STRtree(tree_m).query(here, predicate="dwithin", distance=CLEARANCE_M)
        clear = np.ones(len(x), dtype=bool)
        clear[np.unique(near[0])] = False
        x, y = x[clear], y[clear]
    if len(x) < count:
        raise SystemExit(f"only {len(x):,} grid points in the communities; lower --count")
    pick = rng.choice(len(x), size=count, replace=False)  # random order too
    return np.round(x[pick], 8), np.round(y[pick], 8)


def write_files(x: np.ndarray, y: np.ndarray, seed: int, stem: str) -> dict[str, Path]:
    """The points and their attributes as a GeoPackage and as GeoJSON (EPSG:4490)."""
    n = len(x)
    rng = np.random.default_rng(seed + 1)
    rows = np.arange(1, n + 1)
    ancient = rows % ANCIENT_EVERY == 0
    klass = np.where(ancient, ANCIENT, TREE).astype(object)
    name = np.array([f"行道树{r:07d}" for r in rows], dtype=object)
    name[ancient] = np.array([f"古树{r:07d}" for r in rows[ancient]], dtype=object)
    species = np.asarray(SPECIES, dtype=object)[rng.integers(0, len(SPECIES), n)]
    dbh = np.round(rng.uniform(5, 80, n), 1)
    dbh[ancient] = np.round(rng.uniform(80, 250, int(ancient.sum())), 1)
    height = np.round(rng.uniform(2, 25, n), 1)
    geometry = shapely.to_wkb(shapely.points(x, y))
    fields = ["class", "name", "species", "dbh", "height"]
    data = [klass, name, species, dbh, height]
    files = {"GeoPackage": WORK / f"{stem}.gpkg", "GeoJSON": WORK / f"{stem}.geojson"}
    for driver, path in files.items():
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        ogr_write(
            str(path),
            geometry,
            data,
            fields,
            layer="trees",
            driver="GPKG" if driver == "GeoPackage" else "GeoJSON",
            geometry_type="Point",
            crs="EPSG:4490",
            encoding="UTF-8",
        )
        size = path.stat().st_size / 2**20
        print(
            f"wrote {path.relative_to(ROOT)}: {n:,} points, {size:.0f} MiB, "
            f"{time.perf_counter() - started:.1f} s"
        )
    return files


def ensure_files(conn: Any, count: int, sizes: list[int], seed: int) -> dict[int, dict]:
    """The file pairs for each size (the first N rows of the same data), reused when the
    same count and seed wrote them before."""
    WORK.mkdir(parents=True, exist_ok=True)
    stamp = WORK / "files.json"
    wanted = {"count": count, "sizes": sizes, "seed": seed, "version": 2}
    files = {
        n: {"GeoPackage": WORK / f"points_{n}.gpkg", "GeoJSON": WORK / f"points_{n}.geojson"}
        for n in sizes
    }
    present = all(p.exists() for pair in files.values() for p in pair.values())
    written = json.loads(stamp.read_text()) if stamp.exists() else {}
    same = {k: v for k, v in written.items() if k != "sizes"} == {
        k: v for k, v in wanted.items() if k != "sizes"
    }
    if present and same and set(sizes) <= set(written.get("sizes", [])):
        names = [p.name for pair in files.values() for p in pair.values()]
        print(f"data: reusing {', '.join(names)}")
        return files
    started = time.perf_counter()
    x, y = generate_points(conn, count, seed)
    print(f"generated {count:,} points in {time.perf_counter() - started:.1f} s")
    for n in sizes:
        files[n] = write_files(x[:n], y[:n], seed, f"points_{n}")
    stamp.write_text(json.dumps(wanted))
    return files


# --- runs -------------------------------------------------------------------------------


class LoadGate:
    """Waits while the 1-minute load average exceeds 2, for at most ``budget`` seconds in
    all (then runs anyway; the load is recorded with every run)."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.waited = 0.0

    def wait(self) -> tuple[float, float, float]:
        load = os.getloadavg()
        while load[0] > LOAD_LIMIT and self.waited < self.budget:
            print(f"load average {load[0]:.2f} > {LOAD_LIMIT}: waiting", flush=True)
            time.sleep(15)
            self.waited += 15
            load = os.getloadavg()
        return load


def timed(
    label: str, command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None
) -> dict[str, Any]:
    LOGS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    with log.open("wb") as out:
        done = subprocess.run(
            command, cwd=cwd or CODE, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()
    print(
        f"  {label}: {seconds:.1f} s (exit {done.returncode}, load {load_before[0]:.2f} -> "
        f"{load_after[0]:.2f})",
        flush=True,
    )
    return {
        "seconds": seconds,
        "exit": done.returncode,
        "load": (load_before[0], load_after[0]),
        "log": str(log.relative_to(ROOT)),
    }


def pg_dsn(dbname: str) -> str:
    p = db_params()
    return f"host={p['host']} port={p['port']} dbname={dbname} user={p['user']}"


def run_ogr(path: Path, dbname: str, env: dict[str, str], tag: str) -> dict[str, Any]:
    command = [
        OGR2OGR, "-f", "PostgreSQL", f"PG:{pg_dsn(dbname)}", str(path),
        "-nln", "bench_ogr", "-overwrite", "--config", "PG_USE_COPY", "YES",
        "-gt", "65536", "-lco", "GEOMETRY_NAME=geom", "-a_srs", "EPSG:4490",
    ]  # fmt: skip
    result = timed("ogr2ogr", command, env, LOGS / f"ogr2ogr-{tag}.log")
    conn = connect(dbname)
    result["loaded"] = scalar(conn, "SELECT count(*) FROM bench_ogr")
    with conn.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_ogr")
    conn.close()
    return result


def run_ours(
    path: Path,
    dbname: str,
    env: dict[str, str],
    tag: str,
    dry: bool,
    batch_rows: int,
    cwd: Path | None = None,
) -> dict[str, Any]:
    report = WORK / f"report-{tag}.json"
    report.unlink(missing_ok=True)
    command = [
        str(VENV_PY), "manage.py", "import_components", str(path),
        "--mapping", str(WORK / "mapping.yaml"), "--crs", "EPSG:4490", "--user", USER,
        "--owner", OWNER, "--maintainer", MAINTAINER, "--competent-department", DEPARTMENT,
        "--batch-rows", str(batch_rows), "--report", str(report),
    ]  # fmt: skip
    if dry:
        command.append("--dry-run")
    result = timed(
        "ours, dry run" if dry else "ours, commit", command, env, LOGS / f"ours-{tag}.log", cwd
    )
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        result["counts"] = data.get("counts", {})
        result["timing"] = data.get("timing", {})
        result["duplicates"] = data.get("duplicates_total")
        result["errors"] = data.get("errors_total")
    if not dry:
        conn = connect(dbname)
        result["loaded"] = scalar(
            conn,
            "SELECT count(*) FROM component_catalog_component WHERE source_name = %s",
            [path.name],
        )
        conn.close()
    return result


COMPONENT = "component_catalog_component"
REGISTRY = "component_catalog_componentidentifier"


def run_floor(dbname: str, base: str, tag: str) -> dict[str, Any]:
    """The raw-SQL floor of a commit: the rows our commit just wrote, loaded again by SQL
    alone into a fresh copy of the demo, as a partition load does it minus everything that
    decides what to load (no file, no Python, no checks, numbering, history or audit): one
    transaction of CREATE TABLE (LIKE the components table, its defaults, generated column
    and CHECKs), a binary COPY of the rows, their identifiers entered in the registry, and
    the ATTACH that builds the table's indexes and validates its foreign keys. Run after
    ``run_ours(..., dry=False)``; leaves the database dirty."""
    conn = connect(dbname)
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass "
            "AND c.relname LIKE %s ORDER BY c.oid DESC LIMIT 1",
            [COMPONENT, f"{COMPONENT}_import_%"],
        )
        found = cursor.fetchone()
        if found is None:
            conn.close()
            return {"seconds": 0.0, "exit": 1, "load": os.getloadavg(), "note": "no partition"}
        table, bound = found
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
            [table],
        )
        columns = pgsql.SQL(", ").join(pgsql.Identifier(c) for (c,) in cursor.fetchall())
        rows_file = WORK / f"floor-{tag}.bin"
        with rows_file.open("wb") as out:
            cursor.copy_expert(
                pgsql.SQL("COPY (SELECT {} FROM {}) TO STDOUT (FORMAT binary)")
                .format(columns, pgsql.Identifier(table))
                .as_string(conn),
                out,
            )
    conn.close()
    restore(dbname, base)
    conn = connect(dbname)
    conn.autocommit = False
    ident = pgsql.Identifier(table)
    steps: dict[str, float] = {}
    load_before = os.getloadavg()
    started = clock = time.perf_counter()

    def mark(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[step] = now - clock
        clock = now

    try:
        with conn.cursor() as cursor:
            cursor.execute(
                pgsql.SQL(
                    "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING GENERATED "
                    "INCLUDING CONSTRAINTS)"
                ).format(ident, pgsql.Identifier(COMPONENT))
            )
            with rows_file.open("rb") as rows:
                cursor.copy_expert(
                    pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)")
                    .format(ident, columns)
                    .as_string(conn),
                    rows,
                )
            mark("copy")
            cursor.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attname = 'identifier'",
                [REGISTRY],
            )
            key_type = cursor.fetchone()[0]  # varchar(16) up to 0011, bigint from 0012
            cursor.execute(
                pgsql.SQL(
                    "INSERT INTO {} (identifier, component_id) SELECT identifier::{}, id FROM {}"
                ).format(pgsql.Identifier(REGISTRY), pgsql.SQL(key_type), ident)
            )
            cursor.execute(pgsql.SQL("ANALYZE {}").format(ident))
            mark("registry")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # (the bound is the database's own text for the partition just read back)
            cursor.execute(
                pgsql.SQL("ALTER TABLE {} ATTACH PARTITION {} ").format(
                    pgsql.Identifier(COMPONENT), ident
                )
                + pgsql.SQL(bound)
            )
            mark("attach")
        conn.commit()
        mark("commit")
        loaded = scalar(conn, pgsql.SQL("SELECT count(*) FROM {}").format(ident))
        exit_code = 0
    finally:
        conn.close()
        rows_file.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    print(
        f"  raw-SQL floor: {seconds:.1f} s ({', '.join(f'{k} {v:.1f}' for k, v in steps.items())})"
    )
    return {
        "seconds": seconds,
        "exit": exit_code,
        "load": (load_before[0], os.getloadavg()[0]),
        "loaded": loaded,
        "floor_steps": steps,
    }


# --- report -----------------------------------------------------------------------------

STAGES = ["read", "map_and_geometry", "locate", "match_access_dedupe", "stage", "load"]
# the load's steps (a partition load: insert, history, attach; the live table: insert with
# history), then the deferred foreign-key checks
STAGES += ["load_insert", "load_history", "load_attach", "load_constraints"]


def stages(timing: dict[str, float]) -> dict[str, float]:
    """The report's timings, with reading (the rest of the validate phase) made explicit."""
    out = {k: float(timing.get(k, 0.0)) for k in STAGES if k != "read"}
    validate = float(timing.get("validate", 0.0))
    out["read"] = max(validate - sum(out[k] for k in STAGES[1:5]), 0.0)
    out["total"] = float(timing.get("total", 0.0))
    return out


def markdown(meta: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    lines = [
        "# Importer vs ogr2ogr",
        "",
        f"Run {meta['date']}: `{meta['command']}`; {meta['cores']} cores, {meta['mem']} GiB; "
        f"PostgreSQL {meta['pg']}, PostGIS {meta['postgis']}; {meta['ogr']} (ogr2ogr, "
        f"Debian gdal-bin); pyogrio {pyogrio.__version__} (GDAL "
        f"{pyogrio.__gdal_version_string__}) in our importer; Python {meta['python']}. "
        f"Load average (1, 5, 15 min) before the timed part: "
        f"{', '.join(f'{v:.2f}' for v in meta['load_start'])}; after: "
        f"{', '.join(f'{v:.2f}' for v in meta['load_end'])}; waited {meta['waited']:.0f} s "
        f"for a load below {LOAD_LIMIT:.0f}. Our importer: {meta['code']}.",
        "",
        "| rows | format | run | exit | s | features/s | ours / ogr2ogr | rows in db "
        "| load before -> after |",
        "|--:|---|---|--:|--:|--:|--:|--:|---|",
    ]
    ogr_rate: dict[tuple[int, str], float] = {}
    for r in runs:
        rate = r["rows"] / r["seconds"]
        if r["tool"] == "ogr2ogr":
            ogr_rate[(r["rows"], r["format"])] = rate
        base = ogr_rate.get((r["rows"], r["format"]))
        ratio = f"{rate / base:.2f}" if base and r["tool"] != "ogr2ogr" else "-"
        loaded = r.get("loaded")
        lines.append(
            f"| {r['rows']:,} | {r['format']} | {r['tool']} | {r['exit']} | {r['seconds']:.1f} "
            f"| {rate:,.0f} | {ratio} | {'-' if loaded is None else f'{loaded:,}'} "
            f"| {r['load'][0]:.2f} -> {r['load'][1]:.2f} |"
        )
    floors = [r for r in runs if r["tool"] == "raw-SQL floor" and r.get("floor_steps")]
    if floors:
        lines += [
            "",
            "Raw-SQL floor: the rows our commit wrote, loaded again into a fresh copy of the "
            "demo by SQL alone, in one transaction: CREATE TABLE (LIKE the components table), "
            "binary COPY, identifiers into the registry + ANALYZE, ATTACH PARTITION (builds the "
            "components table's indexes, validates its foreign keys). No file reading, no "
            "checks, numbering, history or audit: what any importer writing these rows must "
            "at least spend.",
            "",
            "| rows | format | copy | registry | attach | commit | floor s | ours commit / floor "
            "| floor / ogr2ogr |",
            "|--:|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for r in floors:
            st = r["floor_steps"]
            commit = next(
                (o for o in runs if o["tool"] == "ours, commit"
                 and (o["rows"], o["format"]) == (r["rows"], r["format"])),
                None,
            )  # fmt: skip
            ogr = ogr_rate.get((r["rows"], r["format"]))
            lines.append(
                f"| {r['rows']:,} | {r['format']} | "
                + " | ".join(
                    f"{st.get(k, 0.0):.1f}" for k in ("copy", "registry", "attach", "commit")
                )
                + f" | {r['seconds']:.1f} | "
                + (f"{r['seconds'] / commit['seconds']:.2f}" if commit else "-")
                + " | "
                + (f"{r['rows'] / r['seconds'] / ogr:.2f}" if ogr else "-")
                + " |"
            )
    ours = [r for r in runs if r["tool"] not in ("ogr2ogr", "raw-SQL floor") and r.get("timing")]
    if ours:
        lines += [
            "",
            "Stages of ours (seconds, from `--report`; *read* is the validate phase minus the "
            "per-batch steps, i.e. pyogrio/Arrow reading and batch set-up; *load* is the "
            "commit transaction: serials, INSERT ... SELECT from the staging tables, history, "
            "audit). The wall time above also includes starting Django and the job record.",
            "",
            f"| rows | format | run | {' | '.join(STAGES)} | total in report | rows/s in report |",
            f"|--:|---|---|{'--:|' * len(STAGES)}--:|--:|",
        ]
        for r in ours:
            st = stages(r["timing"])
            lines.append(
                f"| {r['rows']:,} | {r['format']} | {r['tool']} | "
                + " | ".join(f"{st[k]:.1f}" for k in STAGES)
                + f" | {st['total']:.1f} | {r['timing'].get('rows_per_second') or 0:,} |"
            )
        lines.append("")
        for r in ours:
            c = r.get("counts", {})
            lines.append(
                f"- {r['rows']:,} {r['format']}, {r['tool']}: insert {c.get('insert', 0):,}, "
                f"update {c.get('update', 0):,}, skip {c.get('skip', 0):,}, error "
                f"{c.get('error', 0):,}; duplicates reported {r.get('duplicates', 0):,}."
            )
    lines.append("")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> None:
    global DEV_DB, CODE
    DEV_DB = db_params()["dbname"]
    CODE, args.code = code_tree(args.rev)
    args.compare_tree = None
    if args.compare:
        args.compare_tree, compare_code = code_tree(args.compare)
        args.code += f"; before: {compare_code}"
    if args.psycopg2:
        hide_psycopg3()
        args.code += "; Django on psycopg2 (psycopg 3 hidden with --psycopg2)"
    print(f"code: {args.code}")
    if args.database == DEV_DB:
        raise SystemExit("--database must not be the dev database: ours commits a million rows")
    if args.ours_count > args.count:
        raise SystemExit("--ours-count cannot exceed --count")
    use_database(args.database)
    base = snapshot(args.database)
    try:
        measure(args, base)
    finally:
        drop(base)
        if args.drop_database:
            drop(args.database)


def measure(args: argparse.Namespace, base: str) -> None:
    name = args.database
    conn = connect(name)
    pg = scalar(conn, "SHOW server_version")
    postgis = scalar(conn, "SELECT postgis_lib_version()")
    sizes = sorted({args.ours_count, args.count})
    files = ensure_files(conn, args.count, sizes, args.seed)
    conn.close()
    (WORK / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    ogr_version = subprocess.run(
        [OGR2OGR, "--version"], capture_output=True, text=True, check=True
    ).stdout.split(",")[0]
    p = db_params()
    env = {**os.environ, "PGPASSWORD": p["password"], "LOCAL_PG_DB": name}
    ours_env = {**env, **CHILD_ENV}
    formats = [f for f in ("GeoPackage", "GeoJSON") if f in args.formats]

    gate = LoadGate(args.max_wait)
    load_start = gate.wait()
    print(f"load average before timing: {load_start}")
    runs: list[dict[str, Any]] = []
    dirty = False
    for n in sizes:
        for fmt in formats:
            path = files[n][fmt]
            tag = f"{n}-{'gpkg' if fmt == 'GeoPackage' else 'geojson'}"
            print(f"{n:,} rows, {fmt} ({path.relative_to(ROOT)})", flush=True)
            gate.wait()
            runs.append(
                {"rows": n, "format": fmt, "tool": "ogr2ogr", **run_ogr(path, name, env, tag)}
            )
            if n != args.ours_count:
                continue
            if args.compare_tree is not None:  # the code before, timed in the same run
                for dry in (True, False):
                    if dirty:
                        restore(name, base)
                    gate.wait()
                    step = "dry run" if dry else "commit"
                    runs.append(
                        {
                            "rows": n,
                            "format": fmt,
                            "tool": f"before ({args.compare}), {step}",
                            **run_ours(
                                path,
                                name,
                                ours_env,
                                f"{tag}-before-{'dry' if dry else 'commit'}",
                                dry,
                                args.batch_rows,
                                args.compare_tree,
                            ),
                        }
                    )
                    dirty = True
            if dirty:  # both runs of ours start from the demo as snapshotted
                restore(name, base)
                dirty = False
            gate.wait()
            runs.append(
                {
                    "rows": n,
                    "format": fmt,
                    "tool": "ours, dry run",
                    **run_ours(path, name, ours_env, f"{tag}-dry", True, args.batch_rows),
                }
            )
            gate.wait()
            runs.append(
                {
                    "rows": n,
                    "format": fmt,
                    "tool": "ours, commit",
                    **run_ours(path, name, ours_env, f"{tag}-commit", False, args.batch_rows),
                }
            )
            dirty = True
            if not args.no_floor:
                gate.wait()
                runs.append(
                    {
                        "rows": n,
                        "format": fmt,
                        "tool": "raw-SQL floor",
                        **run_floor(name, base, tag),
                    }
                )
    load_end = os.getloadavg()
    command = "bench/import_bench.py " + " ".join(sys.argv[1:])
    meta = {
        "date": dt.date.today().isoformat(),
        "command": f".venv/bin/python {command}",
        "cores": os.cpu_count(),
        "mem": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "pg": pg,
        "postgis": postgis,
        "ogr": ogr_version,
        "python": platform.python_version(),
        "load_start": load_start,
        "load_end": load_end,
        "waited": gate.waited,
        "code": args.code,
    }
    report = markdown(meta, runs)
    print()
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if args.append and RESULTS.exists():
        body = report.split("\n", 2)[2]  # without the title
        report = RESULTS.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + body
    RESULTS.write_text(report, encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


DEV_DB = "gis"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="points in the files")
    parser.add_argument(
        "--ours-count",
        type=int,
        help="run ours (and ogr2ogr again) on the first N rows only (default: --count)",
    )
    parser.add_argument(
        "--formats",
        nargs="+",
        default=["GeoPackage", "GeoJSON"],
        choices=["GeoPackage", "GeoJSON"],
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the points")
    parser.add_argument("--batch-rows", type=int, default=50_000, help="ours: rows per batch")
    parser.add_argument(
        "--database",
        default="gis_bench_import",
        help="the database of the local cluster to run on (created, migrated and given the "
        "demo when missing; never the dev database)",
    )
    parser.add_argument(
        "--rev",
        help="time the importer of this git revision (exported under .local/bench/import/) "
        "instead of the working tree",
    )
    parser.add_argument(
        "--compare",
        help="also time the importer of this git revision (exported like --rev) in the same "
        "run, on the same files, before ours: before/after against the same ogr2ogr runs",
    )
    parser.add_argument(
        "--append",
        action="store_true",
        help="add this run's report to bench/results/import.md instead of replacing it",
    )
    parser.add_argument(
        "--psycopg2",
        action="store_true",
        help="run Django on psycopg2 even when psycopg 3 is installed (the importer's COPY "
        "uses psycopg2's copy_expert)",
    )
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the raw-SQL floor (our committed rows loaded again by SQL alone)",
    )
    parser.add_argument(
        "--drop-database", action="store_true", help="drop the --database at the end"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=600,
        help="seconds to wait in all for a 1-minute load average below 2 before the timed "
        "runs (then they run anyway)",
    )
    args = parser.parse_args()
    if args.ours_count is None:
        args.ours_count = args.count
    os.chdir(ROOT)
    run(args)


if __name__ == "__main__":
    main()
