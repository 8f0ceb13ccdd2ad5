"""The reference list of Hangzhou's administrative divisions (statistical division codes,
2020 vintage; see ``layers/data/README.md``): names and codes of the city, districts,
streets and residents' committees. Used to give standard codes to source files that carry
their own, and by the demo when no boundary files are at hand."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "divisions_3301_2020.csv"
VINTAGE = "2020"

# Endings a source may drop or add (社区 vs 社区居委会 ...). Longest first.
_SUFFIXES = ("社区居民委员会", "社区居委会", "村民委员会", "居民委员会", "居委会", "委员会")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str  # city | district | street | community
    parent: str


@cache
def all_divisions() -> tuple[Division, ...]:
    """Every division of the list, outermost first."""
    with DATA.open(encoding="utf-8") as handle:
        return tuple(
            Division(row["code"], row["name"], row["level"], row["parent"])
            for row in csv.DictReader(handle)
        )


@cache
def _by_code() -> dict[str, Division]:
    return {division.code: division for division in all_divisions()}


def get(code: str) -> Division | None:
    """The division with this code, or None."""
    return _by_code().get(code)


def children(code: str) -> list[Division]:
    """The divisions directly under ``code``, by code."""
    return [division for division in all_divisions() if division.parent == code]


def normalise_name(name: str) -> str:
    """A name reduced for matching: no spaces, no committee ending (华丰社区居委会 ->
    华丰社区)."""
    text = "".join(name.split())
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            if not text.endswith(("社区", "村")):
                text += "社区" if "居" in suffix or suffix == "委员会" else "村"
            break
    return text


def find_child(parent: str, name: str) -> Division | None:
    """The division under ``parent`` whose name matches ``name`` (ignoring spaces and the
    committee ending), or None."""
    wanted = normalise_name(name)
    for division in children(parent):
        if normalise_name(division.name) == wanted:
            return division
    return None
