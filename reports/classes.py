"""Class breaks of a choropleth: natural breaks (Jenks), quantiles or equal intervals.

Equal intervals put skewed figures (a few dense town-centre communities, many thin ones) in
one colour. Natural breaks (Fisher's exact optimisation of Jenks' goodness of variance fit)
group values that are close and split where the data has gaps; quantiles give each class
about as many areas. ``classify`` picks one and rounds each break to the roundest number
that separates the same areas (a break between 3.2 and 7.9 becomes 5, not 3.2000001), so the
legend reads in plain numbers; every class lists how many areas it holds.

A value ``v`` is in class ``i`` when ``breaks[i] <= v < breaks[i + 1]``; the last class also
holds its upper edge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

import numpy as np

JENKS, QUANTILE, EQUAL = "jenks", "quantile", "equal"
METHODS = (JENKS, QUANTILE, EQUAL)
AUTO = "auto"
MAX_CLASSES = 5
# Exact Jenks is O(k n^2): above this many distinct values it runs on a sample of quantiles.
JENKS_MAX_VALUES = 1500
# Sequential yellow-orange-red colours (ColorBrewer YlOrRd) for 1 to 5 classes.
COLOURS: dict[int, tuple[str, ...]] = {
    1: ("#fd8d3c",),
    2: ("#fecc5c", "#e31a1c"),
    3: ("#ffeda0", "#feb24c", "#f03b20"),
    4: ("#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"),
    5: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
}
NO_DATA = "#d0d7de"


@dataclass(frozen=True)
class Classes:
    """The classes of one mapped column: rounded breaks, colours and areas per class."""

    method: str
    breaks: list[float]  # k + 1 edges, ascending
    counts: list[int]  # areas per class
    no_data: int  # areas without a value
    colours: list[str]

    def index(self, value: float | None) -> int | None:
        """The class of ``value`` (None for no value)."""
        if value is None:
            return None
        for i in range(len(self.counts) - 1, 0, -1):
            if value >= self.breaks[i]:
                return i
        return 0

    def colour(self, value: float | None) -> str:
        i = self.index(value)
        return NO_DATA if i is None else self.colours[i]

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "breaks": self.breaks,
            "counts": self.counts,
            "no_data": self.no_data,
            "colours": self.colours,
        }


def jenks_groups(values: Sequence[float], k: int) -> list[list[float]]:
    """Fisher's optimal partition of the sorted ``values`` into ``k`` contiguous groups
    with the least total squared deviation from the group means (natural breaks)."""
    data = np.sort(np.asarray(values, dtype=float))
    n = len(data)
    k = max(1, min(k, n))
    s1 = np.concatenate([[0.0], np.cumsum(data)])
    s2 = np.concatenate([[0.0], np.cumsum(data * data)])

    def ssd(start: np.ndarray, end: int) -> np.ndarray:
        # squared deviation of data[start:end] for every start (end exclusive)
        count = end - start
        total = s1[end] - s1[start]
        return (s2[end] - s2[start]) - total * total / count

    # cost[j][i]: the least deviation of data[:i] in j + 1 groups; first[j][i]: where the
    # last of those groups starts.
    cost = np.full((k, n + 1), np.inf)
    first = np.zeros((k, n + 1), dtype=int)
    ends = np.arange(1, n + 1)
    cost[0, 1:] = [ssd(np.array([0]), int(e))[0] for e in ends]
    for j in range(1, k):
        for end in range(j + 1, n + 1):
            starts = np.arange(j, end)
            total = cost[j - 1, starts] + ssd(starts, end)
            best = int(np.argmin(total))
            cost[j, end] = total[best]
            first[j, end] = starts[best]
    groups: list[list[float]] = []
    end = n
    for j in range(k - 1, -1, -1):
        start = int(first[j, end]) if j else 0
        groups.append(list(data[start:end]))
        end = start
    return list(reversed(groups))


def quantile_groups(values: Sequence[float], k: int) -> list[list[float]]:
    """The sorted ``values`` in ``k`` groups of about equal size; equal values never
    straddle two groups (a group may so come out larger, and fewer groups result)."""
    data = sorted(float(v) for v in values)
    n = len(data)
    groups: list[list[float]] = []
    start = 0
    for i in range(1, k + 1):
        end = round(i * n / k)
        while 0 < end < n and data[end] == data[end - 1]:
            end += 1
        if end > start:
            groups.append(data[start:end])
            start = end
    return groups


def _roundest_between(low: float, high: float) -> float:
    """The number with the fewest significant digits in ``(low, high]`` (decimal
    arithmetic, so that 0.95 is 0.95 and not 0.9500000000000001)."""
    if high <= low:
        return high
    lo, hi = Decimal(repr(float(low))), Decimal(repr(float(high)))
    top = max(abs(low), abs(high))
    exponent = math.floor(math.log10(top)) + 1 if top > 0 else 0
    for e in range(exponent, exponent - 16, -1):
        unit = Decimal(1).scaleb(e)
        for step in (unit, unit / 2, unit / 5):
            candidate = ((lo / step).to_integral_value(rounding=ROUND_FLOOR) + 1) * step
            if candidate <= hi:
                return float(candidate)
    return high


def _step_of(number: float) -> float:
    """The place of ``number``'s last significant digit (5 -> 1, 0.25 -> 0.01)."""
    text = f"{abs(number):.12g}"
    if "e" in text:
        return 10.0 ** int(text.split("e")[1])
    if "." in text:
        return 10.0 ** -len(text.split(".")[1])
    digits = text.rstrip("0")
    return 10.0 ** (len(text) - len(digits)) if digits else 1.0


def _outer(low: float, high: float, inner: list[float], share: bool) -> tuple[float, float]:
    """The lowest and highest edges: the data's extremes rounded out to the precision of
    the inner breaks (shares start at 0 when nothing is below)."""
    if inner:
        step = min(_step_of(b) for b in inner if b != 0) if any(inner) else 1.0
    else:
        span = high - low or abs(high) or 1.0
        step = 10.0 ** math.floor(math.log10(span))
    floor = math.floor(low / step + 1e-9) * step
    ceil = math.ceil(high / step - 1e-9) * step
    if share or low >= 0:
        floor = max(0.0, floor)
    return float(f"{floor:.12g}"), float(f"{ceil:.12g}")


def _from_groups(groups: list[list[float]]) -> list[float]:
    return [_roundest_between(max(a), min(b)) for a, b in zip(groups, groups[1:], strict=False)]


def _largest_share(groups: list[list[float]]) -> float:
    return max(len(g) for g in groups) / sum(len(g) for g in groups)


def classify(
    values: Sequence[float | None],
    method: str = AUTO,
    k: int = MAX_CLASSES,
    share: bool = False,
) -> Classes | None:
    """The classes of ``values`` (None: no data) by ``method`` (``jenks``, ``quantile``,
    ``equal``, or ``auto``), at most ``k`` classes, never more than the distinct values nor
    half the values; None when no value is known. ``auto`` takes natural breaks unless they
    leave more than half of the areas in one class (very skewed figures): then quantiles."""
    known = [float(v) for v in values if v is not None]
    if not known:
        return None
    chosen = JENKS if method == AUTO else method
    distinct = sorted(set(known))
    # never more classes than distinct values, nor than half the areas (six streets in
    # five classes would say nothing a table does not)
    k = max(1, min(k, len(distinct), max(2, len(known) // 2)))
    if chosen == EQUAL:
        low, high = min(known), max(known)
        raw = [low + (high - low) * i / k for i in range(1, k)]
        step = 10.0 ** (math.floor(math.log10((high - low) / k)) if high > low else 0)
        inner = [float(f"{round(b / step) * step:.12g}") for b in raw]
        inner = sorted(set(b for b in inner if low < b <= high))
    else:
        if chosen == JENKS:
            sample = known
            if len(distinct) > JENKS_MAX_VALUES:
                sample = list(np.quantile(known, np.linspace(0, 1, JENKS_MAX_VALUES)))
            groups = jenks_groups(sample, k)
            if method == AUTO and len(known) >= 2 * k and _largest_share(groups) > 0.5:
                even = quantile_groups(known, k)
                if len(even) >= len(groups):
                    chosen, groups = QUANTILE, even
        else:
            groups = quantile_groups(known, k)
        inner = _from_groups([g for g in groups if g])
    low, high = _outer(min(known), max(known), inner, share)
    breaks = [low, *inner, high]
    colours = list(COLOURS[len(breaks) - 1])
    result = Classes(chosen, breaks, [0] * (len(breaks) - 1), len(values) - len(known), colours)
    counts = [0] * len(result.counts)
    for value in known:
        counts[result.index(value) or 0] += 1
    return Classes(chosen, breaks, counts, result.no_data, colours)
