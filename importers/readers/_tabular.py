"""Tables with coordinates in columns (CSV, XLSX): finding the columns, building the batches.

Column detection, unless ``ReadOptions`` names the columns (``lon_field`` + ``lat_field``, or
``wkt_field``):

* longitude: lon, lng, long, longitude, x, 经度 (东经); latitude: lat, latitude, y, 纬度 (北纬).
  A name matches exactly (``lng``), or as such a word plus qualifiers only (``lng_bd09``,
  ``POINT_X``, ``baiduX``, ``经度(百度)``), or, weakest, as a word among others
  (``station_lng``; not for the short x/y/long). The strongest match wins; two columns
  matching equally strongly is an error that lists them.
* a geometry column: wkt, geometry, geom, the_geom, shape, wkt_geom, 几何, holding WKT,
  hex WKB or a GeoJSON geometry object, cell by cell.

Lon/lat wins over a geometry column. Names never set the CRS, but a qualifier such as
bd09/gcj02/wgs84/cgcs2000 becomes ``SourceInfo.crs_suggestion``.

Per-row errors (``Batch.errors``) name the column: an empty cell, text that is not a number,
NaN or infinity, unreadable WKT. Range checks (e.g. a longitude of 1120.17) are left to the
pipeline: the value is read as the number it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import shapely

from ._gdal import force_2d
from .base import Batch, ImportFileError, ReadOptions

LON_WORDS: Final = frozenset({"lon", "lng", "long", "longitude", "x", "经度", "东经"})
LAT_WORDS: Final = frozenset({"lat", "latitude", "y", "纬度", "北纬"})
_WEAK_ONLY: Final = frozenset({"x", "y", "long"})  # too short to trust among other words
GEOMETRY_NAMES: Final = frozenset(
    {"wkt", "geometry", "geom", "the_geom", "shape", "wkt_geom", "wkt_geometry", "几何"}
)
_QUALIFIERS: Final = frozenset(
    {
        "point", "coord", "coords", "coordinate", "center", "centre", "centroid", "deg",
        "degree", "degrees", "dd", "decimal", "geo", "gps", "wgs", "wgs84", "bd", "bd09",
        "gcj", "gcj02", "cgcs", "cgcs2000", "baidu", "gaode", "amap", "tencent", "qq",
        "mars", "google", "坐标", "百度", "高德", "腾讯", "火星", "中心", "wgs84坐标",
    }
)  # fmt: skip
_SUGGESTIONS: Final = (
    (("bd09", "bd-09", "baidu", "百度"), "BD09"),
    (("gcj02", "gcj-02", "gcj", "gaode", "amap", "高德", "tencent", "腾讯", "火星"), "GCJ02"),
    (("cgcs2000", "cgcs", "国家2000"), "EPSG:4490"),
    (("wgs84", "wgs-84", "gps"), "EPSG:4326"),
)
_TOKEN_RE: Final = re.compile(r"[a-z]+|\d+|[\u3400-\u9fff]+")


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name.strip()).lower()
    tokens = _TOKEN_RE.findall(spaced)
    # keep "bd09", "gcj02", "wgs84" together: a word directly followed by its digits
    merged: list[str] = []
    for token in tokens:
        if token.isdigit() and merged and (merged[-1] + token) in _QUALIFIERS:
            merged[-1] += token
        else:
            merged.append(token)
    return merged


def _is_word(token: str, words: frozenset[str]) -> bool:
    # Chinese has no word separators: "百度经度" is one token that contains 经度.
    return token in words or any(not w.isascii() and w in token for w in words)


def _score(name: str, words: frozenset[str]) -> int:
    """3 exact, 2 word + qualifiers, 1 word among others, 0 no match."""
    lowered = name.strip().lower()
    if lowered in words:
        return 3
    tokens = _tokens(name)
    hits = [t for t in tokens if _is_word(t, words)]
    if len(hits) != 1:
        return 0
    others = [t for t in tokens if t not in hits and not t.isdigit()]
    if all(t in _QUALIFIERS for t in others):
        return 2
    return 0 if hits[0] in _WEAK_ONLY else 1


def _best(header: Sequence[str], words: frozenset[str]) -> list[str]:
    scores = {name: _score(name, words) for name in header}
    top = max(scores.values(), default=0)
    return [name for name, score in scores.items() if top and score == top]


def suggest_crs(names: Sequence[str]) -> str | None:
    for name in names:
        compact = name.lower().replace("_", "").replace(" ", "")
        for needles, crs in _SUGGESTIONS:
            if any(needle.replace("-", "") in compact for needle in needles):
                return crs
    return None


@dataclass
class CoordinateColumns:
    lon: str | None = None
    lat: str | None = None
    wkt: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [n for n in (self.lon, self.lat, self.wkt) if n]


def _named(header: Sequence[str], wanted: str, option: str) -> str:
    if wanted in header:
        return wanted
    folded = [name for name in header if name.strip().lower() == wanted.strip().lower()]
    if len(folded) == 1:
        return folded[0]
    raise ImportFileError(
        f"There is no column {wanted!r} (given as {option}); the columns are: "
        + ", ".join(repr(n) for n in header),
        field=option,
    )


def find_columns(header: Sequence[str], options: ReadOptions) -> CoordinateColumns:
    """The coordinate columns (see the module docstring); ImportFileError when unclear."""
    if options.wkt_field:
        return CoordinateColumns(wkt=_named(header, options.wkt_field, "wkt_field"))
    if options.lon_field or options.lat_field:
        if not (options.lon_field and options.lat_field):
            raise ImportFileError(
                "Give both lon_field and lat_field (or wkt_field).",
                field="lon_field" if not options.lon_field else "lat_field",
            )
        return CoordinateColumns(
            lon=_named(header, options.lon_field, "lon_field"),
            lat=_named(header, options.lat_field, "lat_field"),
        )
    lons, lats = _best(header, LON_WORDS), _best(header, LAT_WORDS)
    for found, axis, option in ((lons, "longitude", "lon_field"), (lats, "latitude", "lat_field")):
        if len(found) > 1:
            raise ImportFileError(
                f"Several columns could hold the {axis}: "
                + ", ".join(repr(n) for n in found)
                + f"; choose one with {option} (and the other axis with "
                + ("lat_field" if option == "lon_field" else "lon_field")
                + ").",
                field=option,
            )
    if lons and lats and lons[0] != lats[0]:
        return CoordinateColumns(lon=lons[0], lat=lats[0])
    geometry = [name for name in header if name.strip().lower() in GEOMETRY_NAMES]
    if len(geometry) == 1:
        return CoordinateColumns(wkt=geometry[0])
    if lons or lats:
        have = lons[0] if lons else lats[0]
        missing = "latitude" if lons else "longitude"
        raise ImportFileError(
            f"Found the column {have!r} but no {missing} column; name both with "
            "lon_field and lat_field.",
            field="lat_field" if lons else "lon_field",
        )
    raise ImportFileError(
        "No coordinate columns found (looked for lon/lng/longitude/x/经度 with "
        "lat/latitude/y/纬度, or a WKT column); the columns are: "
        + ", ".join(repr(n) for n in header)
        + ". Name them with lon_field and lat_field, or wkt_field.",
        field="lon_field",
    )


def unique_header(raw: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Column names with blanks named ``column_N`` and duplicates suffixed; plus notes."""
    names: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for index, value in enumerate(raw, start=1):
        name = "" if value is None else str(value).strip()
        if not name:
            name = f"column_{index}"
        if name in seen:
            base, n = name, 2
            while f"{base}_{n}" in seen:
                n += 1
            notes.append(f"Column {index} repeats the name {base!r}; renamed {base}_{n}.")
            name = f"{base}_{n}"
        seen.add(name)
        names.append(name)
    return names, notes


def parse_number(value: Any) -> float:
    """A finite float from a cell; ValueError with a message for the user otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("empty")
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"not a number: {value.strip()[:40]!r}") from None
    else:
        raise ValueError(f"not a number: {str(value)[:40]!r}")
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


_HEX_RE: Final = re.compile(r"(?:00|01)[0-9A-Fa-f]+")


def _parse_geometry(text: str) -> Any:
    text = text.strip()
    if text.startswith("{"):
        return shapely.from_geojson(text)
    if len(text) % 2 == 0 and _HEX_RE.fullmatch(text):
        return shapely.from_wkb(text)
    return shapely.from_wkt(text)


def parse_numbers(cells: Sequence[Any]) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Floats for a column of cells (NaN where unusable) and (index, message) of the bad ones.

    Vectorised when every cell converts; cell by cell (for the messages) otherwise.
    """
    try:
        if any(isinstance(cell, bool) for cell in cells):
            raise TypeError("booleans are not coordinates")
        numbers = np.asarray(cells, dtype=np.float64)
    except (TypeError, ValueError):
        numbers = np.full(len(cells), np.nan)
        bad: list[tuple[int, str]] = []
        for i, cell in enumerate(cells):
            try:
                numbers[i] = parse_number(cell)
            except ValueError as exc:
                bad.append((i, str(exc)))
        return numbers, bad
    messages = []
    for index in np.flatnonzero(~np.isfinite(numbers)):
        try:
            parse_number(cells[int(index)])
        except ValueError as exc:
            messages.append((int(index), str(exc)))
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers, messages


class RowCollector:
    """Accumulates rows, then builds a :class:`Batch` (points or geometries vectorised)."""

    def __init__(self, header: list[str], coords: CoordinateColumns) -> None:
        self.header = header
        self.width = len(header)
        self.coords = coords
        self.index = {name: i for i, name in enumerate(header)}
        self.clear()

    def clear(self) -> None:
        self.rows: list[int] = []
        self.values: list[Sequence[Any]] = []
        self.errors: dict[int, tuple[str, str]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: int, values: Sequence[Any], error: tuple[str, str] | None = None) -> None:
        """One row; values beyond the header are dropped, missing ones become None."""
        if len(values) != self.width:
            values = (list(values) + [None] * self.width)[: self.width]
        self.rows.append(row)
        self.values.append(values)
        if error is not None:
            self.errors[row] = error

    def batch(self) -> Batch:
        count = len(self.rows)
        errors = dict(self.errors)
        values = self.values
        columns = {name: [row[i] for row in values] for i, name in enumerate(self.header)}
        if self.coords.wkt:
            geometries = self._geometries(columns[self.coords.wkt], errors)
        else:
            geometries = self._points(columns, errors)
        rows = np.asarray(self.rows, dtype=np.int64)
        start = int(rows[0]) if count else 1
        consecutive = count == 0 or int(rows[-1]) - start == count - 1
        return Batch(
            start=start,
            geometries=geometries,
            columns=columns,
            errors=errors,
            rows=None if consecutive else rows,
        )

    def _points(
        self, columns: dict[str, list[Any]], errors: dict[int, tuple[str, str]]
    ) -> np.ndarray:
        lon, lat = self.coords.lon, self.coords.lat
        assert lon and lat
        x, x_bad = parse_numbers(columns[lon])
        y, y_bad = parse_numbers(columns[lat])
        problems: dict[int, list[tuple[str, str]]] = {}
        for name, bad in ((lon, x_bad), (lat, y_bad)):
            for i, message in bad:
                problems.setdefault(i, []).append((name, message))
        for i, found in problems.items():
            name, message = found[0]
            if len(found) == 2:
                message = f"{message}; {found[1][0]}: {found[1][1]}"
            errors.setdefault(self.rows[i], (name, message))
        geometries = np.asarray(shapely.points(x, y), dtype=object)
        geometries[np.isnan(x) | np.isnan(y)] = None
        return geometries

    def _geometries(self, cells: list[Any], errors: dict[int, tuple[str, str]]) -> np.ndarray:
        name = self.coords.wkt
        assert name
        geometries = np.full(len(cells), None, dtype=object)
        texts: list[str] = []
        where: list[int] = []
        for i, cell in enumerate(cells):
            if cell is None or not str(cell).strip():
                errors.setdefault(self.rows[i], (name, "empty"))
                continue
            texts.append(str(cell))
            where.append(i)
        if not texts:
            return geometries
        try:
            if any(t.lstrip().startswith("{") or _HEX_RE.fullmatch(t) for t in texts):
                raise ValueError("GeoJSON or WKB cells: parse cell by cell")
            geometries[where] = shapely.from_wkt(np.asarray(texts, dtype=object))
        except (shapely.errors.GEOSException, ValueError, TypeError):
            for i, text in zip(where, texts, strict=True):
                try:
                    geometries[i] = _parse_geometry(text)
                except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
                    errors.setdefault(self.rows[i], (name, f"unreadable geometry: {exc}"))
        return force_2d(geometries)
