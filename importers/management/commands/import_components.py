"""``manage.py import_components FILE``: import components from a file (DESIGN.md section 8).

Exit status: 0 when rows were committed (or, for ``--dry-run``, when the same command
without it would commit rows); 1 when the file was refused, the load failed, or rows are
invalid without ``--skip-invalid``; 3 when there was nothing to import (every row skipped).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from importers import report as report_text
from importers.cli import attributable_user, existing_file
from importers.mapping import Mapping, MappingError, load_mapping, with_options
from importers.models import ImportStatus
from importers.pipeline import ImportOptions, run_import

EXIT_INVALID = 1
EXIT_NOTHING = 3


class Command(BaseCommand):
    help = (
        "Import components from a Shapefile, GeoPackage, GeoJSON, CSV, KML or XLSX file: "
        "validated, converted to CGCS2000, deduplicated and loaded in one transaction. "
        "Exits non-zero when nothing was committed."
    )
    # The system checks (models, URLs, admin: ~0.8 s of loading every URLconf and view) are
    # for deploys and the servers (``check``, ``migrate``, ``runserver`` run them); a data
    # command run from scripts and jobs does not need them each time.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import")
        parser.add_argument("--user", help="who imports (a user name); required")
        parser.add_argument("--class", dest="class_code", help="one class for every row")
        parser.add_argument("--name-field", help="the field holding the component name")
        parser.add_argument(
            "--crs",
            help="coordinate system of the file: EPSG:n, GCJ02 or BD09 (overrides the file)",
        )
        parser.add_argument("--encoding", help="text encoding (overrides .cpg and detection)")
        parser.add_argument("--layer", help="the layer of a multi-layer file")
        parser.add_argument("--member", help="the data file inside a .zip holding several")
        parser.add_argument("--lon-field", help="CSV/XLSX: the longitude (x) column")
        parser.add_argument("--lat-field", help="CSV/XLSX: the latitude (y) column")
        parser.add_argument("--wkt-field", help="CSV/XLSX: a WKT geometry column")
        parser.add_argument("--mapping", help="a YAML or JSON mapping file")
        parser.add_argument(
            "--owner", help="owner organization (code or name) for rows without one"
        )
        parser.add_argument("--maintainer", help="maintainer organization (code or name)")
        parser.add_argument("--competent-department", help="competent department (code or name)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report only; change nothing"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="load the valid rows and reject the rest (default: any invalid row refuses "
            "the whole file)",
        )
        parser.add_argument(
            "--repair", action="store_true", help="repair invalid geometries (make_valid)"
        )
        parser.add_argument(
            "--dedupe-metres",
            type=float,
            default=1.0,
            help="same class within this distance is a duplicate (default 1.0; 0 = off)",
        )
        parser.add_argument(
            "--on-duplicate",
            choices=("update", "skip"),
            default="update",
            help="what to do with rows matching an existing component (default update)",
        )
        parser.add_argument("--batch-rows", type=int, default=50_000, help="rows read per batch")
        parser.add_argument("--report", help="also write the full JSON report to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = existing_file(options["file"])
        user = attributable_user(options["user"])
        if options["batch_rows"] < 1:
            raise CommandError("--batch-rows must be at least 1")
        try:
            mapping = load_mapping(Path(options["mapping"])) if options["mapping"] else Mapping()
            mapping = with_options(
                mapping,
                class_code=options["class_code"],
                name_field=options["name_field"],
                organizations={
                    "owner": options["owner"],
                    "maintainer": options["maintainer"],
                    "competent_department": options["competent_department"],
                },
            )
        except MappingError as exc:
            raise CommandError(str(exc.message)) from None
        import_options = ImportOptions(
            crs=options["crs"],
            encoding=options["encoding"],
            layer=options["layer"],
            member=options["member"],
            lon_field=options["lon_field"],
            lat_field=options["lat_field"],
            wkt_field=options["wkt_field"],
            dry_run=options["dry_run"],
            skip_invalid=options["skip_invalid"],
            repair=options["repair"],
            dedupe_metres=options["dedupe_metres"],
            on_duplicate=options["on_duplicate"],
            batch_rows=options["batch_rows"],
        )
        started = time.perf_counter()

        def progress(done: int, total: int | None, stage: str) -> None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            if stage == "load":
                self.stderr.write(f"loading {done} rows in one transaction ...")
                return
            share = f"/{total} ({100 * done / total:.0f}%)" if total else ""
            self.stderr.write(f"{stage}: {done}{share} rows, {done / elapsed:,.0f} rows/s")

        job = run_import(path, mapping, user, import_options, progress=progress)
        if options["report"]:
            Path(options["report"]).write_text(
                json.dumps(job.report, ensure_ascii=False, indent=2), encoding="utf-8"
            )
        if job.report.get("counts", {}).get("rows"):
            self.stdout.write(report_text.summary(job.report))
        if job.rejected_file:
            self.stdout.write(f"rejected rows: {job.rejected_file.path}")
        elapsed = time.perf_counter() - started
        rows = job.rows or 0
        self.stdout.write(
            f"import job {job.pk}: {job.get_status_display()} "
            f"({elapsed:.1f} s, {rows / max(elapsed, 1e-9):,.0f} rows/s)"
        )
        if job.status == ImportStatus.COMMITTED:
            self.stdout.write(
                self.style.SUCCESS(
                    f"committed: {job.inserted} inserted, {job.updated} updated, "
                    f"{job.skipped} skipped, {job.rejected} rejected"
                )
            )
            return
        if job.status == ImportStatus.DRY_RUN:
            would = job.report.get("counts", {})
            loadable = would.get("insert", 0) + would.get("update", 0)
            if loadable and (not would.get("error") or import_options.skip_invalid):
                self.stdout.write("dry run: nothing was changed; the import would commit.")
                return
            if would.get("error"):
                raise CommandError(
                    "dry run: the import would be refused (invalid rows; see above)",
                    returncode=EXIT_INVALID,
                )
            raise CommandError("dry run: nothing to import", returncode=EXIT_NOTHING)
        code = EXIT_NOTHING if job.status == ImportStatus.NOTHING else EXIT_INVALID
        raise CommandError(f"nothing was committed: {job.error}", returncode=code)
