"""The codes of imported areas: standard codes checked against the level and the parent
(GB/T 2260 for city and district, 9 digits for streets, 12 for communities, 15 for grid
cells as GB/T 30428), and the source's own codes mapped to standard ones: from the
user's code map, kept from an earlier import of the same source code, by name in the
reference list of divisions (``layers.divisions``), or generated (grid cells, and
committees the list lacks) in ranges the statistical codes do not use."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from django.utils.translation import gettext as _

from gis_app import areacodes
from layers import divisions
from layers.area_import.report import (
    BY_FILE,
    BY_NAME,
    GENERATED,
    REUSED,
    STANDARD,
    level_label,
)

# Residents' committees use 001-199 and villagers' 200-399 (statistical codes): codes a
# platform gives committees the list lacks are taken from 901-999.
GENERATED_COMMUNITY_SERIALS = range(901, 1000)
GRID_SERIALS = range(1, 1000)
_TRAILING_NUMBER = re.compile(r"(\d+)$")
_DIGITS = re.compile(r"^[0-9]+$")


class CodeRefused(Exception):
    """A code that cannot be used; the message names the code and the rule."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text


def looks_standard(code: str) -> bool:
    """Digits only: the file claims a standard code (checked, never mapped)."""
    return bool(_DIGITS.match(code))


def implied_parent(level: str, code: str) -> str | None:
    """The parent a standard code names by its prefix (None for a city)."""
    if level == "city":
        return None
    if level == "district":
        return code[:4] + "00"
    return code[: areacodes.LEVEL_CODE_LENGTH[level] - 3]


def check_standard(level: str, code: str, parent: str | None) -> None:
    """Refuse a standard-looking code that does not fit its level or its parent."""
    length = areacodes.LEVEL_CODE_LENGTH[level]
    if not looks_standard(code) or len(code) != length:
        raise CodeRefused(
            "code",
            _(
                "code %(code)s is not a %(level)s code: a %(level)s code has %(n)d digits "
                "(%(rule)s)."
            )
            % {"code": code, "level": level_label(level), "n": length, "rule": _rule(level)},
        )
    if level == "city" and (not code.endswith("00") or code.endswith("0000")):
        raise CodeRefused(
            "code", _("code %(code)s is not a city code (a city code ends in 00).") % {"code": code}
        )
    if level == "district" and code.endswith("00"):
        raise CodeRefused(
            "code",
            _("code %(code)s is a city code, not a district code.") % {"code": code},
        )
    if parent is not None and implied_parent(level, code) != parent:
        raise CodeRefused(
            "code",
            _(
                "code %(code)s does not lie under its parent %(parent)s (it must start with "
                "%(prefix)s)."
            )
            % {"code": code, "parent": parent, "prefix": areacodes.prefix_of(parent)},
        )


def _rule(level: str) -> str:
    rules = {
        "city": _("GB/T 2260"),
        "district": _("GB/T 2260"),
        "street": _("the district's 6 digits and 3 more"),
        "community": _("the street's 9 digits and 3 more"),
        "grid": _("GB/T 30428: the community's 12 digits and 3 more"),
    }
    return rules[level]


class CodeBook:
    """Gives each feature group of one import its standard code, remembering the codes
    already given (two groups never get one code)."""

    def __init__(
        self,
        level: str,
        *,
        code_map: Mapping[str, str],
        by_name: bool,
        stored_by_source: Mapping[tuple[str, str], str],
        stored_codes: Collection[str],
    ) -> None:
        self.level = level
        self.code_map = code_map
        self.by_name = by_name
        self.stored_by_source = stored_by_source  # (parent, source code) -> stored code
        self.stored_codes = set(stored_codes)  # codes stored at this level (involved parents)
        self.given: dict[str, str] = {}  # code -> the source code it was given to

    def resolve(self, source: str, name: str, parent: str | None) -> tuple[str, str]:
        """(standard code, how it was found) for a group, or ``CodeRefused``."""
        level = self.level
        if looks_standard(source):
            check_standard(level, source, parent)
            return self._take(source, source), STANDARD
        if source in self.code_map:
            code = self.code_map[source].strip()
            check_standard(level, code, parent)
            return self._take(code, source), BY_FILE
        kept = self.stored_by_source.get((parent or "", source))
        if kept is not None:
            return self._take(kept, source), REUSED
        if self.by_name and level != "grid":
            found = _by_name(level, name, parent)
            if found is not None:
                check_standard(level, found, parent)
                return self._take(found, source), BY_NAME
        if level == "grid" or (self.by_name and level == "community" and parent):
            return self._take(self._generate(source, parent or ""), source), GENERATED
        raise CodeRefused(
            "code",
            _(
                "code %(code)s is not a standard %(level)s code (%(n)d digits): give a code "
                "map (source_code,standard_code) or map the codes by name."
            )
            % {
                "code": source,
                "level": level_label(level),
                "n": areacodes.LEVEL_CODE_LENGTH[level],
            },
        )

    def _take(self, code: str, source: str) -> str:
        other = self.given.get(code)
        if other is not None and other != source:
            raise CodeRefused(
                "duplicate_code",
                _("code %(code)s is already given to source code %(other)s in this file.")
                % {"code": code, "other": other},
            )
        self.given[code] = source
        return code

    def _free(self, code: str) -> bool:
        return code not in self.given and code not in self.stored_codes

    def _generate(self, source: str, parent: str) -> str:
        if self.level == "grid":
            serials: list[int] = []
            trailing = _TRAILING_NUMBER.search(source)
            if trailing and 1 <= int(trailing.group(1)) <= 899:
                serials.append(int(trailing.group(1)))
            serials.extend(GRID_SERIALS)
        else:
            listed = {d.code for d in divisions.children(parent)}
            serials = [s for s in GENERATED_COMMUNITY_SERIALS if f"{parent}{s:03d}" not in listed]
        for serial in serials:
            code = f"{parent}{serial:03d}"
            if self._free(code):
                return code
        raise CodeRefused(
            "code",
            _("no free code is left under %(parent)s for %(code)s.")
            % {"parent": parent, "code": source},
        )


def _by_name(level: str, name: str, parent: str | None) -> str | None:
    if not name:
        return None
    if level == "city":
        wanted = divisions.normalise_name(name)
        for division in divisions.all_divisions():
            if division.level == "city" and divisions.normalise_name(division.name) == wanted:
                return division.code
        return None
    if parent is None:
        return None
    found = divisions.find_child(parent, name)
    return found.code if found is not None else None
