"""Real components of the Xiacheng demo: the public toilets, public bike stations and bus
stops (753 points) of ``hangzhou_xiacheng_community/xiacheng_public_facilities.geojson``,
plus its manhole covers and trash bins, read from the shared data directory (never copied).

Positions and types are real; the file's attributes are placeholders (every toilet
"公厕_001 / 8:00-20:00 / 免费", every bike station "20 spaces"), so names, addresses and
class attributes are generated here, plausibly and varied (seeded), and the component says
so: ``data_source`` is ``generated`` and its notes name what is real (position and type,
with the source row) and what was generated. The few real attribute values (a manhole
cover's network and material, a bin's sorting) are kept. ``source_name``/``source_row``
record the file and row.

The points are taken as CGCS2000: the file's layers are WGS-84-like (SOURCES.md), and
WGS 84 and CGCS2000 differ by centimetres here.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from component_catalog import demo
from component_catalog.models import Component, DataSource
from layers.demo_geometry import Frame
from layers.demo_profile import XIACHENG, Profile
from layers.models import AdminArea, AreaLevel

SEED = 20190228
DIR = "hangzhou_xiacheng_community"
FACILITIES = f"{DIR}/xiacheng_public_facilities.geojson"
MANHOLES = f"{DIR}/xiacheng_manhole_covers.geojson"
BINS = f"{DIR}/xiacheng_trash_bins.geojson"
ROADS = f"{DIR}/xiacheng_main_roads.geojson"

ELEVATED = ("高架", "快速路")
# Classes whose objects share names (bins, covers).
SHARED_NAMES = ("0305", "0102", "0105", "0107")
MANHOLE_NAMES = {"0102": "污水井盖", "0105": "电力井盖", "0107": "电信井盖"}
FACILITY_CLASSES = {"公共厕所": "0301", "公共自行车租赁点": "0212", "公交站点": "0203"}
MANHOLE_CLASSES = {"下水道": "0102", "电力": "0105", "通讯": "0107"}
MANHOLE_MATERIALS = {"强化塑料": "复合材料", "铸铁": "铸铁", "球墨铸铁": "球墨铸铁"}
# The classes the demo has real data of: the generators leave them out.
REAL_CLASSES = ("0203", "0212", "0301", "0102", "0105", "0107", "0305")
# Competent department, owner, maintainer of the classes the synthetic demo has none of.
EXTRA_ORGANIZATIONS = {
    "0203": ("XH-CGJ", "HZ-GJ", "HZ-GJ"),
    "0212": ("XH-CGJ", "HZ-GGZXC", "HZ-GGZXC"),
}
# Hangzhou-style route numbers for bus stops (generated: the file's are placeholders).
ROUTE_POOL = [f"{n}路" for n in (*range(1, 100), *range(101, 400, 7))] + [
    "B1",
    "B2",
    "B支1",
    "B支3",
    "K19",
    "K155",
    "夜1路",
    "夜4路",
]
LABEL = {
    "0301": "名称、地址、开放时间、收费、设施等级与无障碍等属性",
    "0212": "名称、地址、车位数与顶棚",
    "0203": "名称、地址与途经线路",
    "0102": "名称、地址、形状、尺寸与井深",
    "0105": "名称、地址、形状、尺寸与井深",
    "0107": "名称、地址、形状、尺寸与井深",
    "0305": "名称、地址、垃圾类别与容量",
}
LABEL_EN = {
    "0301": "name, address, opening hours, fee, grade and accessibility",
    "0212": "name, address, spaces and roof",
    "0203": "name, address and routes",
    "0102": "name, address, shape, size and depth",
    "0105": "name, address, shape, size and depth",
    "0107": "name, address, shape, size and depth",
    "0305": "name, address, waste category and volume",
}


@dataclass
class Source:
    klass: str
    file: str
    row: int
    point: Point
    real: dict[str, Any]  # real attribute values kept
    real_label: str = ""  # what else is real, for the notes


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        features: list[dict[str, Any]] = json.load(handle)["features"]
    return features


def sources(data_dir: Path) -> list[Source]:
    """The real points, in file order, with their class and the real values kept."""
    result = []
    for row, f in enumerate(_read(data_dir / FACILITIES), start=1):
        klass = FACILITY_CLASSES[f["properties"]["类别"]]
        result.append(Source(klass, FACILITIES, row, shape(f["geometry"]), {}))
    for row, f in enumerate(_read(data_dir / MANHOLES), start=1):
        props = f["properties"]
        real = {}
        if props.get("cz") in MANHOLE_MATERIALS:
            real["material"] = MANHOLE_MATERIALS[props["cz"]]
        point = Point(f["geometry"]["coordinates"][:2])  # the z values are placeholders
        result.append(
            Source(MANHOLE_CLASSES[props["lx"]], MANHOLES, row, point, real, "管网类别、材质")
        )
    for row, f in enumerate(_read(data_dir / BINS), start=1):
        props = f["properties"]
        real = {"sorted": props.get("fl") == "是"}
        point = Point(f["geometry"]["coordinates"][:2])
        result.append(Source("0305", BINS, row, point, real, "是否分类"))
    return result


class Places:
    """Names for positions: the nearest real main road and the community around a point."""

    def __init__(self, data_dir: Path, communities: list[AdminArea]) -> None:
        self.roads: list[tuple[str, LineString]] = []
        for f in _read(data_dir / ROADS):
            name = f["properties"]["RNAME"]
            if not name.endswith(ELEVATED):  # nobody's address is on a viaduct
                self.roads.append((name, shape(f["geometry"])))
        self.frame = Frame(120.17, 30.30)
        self.road_tree = STRtree([self.frame.to_m(line) for _n, line in self.roads])
        self.communities = [(a, shapely.from_wkb(bytes(a.boundary.wkb))) for a in communities]
        self.community_tree = STRtree([g for _a, g in self.communities])

    def shape(self, area: AdminArea) -> BaseGeometry:
        return next(g for a, g in self.communities if a.code == area.code)

    def community(self, p: Point) -> AdminArea | None:
        hits = sorted(int(i) for i in self.community_tree.query(p, predicate="covered_by"))
        return self.communities[hits[0]][0] if hits else None

    def roads_near(self, p: Point, within_m: float = 300.0) -> list[tuple[str, float, float]]:
        """(name, distance m, distance along the road m) of the roads near p, nearest
        first, one entry per name."""
        pm = self.frame.to_m(p)
        result: dict[str, tuple[str, float, float]] = {}
        for i in self.road_tree.query(pm.buffer(within_m)):
            name, _line = self.roads[int(i)]
            line_m = self.road_tree.geometries[int(i)]
            d = float(line_m.distance(pm))
            if d <= within_m and (name not in result or d < result[name][1]):
                result[name] = (name, d, float(line_m.project(pm)))
        return sorted(result.values(), key=lambda r: r[1])


def _unique(used: set[str], candidates: list[str]) -> str:
    """The first candidate not in use yet (else the first one, numbered)."""
    for name in candidates:
        if name not in used:
            used.add(name)
            return name
    base, n = candidates[0], 1
    name = base
    while name in used:
        n += 1
        name = f"{base}（{n}）"
    used.add(name)
    return name


def _attributes(rng: random.Random, klass: str, real: dict[str, Any]) -> dict[str, Any]:
    if klass == "0301":
        level = demo._weighted(rng, [("一类", 2), ("二类", 5), ("三类", 3)])
        first, second = level == "一类", level == "二类"
        return {
            "opening_hours": demo._weighted(
                rng,
                [
                    ("24/7", 35),
                    ("Mo-Su 05:30-23:00", 25),
                    ("Mo-Su 06:00-22:00", 25),
                    ("Mo-Su 07:00-21:00", 10),
                    ("Mo-Fr 07:00-19:00; Sa,Su 08:00-18:00", 5),
                ],
            ),
            "accessible": first or second or rng.random() < 0.6,
            "baby_care_room": first or (second and rng.random() < 0.5) or rng.random() < 0.05,
            "gender_neutral_room": first or (second and rng.random() < 0.4),
            "fee": "免费" if rng.random() < 0.95 else "收费",
            "level": level,
        }
    if klass == "0212":
        return {"capacity": rng.choice([12, 16, 20, 20, 24, 25, 30, 32, 40]), "covered": False}
    if klass == "0203":
        return {"routes": sorted(rng.sample(ROUTE_POOL, rng.randint(2, 7)), key=_route_key)}
    if klass == "0305":
        if real.get("sorted"):
            kind = demo._weighted(
                rng, [("其他垃圾", 35), ("可回收物", 30), ("厨余垃圾", 25), ("有害垃圾", 10)]
            )
            return {**real, "bin_type": kind, "volume_l": rng.choice([120, 240])}
        return {**real, "bin_type": "混合", "volume_l": rng.choice([60, 80, 120])}
    low, high = demo.MANHOLE_DEPTHS.get(klass, (1.0, 2.5))
    return {
        "material": real.get("material") or "球墨铸铁",
        "shape": "圆形",
        "size_mm": rng.choice([600, 700, 700, 800]),
        "depth_m": round(rng.uniform(low, high), 2),
    }


def _route_key(route: str) -> tuple[int, str]:
    digits = "".join(ch for ch in route if ch.isdigit())
    return (int(digits) if digits else 0, route)


def _side(point: Point, community: BaseGeometry) -> str:
    """东/西/南/北: where the point lies in its community."""
    c = community.centroid
    dx, dy = point.x - c.x, point.y - c.y
    if abs(dx) > abs(dy):
        return "东" if dx > 0 else "西"
    return "北" if dy > 0 else "南"


def _names(
    source: Source,
    roads: list[tuple[str, float, float]],
    short: str,
    side: str,
    number: int,
) -> list[str]:
    """Name candidates, most natural first."""
    if source.klass == "0305":
        return ["分类垃圾箱" if source.real.get("sorted") else "垃圾箱"]
    if source.klass in MANHOLE_NAMES:
        return [MANHOLE_NAMES[source.klass]]
    road = roads[0][0] if roads else ""
    cross = roads[1][0] if len(roads) >= 2 and roads[1][1] < 250 else ""
    places = [f"{short}社区"] if source.klass != "0203" else [short]
    if road:
        places.insert(0 if source.klass == "0301" else 1, road)
    if road and cross:
        places.insert(1, f"{road}{cross}口")
    if road:
        places.append(f"{road}{short}")
    places.append(f"{short}{side}")
    if road:
        places.append(f"{road}{number}号")
    suffix = {"0301": "公厕", "0212": "服务点", "0203": "站"}[source.klass]
    names = [p if p.endswith("口") and suffix == "站" else p + suffix for p in places]
    # Last: numbered within the community (石桥社区3号服务点).
    return names + [f"{short}社区{k}号{suffix}" for k in range(1, 40)]


def _notes(source: Source, row_label: str) -> str:
    real = "位置、类别" + (f"、{source.real_label}" if source.real_label else "")
    return (
        f"演示数据：{real}为真实数据（{row_label}）；{LABEL[source.klass]}为演示生成 / "
        f"demo: position and type real ({Path(source.file).name} row {source.row}); "
        f"{LABEL_EN[source.klass]} generated"
    )


def features(
    data_dir: Path, profile: Profile = XIACHENG
) -> tuple[list[dict[str, Any]], list[Source], list[Source]]:
    """(GeoJSON features, their sources in the same order, sources left out because they
    lie outside every community of the district)."""
    rng = random.Random(SEED)  # noqa: S311 (fixed seed: the same demo every time)
    communities = list(
        AdminArea.objects.filter(
            level=AreaLevel.COMMUNITY, code__startswith=profile.district
        ).order_by("code")
    )
    places = Places(data_dir, communities)
    used: set[str] = set()
    result: list[dict[str, Any]] = []
    kept: list[Source] = []
    outside: list[Source] = []
    for source in sources(data_dir):
        community = places.community(source.point)
        if community is None:
            outside.append(source)
            continue
        short = community.name.removesuffix("社区")
        roads = places.roads_near(source.point)
        number = 1 + 2 * int(roads[0][2] // 20) + rng.choice((0, 1)) if roads else 0
        side = _side(source.point, places.shape(community))
        candidates = _names(source, roads, short, side, number)
        if source.klass in ("0301", "0212") and rng.random() < 0.5:
            candidates.insert(0, candidates.pop(min(1, len(candidates) - 1)))
        name = candidates[0] if source.klass in SHARED_NAMES else _unique(used, candidates)
        if roads:
            address = f"{profile.address_prefix}{roads[0][0]}{number}号"
        else:
            address = f"{profile.address_prefix}{community.name}{side}侧"
        competent, owner, maintainer = (
            profile.street_office(community.code) if org == "street" else profile.org(org)
            for org in EXTRA_ORGANIZATIONS.get(source.klass) or demo.ORGANIZATIONS[source.klass]
        )
        status, notes = demo._status(rng, source.klass)
        day = demo.FIRST_DAY + dt.timedelta(days=rng.randint(0, 600))
        row_label = f"{Path(source.file).name} 第{source.row}条"
        properties = {
            "class": source.klass,
            "name": name,
            "address": address,
            "status": status,
            "competent_department": competent,
            "owner": owner,
            "maintainer": maintainer,
            "initial_date": day.isoformat(),
            "change_date": day.isoformat(),
            "attributes": _attributes(rng, source.klass, source.real),
            "data_source": DataSource.GENERATED,
            "notes": "；".join(filter(None, [notes, _notes(source, row_label)])),
        }
        result.append(
            {"type": "Feature", "geometry": mapping(source.point), "properties": properties}
        )
        kept.append(source)
    return result, kept, outside


def store_sources(components: Iterable[Component], kept: list[Source]) -> None:
    """Record each component's source file and row (the admin shows them)."""
    objects = []
    for component, source in zip(components, kept, strict=True):
        component.source_name = source.file
        component.source_row = source.row
        objects.append(component)
    Component.objects.bulk_update(objects, ["source_name", "source_row"], batch_size=500)
