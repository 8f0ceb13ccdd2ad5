"""The import report: what a run found and did, as JSON (kept in ``ImportJob.report``) and
as text (the command's summary); and the rejected-rows CSV.

Counts are complete; the lists (errors, duplicates, repairs) are capped at ``MAX_LISTED``
entries each, with the total kept next to them, so a report stays small whatever the file.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

OUTCOMES: Final = ("insert", "update", "skip", "error")
MAX_LISTED: Final = 1000
SAMPLE_SIZE: Final = 10
UNKNOWN_CLASS: Final = "?"


@dataclass
class Report:
    file: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)  # CRS/encoding decisions, notes
    options: dict[str, Any] = field(default_factory=dict)
    by_class: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    duplicates_total: int = 0
    repaired: list[dict[str, Any]] = field(default_factory=list)
    repaired_total: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # other skips: reason -> rows
    sample: list[dict[str, Any]] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    notes: list[str] = field(default_factory=list)

    # -- recording ---------------------------------------------------------------------------

    def count(self, klass: str | None, outcome: str, n: int = 1) -> None:
        self.by_class[klass or UNKNOWN_CLASS][outcome] += n

    def error(self, row: int, field_name: str, message: str, target: str | None = None) -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_LISTED:
            entry: dict[str, Any] = {"row": row, "field": field_name, "message": message}
            if target and target != field_name:
                entry["target"] = target
            self.errors.append(entry)

    def duplicate(self, row: int, reason: str, **detail: Any) -> None:
        self.duplicates_total += 1
        if len(self.duplicates) < MAX_LISTED:
            self.duplicates.append({"row": row, "reason": reason, **detail})

    def repair(self, row: int, before: str, after: str) -> None:
        self.repaired_total += 1
        if len(self.repaired) < MAX_LISTED:
            self.repaired.append({"row": row, "problem": before, "result": after})

    def add_sample(self, feature: dict[str, Any]) -> None:
        if len(self.sample) < SAMPLE_SIZE:
            self.sample.append(feature)

    # -- totals ----------------------------------------------------------------------------

    @property
    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(OUTCOMES, 0)
        for counts in self.by_class.values():
            for outcome in OUTCOMES:
                out[outcome] += counts[outcome]
        out["rows"] = sum(out[o] for o in OUTCOMES)
        return out

    def as_dict(self) -> dict[str, Any]:
        totals = self.totals
        seconds = self.timing.get("total", 0.0)
        return {
            "file": self.file,
            "source": self.source,
            "options": self.options,
            "counts": totals,
            "by_class": {
                code: {o: counts[o] for o in OUTCOMES}
                for code, counts in sorted(self.by_class.items())
            },
            "errors": self.errors,
            "errors_total": self.errors_total,
            "duplicates": self.duplicates,
            "duplicates_total": self.duplicates_total,
            "repaired": self.repaired,
            "repaired_total": self.repaired_total,
            "skipped": dict(self.skipped.most_common(MAX_LISTED)),
            "sample": {"type": "FeatureCollection", "features": self.sample},
            "notes": self.notes,
            "timing": {
                **{k: round(v, 3) for k, v in self.timing.items()},
                "rows_per_second": round(totals["rows"] / seconds) if seconds > 0 else None,
            },
        }


def summary(report: dict[str, Any], *, max_lines: int = 20) -> str:
    """A few lines of text for the command line."""
    counts = report.get("counts", {})
    lines = [
        "rows {rows}: insert {insert}, update {update}, skip {skip}, error {error}".format(
            **{k: counts.get(k, 0) for k in ("rows", *OUTCOMES)}
        )
    ]
    source = report.get("source", {})
    if source:
        lines.append(
            f"source: {source.get('format')}, CRS {source.get('crs')} "
            f"({source.get('crs_source')}), encoding {source.get('encoding')} "
            f"({source.get('encoding_source')})"
        )
    for note in source.get("notes", []) + report.get("notes", []):
        lines.append(f"note: {note}")
    for code, by in report.get("by_class", {}).items():
        lines.append(
            f"  class {code}: " + ", ".join(f"{o} {by.get(o, 0)}" for o in OUTCOMES if by.get(o, 0))
        )
    errors = report.get("errors", [])
    for entry in errors[:max_lines]:
        lines.append(f"  row {entry['row']}, {entry['field']}: {entry['message']}")
    if report.get("errors_total", 0) > min(len(errors), max_lines):
        lines.append(f"  ... {report['errors_total']} errors in all (see the report)")
    for reason, count in report.get("skipped", {}).items():
        lines.append(f"skipped {count}: {reason}")
    if report.get("duplicates_total"):
        lines.append(f"duplicates: {report['duplicates_total']} (see the report)")
    if report.get("repaired_total"):
        lines.append(f"repaired geometries: {report['repaired_total']}")
    timing = report.get("timing", {})
    if timing.get("rows_per_second"):
        lines.append(f"time {timing.get('total', 0):.2f} s, {timing['rows_per_second']} rows/s")
    return "\n".join(lines)


class RejectedWriter:
    """The rejected rows as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese
    correctly): row, field, error, the source geometry as WKT (in the source CRS), then the
    row's original attribute values."""

    def __init__(self, path: Path, fields: list[str]) -> None:
        self.path = path
        self.fields = fields
        self.count = 0
        self._handle: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(["row", "field", "error", "source_geometry", *fields])

    def write(self, row: int, problems: list[tuple[str, str]], wkt: str, values: list[Any]) -> None:
        self.count += 1
        self._writer.writerow(
            [
                row,
                "; ".join(dict.fromkeys(f for f, _m in problems)),
                "; ".join(f"{f}: {m}" if len(problems) > 1 else m for f, m in problems),
                wkt,
                *("" if v is None else v for v in values),
            ]
        )

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()


def read_rejected(data: bytes) -> list[dict[str, str]]:
    """Parse a rejected-rows CSV (for tests and the web page)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
