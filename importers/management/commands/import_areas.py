"""``manage.py import_areas FILE --level LEVEL --code-field F --name-field F``: import one
level of the administrative hierarchy (city, district, street, community) or grid cells
from a Shapefile, GeoPackage, GeoJSON, TopoJSON or KML file (issue 18).

Every feature is checked and reported (row, code, name); nothing is stored when any is
refused. Exit status: 0 when the areas were stored (or, with ``--dry-run``, would be); 1
when the file or any feature was refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gis_app.errors import DomainError
from importers.areas import AreaFileOptions, load_code_map, run
from importers.cli import attributable_user, existing_file
from layers.area_import import LEVELS

EXIT_REFUSED = 1


class Command(BaseCommand):
    help = (
        "Import administrative areas or grid cells from a file: codes, polygons, parents, "
        "siblings and gaps checked per feature; stored in one transaction only when no "
        "feature is refused. Exits non-zero when nothing was stored."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import")
        parser.add_argument("--level", required=True, choices=LEVELS, help="the level imported")
        parser.add_argument("--code-field", required=True, help="the field holding the code")
        parser.add_argument("--name-field", required=True, help="the field holding the name")
        parent = parser.add_mutually_exclusive_group()
        parent.add_argument(
            "--parent-field",
            help="the field holding the parent's code (standard or its source code)",
        )
        parent.add_argument("--parent", help="the parent's code, for every feature")
        parser.add_argument(
            "--crs", help="coordinate system of the file: EPSG:n, GCJ02 or BD09 (overrides it)"
        )
        parser.add_argument("--encoding", help="text encoding (overrides .cpg, LDID, detection)")
        parser.add_argument("--layer", help="the layer of a multi-layer file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report only; store nothing"
        )
        parser.add_argument(
            "--repair",
            action="store_true",
            help="make invalid polygons valid (keeping their polygonal parts)",
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=30.0,
            help="metres a child may lie outside its parent or overlap a sibling (default 30)",
        )
        parser.add_argument(
            "--codes-by-name",
            action="store_true",
            help="map codes that are not standard by name (the reference list of divisions); "
            "committees it lacks get generated codes",
        )
        parser.add_argument(
            "--code-map",
            help="a CSV file source_code,standard_code for codes that are not standard",
        )
        parser.add_argument("--user", help="who imports (a user name); required")
        parser.add_argument("--comment", help="why (kept in the areas' history)")
        parser.add_argument("--report", help="also write the full JSON report to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = existing_file(options["file"])
        user = attributable_user(options["user"])
        try:
            code_map = None
            if options["code_map"]:
                map_path = existing_file(options["code_map"], "--code-map")
                code_map = load_code_map(map_path.read_bytes())
            report, info = run(
                path,
                options["level"],
                AreaFileOptions(
                    code_field=options["code_field"],
                    name_field=options["name_field"],
                    parent_field=options["parent_field"],
                    parent=options["parent"],
                    crs=options["crs"],
                    encoding=options["encoding"],
                    layer=options["layer"],
                ),
                user=user,
                comment=options["comment"] or f"import_areas {path.name}",
                tolerance_m=options["tolerance"],
                repair=options["repair"],
                dry_run=options["dry_run"],
                code_map=code_map,
                codes_by_name=options["codes_by_name"],
            )
        except DomainError as exc:
            field = f" ({exc.field})" if exc.field else ""
            raise CommandError(f"refused{field}: {exc.message}", returncode=EXIT_REFUSED) from None
        self.stdout.write(
            f"{path.name}: {info.format}, CRS {info.crs} ({info.crs_source}), "
            f"encoding {info.encoding or '-'} ({info.encoding_source})"
        )
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(f"{report.seconds:.1f} s")
        if options["report"]:
            Path(options["report"]).write_text(
                json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
        if not report.ok:
            raise CommandError(
                f"{len(report.refused) or len(report.errors)} refused: nothing was stored",
                returncode=EXIT_REFUSED,
            )
