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


def edge(value: float, kind: str) -> str:
    """A class break as the legend shows it: rounded breaks without trailing zeros
    (``25%``, ``1,200``, ``0.5``)."""
    if kind == "share":
        return f"{_plain(value * 100)}%"
    return _plain(value)


def _plain(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def class_label(low: float, high: float, kind: str, last: bool) -> str:
    """The range of a class: integers as ``1–4`` (or ``5``), other figures as
    ``0.5 – 1`` (a value equal to the upper edge belongs to the next class)."""
    if kind == "integer":
        top = high if last else high - 1
        return edge(low, kind) if top <= low else f"{edge(low, kind)}–{edge(top, kind)}"
    return f"{edge(low, kind)} – {edge(high, kind)}"
