"""The areas of the Xiacheng demo, as import records (the shape
``layers.area_import.AreaFeature`` takes): city, 13 districts, the 8 streets of 下城区
(330103), its communities and grid cells.

Two sources, one vintage (2020 statistical division codes, before Hangzhou's 2021
re-division, from :mod:`layers.divisions`):

* **real** (:func:`real`): the boundary files of the shared data directory
  (``settings.SHARED_DATA_DIR``; read there, never copied): the DataV districts
  (``hangzhou_admin/330100_full.json``, GCJ-02, converted to CGCS2000) and the Xiacheng
  street, community and grid polygons (``hangzhou_xiacheng_community/``, WGS-84-like,
  taken as CGCS2000). The source's own codes (``SQ``, ``SQ-3``, ``SQ-3-2``) are mapped to
  standard ones by name and kept in ``source_code``; features sharing a code are merged.
* **fallback** (:func:`fallback`): the divisions' names and codes on generated boundaries
  (Voronoi partitions, :mod:`layers.demo_geometry`), with 下城区 roughly where it is.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from gis_app import coords
from layers import demo_geometry, divisions
from layers.demo_profile import ENGLISH_NAMES, XIACHENG

DISTRICTS_FILE = "hangzhou_admin/330100_full.json"
XIACHENG_DIR = "hangzhou_xiacheng_community"
STREETS_FILE = f"{XIACHENG_DIR}/xiacheng_streets.geojson"
COMMUNITIES_FILE = f"{XIACHENG_DIR}/xiacheng_communities.geojson"
GRIDS_FILE = f"{XIACHENG_DIR}/xiacheng_grids.geojson"
REQUIRED_FILES = (DISTRICTS_FILE, STREETS_FILE, COMMUNITIES_FILE, GRIDS_FILE)

CITY = "330100"
# The "outside the grid" remainder of 文晖街道 (a campus and a railway station): not a
# residents' committee, so not in the statistical list; it gets a local code.
REMAINDER_SUFFIX = "999"
REMAINDER_NAME = "外网格区域"
LEVELS = ("city", "district", "street", "community", "grid")


@dataclass
class AreaRecord:
    """One area to store: the fields of ``layers.area_import.AreaFeature`` plus its level."""

    level: str
    row: int
    code: str
    name: str
    parent: str | None
    geometry: BaseGeometry  # (Multi)Polygon, EPSG:4490
    source_code: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def name_en(self) -> str:
        return ENGLISH_NAMES.get(self.name, "")


def missing_files(data_dir: Path) -> list[str]:
    """The boundary files the real demo needs that ``data_dir`` lacks."""
    return [name for name in REQUIRED_FILES if not (data_dir / name).is_file()]


def _multi(geom: BaseGeometry) -> MultiPolygon:
    return demo_geometry.as_multi(shapely.set_precision(geom, demo_geometry.PRECISION))


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        features: list[dict[str, Any]] = json.load(handle)["features"]
    return features


def _merged(rows: list[tuple[int, dict[str, Any]]]) -> BaseGeometry:
    """The union of features sharing one code (multi-part areas), repaired if needed."""
    parts = [shapely.make_valid(shape(feature["geometry"])) for _row, feature in rows]
    return shapely.union_all(parts)


def real(data_dir: Path) -> list[AreaRecord]:
    """The real areas from the files in ``data_dir`` (see the module docstring)."""
    records: list[AreaRecord] = []
    districts = []
    for row, feature in enumerate(_read(data_dir / DISTRICTS_FILE), start=1):
        props = feature["properties"]
        code = str(props["adcode"])
        division = divisions.get(code)
        geom = coords.transform_geometry(shape(feature["geometry"]), coords.GCJ02)
        districts.append(
            AreaRecord(
                "district",
                row,
                code,
                division.name if division else props["name"],
                CITY,
                _multi(shapely.make_valid(geom)),
                code,
            )
        )
    city = shapely.union_all([d.geometry for d in districts])
    records.append(AreaRecord("city", 1, CITY, "杭州市", None, _multi(city), CITY))
    records += districts

    street_codes: dict[str, str] = {}
    for row, feature in enumerate(_read(data_dir / STREETS_FILE), start=1):
        props = feature["properties"]
        division = divisions.find_child(XIACHENG.district, props["街道"])
        if division is None:
            raise ValueError(f"{STREETS_FILE} row {row}: unknown street {props['街道']!r}")
        street_codes[props["街道编码"]] = division.code
        records.append(
            AreaRecord(
                "street",
                row,
                division.code,
                division.name,
                XIACHENG.district,
                _multi(shapely.make_valid(shape(feature["geometry"]))),
                props["街道编码"],
            )
        )

    by_code: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for row, feature in enumerate(_read(data_dir / COMMUNITIES_FILE), start=1):
        by_code[feature["properties"]["社区编码"]].append((row, feature))
    community_codes: dict[str, str] = {}
    source_names: dict[str, tuple[str, str]] = {}
    for source_code, rows in by_code.items():
        props = rows[0][1]["properties"]
        source_names[source_code] = (props["街道"], props["社区"])
        street = street_codes[props["街道编码"]]
        division = divisions.find_child(street, props["社区"])
        if division is not None:
            code, name = division.code, division.name
        elif props["社区"] == REMAINDER_NAME:
            code = street + REMAINDER_SUFFIX
            name = f"{props['街道']}{REMAINDER_NAME}"
        else:
            raise ValueError(f"{COMMUNITIES_FILE}: {props['社区']!r} matches no community")
        community_codes[source_code] = code
        records.append(
            AreaRecord(
                "community",
                rows[0][0],
                code,
                name,
                street,
                _multi(_merged(rows)),
                source_code,
                {"source_rows": [r for r, _f in rows], "statistical": division is not None},
            )
        )

    grids: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for row, feature in enumerate(_read(data_dir / GRIDS_FILE), start=1):
        grids[feature["properties"]["网格编号"]].append((row, feature))
    for source_code, rows in sorted(grids.items(), key=lambda kv: _grid_key(kv[0])):
        community_source, number = source_code.rsplit("-", 1)
        community = community_codes[community_source]
        label = rows[0][1]["properties"]["所属组织"]
        records.append(
            AreaRecord(
                "grid",
                rows[0][0],
                f"{community}{int(number):03d}",
                _grid_name(label, *source_names[community_source]),
                community,
                _multi(_merged(rows)),
                source_code,
                {"source_rows": [r for r, _f in rows]},
            )
        )
    return records


def _grid_key(source_code: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in source_code.split("-"))


def _grid_name(label: str, street: str, community: str) -> str:
    """石桥街道华丰社区华丰社区第二网格 -> 华丰社区第二网格: the street's name and the repeated
    community name dropped."""
    text = label.removeprefix(street)
    if community and text.startswith(community * 2):
        text = text[len(community) :]
    return text or label


# --- fallback: generated boundaries --------------------------------------------------------

# A rough outline of Hangzhou (lon/lat) and approximate centres of its districts, drawn
# for the demo: the partition puts each district near where it is, nothing more.
CITY_OUTLINE = [
    (118.35, 29.75),
    (118.75, 30.30),
    (119.25, 30.55),
    (119.75, 30.45),
    (120.05, 30.57),
    (120.40, 30.45),
    (120.72, 30.28),
    (120.60, 30.00),
    (120.30, 29.95),
    (120.05, 29.80),
    (119.75, 29.40),
    (119.30, 29.20),
    (118.80, 29.35),
]
DISTRICT_CENTRES = {
    "330102": (120.175, 30.245),
    "330103": (120.180, 30.300),
    "330104": (120.250, 30.300),
    "330105": (120.135, 30.335),
    "330106": (120.080, 30.250),
    "330108": (120.200, 30.190),
    "330109": (120.380, 30.130),
    "330110": (120.000, 30.420),
    "330111": (119.900, 30.000),
    "330112": (119.450, 30.220),
    "330122": (119.620, 29.800),
    "330127": (118.900, 29.600),
    "330182": (119.350, 29.450),
}
GRIDS_PER_COMMUNITY = 4


def _voronoi(region: MultiPolygon, seeds: list[Point]) -> list[MultiPolygon]:
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=region.envelope.buffer(1))
    result = []
    for seed in seeds:
        cell = next(c for c in cells.geoms if c.covers(seed))
        result.append(_multi(cell.intersection(region)))
    return result


def fallback() -> list[AreaRecord]:
    """The divisions' names and codes of the city, its districts, 下城区's streets and
    communities, on generated boundaries; four generated grid cells per community."""
    rng = random.Random(20200101)  # noqa: S311 (fixed seed: the same demo every time)
    # Short edges (~1 km): children keep their parent's edges in any projection.
    city = _multi(shapely.segmentize(Polygon(CITY_OUTLINE), 0.01))
    records = [AreaRecord("city", 1, CITY, "杭州市", None, city)]
    district_divisions = divisions.children(CITY)
    seeds = [Point(DISTRICT_CENTRES[d.code]) for d in district_divisions]
    for row, (division, cell) in enumerate(
        zip(district_divisions, _voronoi(city, seeds), strict=True), start=1
    ):
        records.append(AreaRecord("district", row, division.code, division.name, CITY, cell))
    district = next(r.geometry for r in records if r.code == XIACHENG.district)
    streets = divisions.children(XIACHENG.district)
    for row, (street, street_shape) in enumerate(
        zip(streets, demo_geometry.partition(rng, district, len(streets)), strict=True), start=1
    ):
        records.append(
            AreaRecord("street", row, street.code, street.name, XIACHENG.district, street_shape)
        )
        communities = divisions.children(street.code)
        shapes = demo_geometry.partition(rng, street_shape, len(communities))
        for community, community_shape in zip(communities, shapes, strict=True):
            records.append(
                AreaRecord(
                    "community", row, community.code, community.name, street.code, community_shape
                )
            )
            grid_shapes = demo_geometry.partition(rng, community_shape, GRIDS_PER_COMMUNITY)
            for j, grid_shape in enumerate(grid_shapes, start=1):
                records.append(
                    AreaRecord(
                        "grid",
                        row,
                        f"{community.code}{j:03d}",
                        f"{community.name}第{j}网格",
                        community.code,
                        grid_shape,
                    )
                )
    return records
