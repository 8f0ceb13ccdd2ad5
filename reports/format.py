"""How figures are shown to people (PDF, page): shares as percentages, numbers rounded."""

from __future__ import annotations

from typing import Any


def display(value: Any, kind: str) -> str:
    """A value as text: ``None`` -> an en dash, shares as ``12.3%``, numbers with two
    decimals (thousands separated), integers as they are."""
    if value is None:
        return "–"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "number":
        return f"{value:,.2f}"
    if kind == "integer":
        return f"{int(value):,}"
    return str(value)
