"""Synthetic components for benchmarks: ``manage.py generate_components --count N``.

Set-based and fast (about a million rows in a few minutes on two cores): the SQL is in
:mod:`component_catalog.bench_sql`. All serials are reserved first with one upsert on the
identifier counter, in the same transaction as the inserts, so identifiers stay gapless and
an interrupted run leaves nothing behind. Generated rows are marked (``notes =
'generated'``, data source "other") and ``--delete-generated`` removes them again and puts
the counters back. They get no history rows and no changeset: they are load-test data,
not edits.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from jsonschema import Draft202012Validator

from component_catalog import bench_sql, sql
from component_catalog.models import ComponentClass, GeometryKind
from gis_app.models import Organization
from layers import changes

MAX_SERIAL = 999_999
DEFAULT_COUNTY = "330106"  # the demo district
# competent department, owner, maintainer per class (as in the demo); others: --orgs.
ORGANIZATIONS = {
    "0402": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0401": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0407": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0101": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0102": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0103": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0113": ("XH-CGJ", "HZ-SW", "HZ-SW"),
}
TIME_RANGE = ("2019-04-01 00:00:00+08", "2024-12-31 23:59:59+08")
SAMPLE = 500  # attribute documents checked against the class schema


class Command(BaseCommand):
    help = (
        "Insert N synthetic components (random points in the county's communities) for "
        "benchmarks, or delete them again with --delete-generated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, help="number of components to insert")
        parser.add_argument("--class", dest="class_code", default="0402", help="class code")
        parser.add_argument("--seed", type=int, default=1, help="random seed (>= 0)")
        parser.add_argument("--batch", type=int, default=100_000, help="rows per INSERT")
        parser.add_argument(
            "--county", default=DEFAULT_COUNTY, help="6-digit county (district) code"
        )
        parser.add_argument(
            "--orgs",
            help="competent,owner,maintainer organization codes (default: the demo's)",
        )
        parser.add_argument(
            "--delete-generated",
            action="store_true",
            help="delete all generated components and reset the identifier counters",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["delete_generated"]:
            self._delete()
            return
        count = options["count"]
        if count is None or count < 1:
            raise CommandError("--count N (N >= 1) is required")
        if options["batch"] < 1 or options["seed"] < 0:
            raise CommandError("--batch must be >= 1 and --seed >= 0")
        self._generate(
            count=count,
            class_code=options["class_code"],
            county=options["county"],
            seed=options["seed"],
            batch=options["batch"],
            orgs=options["orgs"],
        )

    def _generate(
        self, *, count: int, class_code: str, county: str, seed: int, batch: int, orgs: str | None
    ) -> None:
        klass = ComponentClass.objects.filter(code=class_code).first()
        if klass is None or not klass.is_minor:
            raise CommandError(f"class {class_code!r} is not a minor class of the catalog")
        if klass.geometry_kind != GeometryKind.POINT:
            raise CommandError(f"class {class_code} is not a point class; only points are made")
        validator = Draft202012Validator(klass.attribute_schema or {"type": "object"})
        if class_code not in bench_sql.ATTRIBUTES and not validator.is_valid({}):
            raise CommandError(f"no attribute generator for class {class_code}")
        if bench_sql.community_count(county) == 0:
            raise CommandError(f"county {county} has no communities (run load_demo)")
        organizations = self._organizations(class_code, orgs)
        used = bench_sql.last_serial(county, class_code)
        highest = bench_sql.max_serial(county, class_code)
        if highest > used:
            raise CommandError(
                f"{county}/{class_code}: serials up to {highest:,} exist but the identifier "
                f"counter says {used:,} (rows were inserted without the counter); fix the "
                "counter or remove those rows first"
            )
        if used + count > MAX_SERIAL:
            raise CommandError(
                f"{county}/{class_code} has {MAX_SERIAL - used:,} free serials of {MAX_SERIAL:,} "
                f"(identifiers have 6 serial digits); --count {count:,} does not fit"
            )

        self.stdout.write(
            f"generating {count:,} components of class {class_code} in county {county} "
            f"(batches of {batch:,}, seed {seed})"
        )
        started = time.perf_counter()
        done = 0
        with transaction.atomic():
            bench_sql.check_constraints_per_statement()
            serials = sql.reserve_serials(county, class_code, count)
            for first in range(serials.start, serials.stop, batch):
                n = min(batch, serials.stop - first)
                inserted = bench_sql.insert_batch(
                    county=county,
                    class_code=class_code,
                    first_serial=first,
                    count=n,
                    seed=seed + (first - serials.start) // batch,
                    organizations=organizations,
                    name_suffix="行道树" if class_code == "0402" else klass.name_zh,
                    time_range=TIME_RANGE,
                )
                if inserted != n:
                    raise CommandError(f"batch at serial {first}: {inserted} rows, expected {n}")
                if done == 0:
                    self._check_attributes(validator, county, class_code, first, first + n - 1)
                done += n
                self._progress(done, count, time.perf_counter() - started)
            changes.components_changed([class_code], None)  # no cached tile outlives the load
        committed = time.perf_counter() - started
        bench_sql.analyze()
        analyzed = time.perf_counter() - started - committed
        self.stdout.write(
            f"inserted {count:,} components ({class_code}, serials {serials.start:06d}-"
            f"{serials.stop - 1:06d}) in {committed:.1f} s including commit "
            f"({count / committed:,.0f} rows/s); ANALYZE {analyzed:.1f} s"
        )

    def _organizations(self, class_code: str, orgs: str | None) -> tuple[int, int, int]:
        codes = tuple(orgs.split(",")) if orgs else ORGANIZATIONS.get(class_code)
        if codes is None or len(codes) != 3:
            raise CommandError(f"give --orgs competent,owner,maintainer for class {class_code}")
        ids = dict(Organization.objects.filter(code__in=codes).values_list("code", "id"))
        missing = sorted(set(codes) - set(ids))
        if missing:
            raise CommandError(f"organizations not found: {', '.join(missing)} (run load_demo)")
        return ids[codes[0]], ids[codes[1]], ids[codes[2]]

    def _check_attributes(
        self, validator: Draft202012Validator, county: str, class_code: str, first: int, last: int
    ) -> None:
        for document in bench_sql.sample_attributes(county, class_code, first, last, SAMPLE):
            errors = sorted(validator.iter_errors(document), key=str)
            if errors:
                raise CommandError(f"generated attributes {document} invalid: {errors[0].message}")

    def _progress(self, done: int, total: int, elapsed: float) -> None:
        width = 30
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        rate = done / elapsed if elapsed > 0 else 0.0
        line = f"[{bar}] {done:>10,}/{total:,} {100 * done / total:5.1f}%  {elapsed:6.1f} s  "
        line += f"{rate:,.0f} rows/s"
        tty = hasattr(self.stdout, "isatty") and self.stdout.isatty()
        if tty:
            self.stdout.write("\r" + line, ending="\n" if done == total else "")
        else:
            self.stdout.write(line)
        sys.stdout.flush()

    def _delete(self) -> None:
        started = time.perf_counter()
        with transaction.atomic():
            result = bench_sql.delete_generated()
            classes = sorted({class_code for _county, class_code, _n, _last in result or []})
            changes.components_changed(classes, None)
        if not result:
            self.stdout.write("no generated components")
            return
        for county, class_code, deleted, last in result:
            self.stdout.write(
                f"deleted {deleted:,} generated components {county}/{class_code}; "
                f"counter back to {last}"
            )
        deleted_s = time.perf_counter() - started
        bench_sql.vacuum_analyze()
        vacuumed = time.perf_counter() - started - deleted_s
        self.stdout.write(f"done in {deleted_s:.1f} s, VACUUM ANALYZE {vacuumed:.1f} s")
