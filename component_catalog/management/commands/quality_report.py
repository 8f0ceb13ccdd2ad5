"""``manage.py quality_report``: the data-quality measures of the component layers
(standard 5.2.1), as the platform sees them (every in-use component), in a table, CSV or
JSON. The same rows as ``GET /api/v1/quality/``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from component_catalog import quality
from component_catalog.api.params import as_of_date, layer_codes
from gis_app.errors import DomainError

COLUMNS = (
    "key",
    "label",
    "count",
    "timeliness",
    "completeness",
    "accuracy_geometry",
    "accuracy_gnss",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


class Command(BaseCommand):
    help = (
        "Data-quality measures (timeliness, completeness, geometric and GNSS accuracy) of "
        "the component layers, per layer, organization, steward or area."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--area", help="area code: measure this subtree only")
        parser.add_argument(
            "--group-by", default="layer", choices=quality.GROUP_BY, help="default: layer"
        )
        parser.add_argument(
            "--layers", help="component layer codes, comma-separated (e.g. component-0101)"
        )
        parser.add_argument("--as-of", help="reference date YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--format", default="table", choices=("table", "csv", "json"), help="default: table"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = {name: options[name] for name in ("area", "layers", "as_of") if options[name]}
        try:
            as_of = as_of_date(raw) or timezone.localdate()
            rows = quality.measure(
                quality.SYSTEM_USER,
                area_code=raw.get("area") or None,
                layer_codes=layer_codes(raw),
                group_by=options["group_by"],
                as_of=as_of,
            )
        except DomainError as exc:
            field = f"--{exc.field.replace('_', '-')}: " if exc.field else ""
            raise CommandError(f"{field}{exc.message}") from None
        data = [row.as_dict() for row in rows]
        fmt = options["format"]
        if fmt == "json":
            body = {"as_of": as_of.isoformat(), "group_by": options["group_by"], "rows": data}
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        elif fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS)
            for item in data:
                writer.writerow([_cell(item[c]) for c in COLUMNS])
            self.stdout.write(out.getvalue(), ending="")
        else:
            self._table(data)

    def _table(self, data: list[dict[str, Any]]) -> None:
        cells = [list(COLUMNS)] + [[_cell(item[c]) for c in COLUMNS] for item in data]
        widths = [max(_width(row[i]) for row in cells) for i in range(len(COLUMNS))]
        for n, row in enumerate(cells):
            line = "  ".join(
                value + " " * (widths[i] - _width(value)) if i < 2 else value.rjust(widths[i])
                for i, value in enumerate(row)
            )
            self.stdout.write(line.rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
