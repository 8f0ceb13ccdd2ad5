"""Administrative division codes (GB/T 2260 and the statistical division codes).

city and district: 6 digits (a city ends in "00"); street: 9; community: 12;
grid cell (GB/T 30428): community code + 3 digits = 15. The hierarchy is by code prefix.
"""

import re

from django.utils.translation import gettext_lazy as _

LEVEL_CODE_LENGTH = {"city": 6, "district": 6, "street": 9, "community": 12, "grid": 15}
LEVEL_LABELS = {
    "city": _("City"),
    "district": _("District"),
    "street": _("Street"),
    "community": _("Community"),
    "grid": _("Grid cell"),
}
_DIGITS = re.compile(r"^\d+$")


def level_of(code: str) -> str:
    """Level implied by a code, or ValueError when the code is malformed."""
    if not _DIGITS.match(code or ""):
        raise ValueError(f"area code must be digits only: {code!r}")
    match len(code):
        case 6:
            if code.endswith("0000"):
                raise ValueError(f"{code} is a province code; the platform starts at city level")
            return "city" if code.endswith("00") else "district"
        case 9:
            return "street"
        case 12:
            return "community"
        case 15:
            return "grid"
    raise ValueError(f"area code must have 6, 9, 12 or 15 digits: {code!r}")


def prefix_of(code: str) -> str:
    """The prefix shared by the code and all its descendants (330100 -> 3301)."""
    return code[:4] if level_of(code) == "city" else code


def ancestors_of(code: str) -> list[str]:
    """Codes of the enclosing areas, outermost first (a community -> city, district, street)."""
    level = level_of(code)
    chain = []
    if level != "city":
        chain.append(code[:4] + "00")
    if level in {"street", "community", "grid"}:
        chain.append(code[:6])
    if level in {"community", "grid"}:
        chain.append(code[:9])
    if level == "grid":
        chain.append(code[:12])
    return chain


def contains(outer: str, inner: str) -> bool:
    """True when area `inner` is `outer` or lies inside it."""
    return inner.startswith(prefix_of(outer))
