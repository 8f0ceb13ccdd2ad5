"""Demo base layers of the demo district: about 1,500 buildings, 40 roads, 3 rivers and 25
green spaces, plus the demo stewardships (who collects and maintains which layer where).

Everything is generated here from a fixed seed and the demo communities (no third-party
geometry is shipped); road and river names are real Xihu names, their courses invented.

Geometry is built in metres, in one equirectangular frame around the district's centre
(the scale error across the district is under 0.1 %), and converted to lon/lat (CGCS2000)
rounded to 1e-8 degrees. Roads are gently bending lines (arterials cross the district,
secondary and branch roads are shorter), rivers meander (two sine waves), green spaces are
rounded shapes kept clear of roads. Buildings are rotated rectangles (15-60 m x 10-25 m)
grouped in housing estates (rows of slabs or towers, aligned with the nearest road) and
scattered shops, offices, schools and works; each keeps ``INSET_M`` inside its community,
clear of roads, rivers, green space and of each other (``GAP_M``).

Idempotent: buildings are only created when there are none, base features likewise, and
stewardships are created or updated by (layer, area, role).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry

from gis_app import audit, editing
from gis_app.models import Organization
from layers import divisions
from layers.basemap import services
from layers.basemap.models import (
    BaseFeature,
    BaseFeatureKind,
    Building,
    BuildingUse,
)
from layers.demo_geometry import Frame
from layers.demo_profile import SYNTHETIC, Profile
from layers.models import SRID, AdminArea, AreaLevel, Layer, StewardRole, Stewardship

SEED = 20250601
DISTRICT = "330106"
CITY = "330100"
STREET_OFFICE_PREFIX = "XH-JD-"
CITY_PREFIX = "杭州市西湖区"
COMMENT = "演示数据：基础地理图层 / demo base layers"
INSET_M = 5.0  # buildings keep this far inside their community
GAP_M = 6.0  # between two buildings
BUILDINGS = 1500
PARKS = 25

# Real Xihu road names, by their rough direction; (name, class). The courses are invented.
EAST_WEST = [
    ("天目山路", "主干路"),
    ("文一西路", "主干路"),
    ("余杭塘路", "主干路"),
    ("文一路", "主干路"),
    ("之江路", "主干路"),
    ("文三路", "次干路"),
    ("文二路", "次干路"),
    ("文二西路", "次干路"),
    ("西溪路", "次干路"),
    ("灵隐路", "次干路"),
    ("北山街", "次干路"),
    ("曙光路", "次干路"),
    ("留和路", "次干路"),
    ("西斗门路", "支路"),
    ("振华路", "支路"),
    ("玉古路", "支路"),
    ("申花路", "支路"),
    ("西园一路", "支路"),
    ("紫霞街", "支路"),
    ("花园岗街", "支路"),
]
NORTH_SOUTH = [
    ("古墩路", "主干路"),
    ("紫金港路", "主干路"),
    ("莫干山路", "主干路"),
    ("教工路", "次干路"),
    ("学院路", "次干路"),
    ("保俶路", "次干路"),
    ("丰潭路", "次干路"),
    ("紫荆花路", "次干路"),
    ("龙井路", "次干路"),
    ("杨公堤", "次干路"),
    ("古翠路", "支路"),
    ("翠柏路", "支路"),
    ("益乐路", "支路"),
    ("马塍路", "支路"),
    ("杭大路", "支路"),
    ("浙大路", "支路"),
    ("竞舟路", "支路"),
    ("满觉陇路", "支路"),
    ("花蒋路", "支路"),
    ("华星路", "支路"),
]
ROAD_SPECS = {
    # class: (width range m, lanes, length range m or None for the whole district)
    "主干路": ((36.0, 50.0), (6, 8), None),
    "次干路": ((24.0, 32.0), (4, 4), (3500.0, 8000.0)),
    "支路": ((12.0, 20.0), (2, 2), (1200.0, 3000.0)),
}
# Their English names (as on Hangzhou's bilingual street signs), shown on English pages.
ENGLISH_NAMES = {
    "天目山路": "Tianmushan Road",
    "文一西路": "Wenyi West Road",
    "余杭塘路": "Yuhangtang Road",
    "文一路": "Wenyi Road",
    "之江路": "Zhijiang Road",
    "文三路": "Wensan Road",
    "文二路": "Wen'er Road",
    "文二西路": "Wen'er West Road",
    "西溪路": "Xixi Road",
    "灵隐路": "Lingyin Road",
    "北山街": "Beishan Street",
    "曙光路": "Shuguang Road",
    "留和路": "Liuhe Road",
    "西斗门路": "Xidoumen Road",
    "振华路": "Zhenhua Road",
    "玉古路": "Yugu Road",
    "申花路": "Shenhua Road",
    "西园一路": "Xiyuan 1st Road",
    "紫霞街": "Zixia Street",
    "花园岗街": "Huayuangang Street",
    "古墩路": "Gudun Road",
    "紫金港路": "Zijingang Road",
    "莫干山路": "Moganshan Road",
    "教工路": "Jiaogong Road",
    "学院路": "Xueyuan Road",
    "保俶路": "Baochu Road",
    "丰潭路": "Fengtan Road",
    "紫荆花路": "Zijinghua Road",
    "龙井路": "Longjing Road",
    "杨公堤": "Yanggong Causeway",
    "古翠路": "Gucui Road",
    "翠柏路": "Cuibai Road",
    "益乐路": "Yile Road",
    "马塍路": "Macheng Road",
    "杭大路": "Hangda Road",
    "浙大路": "Zheda Road",
    "竞舟路": "Jingzhou Road",
    "满觉陇路": "Manjuelong Road",
    "花蒋路": "Huajiang Road",
    "华星路": "Huaxing Road",
    "余杭塘河": "Yuhangtang River",
    "西溪河": "Xixi River",
    "沿山河": "Yanshan River",
}
# name, width (m), start and end as fractions of the district's bounding box
RIVERS = [
    ("余杭塘河", 36.0, (0.0, 0.80), (1.0, 0.74)),
    ("西溪河", 24.0, (0.0, 0.52), (1.0, 0.58)),
    ("沿山河", 18.0, (0.22, 1.0), (0.30, 0.0)),
]
# The Xiacheng demo: real road and river files (read from the shared data directory) or,
# without them, real names on generated courses.
REAL_ROADS = "hangzhou_xiacheng_community/xiacheng_main_roads.geojson"
REAL_RIVERS = "hangzhou_xiacheng_community/xiacheng_rivers.geojson"
XIACHENG_EAST_WEST = [
    ("环城北路", "主干路"),
    ("体育场路", "主干路"),
    ("凤起路", "次干路"),
    ("庆春路", "次干路"),
    ("文晖路", "次干路"),
    ("朝晖路", "支路"),
    ("德胜路", "支路"),
]
XIACHENG_NORTH_SOUTH = [
    ("中山北路", "主干路"),
    ("延安路", "主干路"),
    ("建国北路", "次干路"),
    ("东新路", "次干路"),
    ("绍兴路", "支路"),
    ("华丰路", "支路"),
    ("新市街", "支路"),
]
XIACHENG_RIVERS = [
    ("上塘河", 30.0, (0.0, 0.70), (1.0, 0.55)),
    ("东新河", 20.0, (0.35, 1.0), (0.45, 0.0)),
]
XIACHENG_ENGLISH = {
    "环城北路": "Huancheng North Road",
    "环城西路": "Huancheng West Road",
    "体育场路": "Tiyuchang Road",
    "凤起路": "Fengqi Road",
    "庆春路": "Qingchun Road",
    "文晖路": "Wenhui Road",
    "朝晖路": "Zhaohui Road",
    "德胜路": "Desheng Road",
    "中山北路": "Zhongshan North Road",
    "延安路": "Yan'an Road",
    "建国北路": "Jianguo North Road",
    "东新路": "Dongxin Road",
    "绍兴路": "Shaoxing Road",
    "华丰路": "Huafeng Road",
    "新市街": "Xinshi Street",
    "杭玻路": "Hangbo Road",
    "上塘高架": "Shangtang Viaduct",
    "中河高架": "Zhonghe Viaduct",
    "德胜高架": "Desheng Viaduct",
    "石大快速路": "Shida Expressway",
    "秋石高架": "Qiushi Viaduct",
    "东新河": "Dongxin River",
    "上塘河": "Shangtang River",
    "京杭运河": "Grand Canal",
    "东河": "Dong River",
    "贴沙河": "Tiesha River",
}
ESTATE_SUFFIXES = ["新村", "苑", "花园", "小区", "公寓", "家园"]
ESTATE_WORDS = [
    "金色",
    "嘉绿",
    "桂花",
    "翠苑",
    "丹桂",
    "紫荆",
    "香樟",
    "碧水",
    "春晖",
    "和睦",
    "枫华",
    "锦绣",
    "银杏",
    "求是",
    "玉泉",
    "西城",
    "北山",
    "莲花",
    "荷花",
    "兰亭",
]


# --- the metric frame ----------------------------------------------------------------------


# --- drafts --------------------------------------------------------------------------------


@dataclass
class RoadDraft:
    name: str
    road_class: str
    line: LineString  # metres
    width: float
    lanes: int
    store_size: bool = True  # False for a real road: its width and lanes are unknown

    def number_at(self, p: Point) -> int:
        """A house number: about one per 20 m along the road, even on the left."""
        s = self.line.project(p)
        ahead = self.line.interpolate(min(s + 1.0, self.line.length))
        here = self.line.interpolate(s)
        left = (ahead.x - here.x) * (p.y - here.y) - (ahead.y - here.y) * (p.x - here.x) > 0
        return 2 + 2 * int(s // 20) if left else 1 + 2 * int(s // 20)

    def angle_at(self, p: Point) -> float:
        s = self.line.project(p)
        a = self.line.interpolate(max(s - 20.0, 0.0))
        b = self.line.interpolate(min(s + 20.0, self.line.length))
        return math.degrees(math.atan2(b.y - a.y, b.x - a.x))


@dataclass
class FeatureDraft:
    kind: str
    name: str
    geom: BaseGeometry  # metres
    attributes: dict[str, Any]


@dataclass
class BuildingDraft:
    community: str
    geom: Polygon  # metres
    name: str
    address: str
    floors: int
    use: str
    units: int
    year: int


@dataclass
class Community:
    code: str
    name: str
    shape: BaseGeometry  # metres
    inner: BaseGeometry  # shrunk by INSET_M
    buildable: BaseGeometry = field(default_factory=Polygon)
    address_prefix: str = CITY_PREFIX

    @property
    def short(self) -> str:
        return self.name.removesuffix("社区")


# --- roads, rivers, green space ------------------------------------------------------------


def _bend(rng: random.Random, start: tuple[float, float], end: tuple[float, float]) -> LineString:
    """A gently bending line: vertices about every 800 m, nudged sideways a little."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0)
    n = max(2, int(length // 800))
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    offset = 0.0
    points = []
    for i in range(n + 1):
        t = i / n
        if 0 < i < n:
            offset = max(-120.0, min(120.0, offset + rng.uniform(-45.0, 45.0)))
        points.append((x0 + (x1 - x0) * t + nx * offset, y0 + (y1 - y0) * t + ny * offset))
    return LineString(points)


def _longest(geom: BaseGeometry) -> LineString | None:
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, LineString)]
    parts = [g for g in parts if not g.is_empty]
    return max(parts, key=lambda g: g.length) if parts else None


def _roads(
    rng: random.Random,
    district: BaseGeometry,
    east_west_names: list[tuple[str, str]] = EAST_WEST,
    north_south_names: list[tuple[str, str]] = NORTH_SOUTH,
    spacing: float = 350.0,
) -> list[RoadDraft]:
    minx, miny, maxx, maxy = district.bounds
    inside = district.buffer(-40.0)
    roads: list[RoadDraft] = []
    for names, east_west in ((east_west_names, True), (north_south_names, False)):
        low, high = (miny, maxy) if east_west else (minx, maxx)
        positions: list[float] = []
        while len(positions) < len(names):
            value = rng.uniform(low + 500.0, high - 500.0)
            if all(abs(value - other) > spacing for other in positions):
                positions.append(value)
        # Arterials get the positions spread widest apart; the rest at random.
        for (name, road_class), position in zip(names, positions, strict=True):
            (w_low, w_high), (l_low, l_high), span = ROAD_SPECS[road_class]
            tilt = math.tan(math.radians(rng.uniform(-5.0, 5.0)))
            if span is None:
                a, b = (minx, maxx) if east_west else (miny, maxy)
            else:
                length = rng.uniform(*span)
                centre = rng.uniform(
                    (minx if east_west else miny) + length / 2,
                    (maxx if east_west else maxy) - length / 2,
                )
                a, b = centre - length / 2, centre + length / 2
            if east_west:
                start = (a, position + tilt * (a - (minx + maxx) / 2))
                end = (b, position + tilt * (b - (minx + maxx) / 2))
            else:
                start = (position + tilt * (a - (miny + maxy) / 2), a)
                end = (position + tilt * (b - (miny + maxy) / 2), b)
            line = _longest(_bend(rng, start, end).intersection(inside))
            if line is None or line.length < 600.0:
                continue
            width = round(rng.uniform(w_low, w_high), 1)
            roads.append(RoadDraft(name, road_class, line, width, rng.randint(l_low, l_high)))
    return roads


def _meander(
    rng: random.Random, start: tuple[float, float], end: tuple[float, float]
) -> LineString:
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0)
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    waves = [
        (rng.uniform(120.0, 260.0), rng.uniform(2200.0, 3600.0), rng.uniform(0, 2 * math.pi)),
        (rng.uniform(30.0, 80.0), rng.uniform(500.0, 900.0), rng.uniform(0, 2 * math.pi)),
    ]
    points = []
    steps = int(length // 60)
    for i in range(steps + 1):
        s = length * i / steps
        offset = sum(a * math.sin(2 * math.pi * s / wl + ph) for a, wl, ph in waves)
        offset *= math.sin(math.pi * i / steps) ** 0.3  # calmer near the ends
        t = i / steps
        points.append((x0 + (x1 - x0) * t + nx * offset, y0 + (y1 - y0) * t + ny * offset))
    return LineString(points)


def _rivers(
    rng: random.Random,
    district: BaseGeometry,
    specs: list[tuple[str, float, tuple[float, float], tuple[float, float]]] = RIVERS,
) -> list[FeatureDraft]:
    minx, miny, maxx, maxy = district.bounds
    inside = district.buffer(-60.0)
    rivers = []
    for name, width, (fx0, fy0), (fx1, fy1) in specs:
        start = (minx + fx0 * (maxx - minx), miny + fy0 * (maxy - miny))
        end = (minx + fx1 * (maxx - minx), miny + fy1 * (maxy - miny))
        line = _longest(_meander(rng, start, end).intersection(inside))
        if line is not None:
            name_en = ENGLISH_NAMES.get(name) or XIACHENG_ENGLISH.get(name, "")
            attributes = {"width_m": width, "name_en": name_en}
            rivers.append(FeatureDraft(BaseFeatureKind.RIVER, name, line, attributes))
    return rivers


def _random_point(rng: random.Random, region: BaseGeometry) -> Point | None:
    minx, miny, maxx, maxy = region.bounds
    for _ in range(200):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if region.contains(p):
            return p
    return None


def _largest_polygon(geom: BaseGeometry) -> Polygon | None:
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]
    return max(parts, key=lambda g: g.area) if parts else None


def _greens(
    rng: random.Random,
    communities: list[Community],
    roads: list[RoadDraft],
    rivers: list[FeatureDraft],
) -> list[FeatureDraft]:
    road_space = shapely.union_all([r.line.buffer(r.width / 2 + 3.0) for r in roads])
    greens: list[FeatureDraft] = []
    taken: list[BaseGeometry] = []
    names: set[str] = set()
    attempts = 0
    while len(greens) < PARKS and attempts < PARKS * 40:
        attempts += 1
        community = communities[rng.randrange(len(communities))]
        centre = _random_point(rng, community.inner)
        if centre is None:
            continue
        w, h = rng.uniform(90.0, 320.0), rng.uniform(70.0, 220.0)
        corner = min(w, h) * rng.uniform(0.1, 0.3)
        shape = box(-w / 2 + corner, -h / 2 + corner, w / 2 - corner, h / 2 - corner)
        shape = affinity.rotate(shape.buffer(corner, quad_segs=4), rng.uniform(0, 180))
        shape = affinity.translate(shape, centre.x, centre.y)
        piece = _largest_polygon(shape.intersection(community.inner).difference(road_space))
        if piece is None or piece.area < 4000.0:
            continue
        piece = shapely.set_precision(piece, 0.01)
        if not piece.is_valid or piece.is_empty or any(piece.intersects(t) for t in taken):
            continue
        near_river = next((r for r in rivers if piece.distance(r.geom) < 60.0), None)
        if near_river is not None and near_river.name + "滨河绿地" not in names:
            name, kind = near_river.name + "滨河绿地", "公园绿地"
        elif rng.random() < 0.2 and community.short + "文化广场" not in names:
            name, kind = community.short + "文化广场", "广场用地"
        elif community.short + "公园" not in names:
            name, kind = community.short + "公园", "公园绿地"
        else:
            name, kind = community.short + "街心绿地", "公园绿地"
        if name in names:
            continue
        names.add(name)
        taken.append(piece.buffer(20.0))
        greens.append(FeatureDraft(BaseFeatureKind.GREEN, name, piece, {"green_type": kind}))
    return greens


# --- buildings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EstateType:
    suffixes: tuple[str, ...]
    floors: tuple[int, int]
    years: tuple[int, int]
    length: tuple[float, float]  # along the row
    depth: tuple[float, float]
    tower: bool = False


ESTATE_TYPES = [
    EstateType(("新村", "小区"), (4, 7), (1982, 1998), (36.0, 60.0), (10.0, 13.0)),
    EstateType(("苑", "花园", "家园"), (9, 18), (1998, 2012), (30.0, 50.0), (12.0, 16.0)),
    EstateType(("公寓", "府", "花园"), (18, 33), (2006, 2022), (18.0, 32.0), (15.0, 22.0), True),
]
# use: (weight, floors, years, length, depth)
OTHER_USES: dict[
    str, tuple[float, tuple[int, int], tuple[int, int], tuple[float, float], tuple[float, float]]
] = {
    BuildingUse.COMMERCIAL: (0.27, (1, 6), (1995, 2020), (35.0, 60.0), (18.0, 25.0)),
    BuildingUse.OFFICE: (0.23, (5, 30), (2000, 2022), (28.0, 50.0), (16.0, 25.0)),
    BuildingUse.PUBLIC: (0.27, (1, 5), (1985, 2020), (25.0, 60.0), (12.0, 25.0)),
    BuildingUse.INDUSTRIAL: (0.07, (1, 4), (1980, 2005), (40.0, 60.0), (18.0, 25.0)),
    BuildingUse.MIXED: (0.13, (6, 24), (1995, 2015), (30.0, 50.0), (14.0, 20.0)),
    BuildingUse.OTHER: (0.03, (1, 3), (1990, 2020), (15.0, 25.0), (10.0, 14.0)),
}
PUBLIC_NAMES = [
    "小学",
    "中学",
    "幼儿园",
    "社区服务中心",
    "社区卫生服务站",
    "文化活动中心",
    "派出所",
]


def _rectangle(centre: Point, length: float, depth: float, angle: float) -> Polygon:
    rect = box(-length / 2, -depth / 2, length / 2, depth / 2)
    return affinity.translate(affinity.rotate(rect, angle), centre.x, centre.y)


class Placer:
    """Places rectangles in a community's buildable area, clear of each other."""

    def __init__(self, community: Community) -> None:
        self.community = community
        self.buildable = community.buildable
        shapely.prepare(self.buildable)
        self.placed: list[Polygon] = []
        self.halos: list[Polygon] = []

    def fits(self, rect: Polygon) -> bool:
        if not self.buildable.contains(rect):
            return False
        if not self.halos:
            return True
        return not bool(shapely.intersects(np.array(self.halos, dtype=object), rect).any())

    def add(self, rect: Polygon) -> None:
        self.placed.append(rect)
        self.halos.append(rect.buffer(GAP_M, join_style="mitre"))


def _nearest_road(roads: list[RoadDraft], p: Point) -> RoadDraft:
    return min(roads, key=lambda r: r.line.distance(p))


def _estate_name(
    rng: random.Random, community: Community, road: RoadDraft, kind: EstateType, used: set[str]
) -> str:
    suffix = rng.choice(kind.suffixes)
    candidates = [
        f"{road.name}{suffix}" if suffix in ("小区", "新村") else "",
        f"{community.short}{suffix}",
        f"{rng.choice(ESTATE_WORDS)}{suffix}",
        f"{rng.choice(ESTATE_WORDS)}{rng.choice(ESTATE_WORDS)}{suffix}",
    ]
    for name in candidates:
        if name and name not in used:
            used.add(name)
            return name
    for i in range(2, 100):
        name = f"{community.short}{suffix}{'一二三四五六七八九'[i % 9]}区"
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("no estate name left")  # pragma: no cover


def _estate(
    rng: random.Random,
    placer: Placer,
    roads: list[RoadDraft],
    target: int,
    used: set[str],
) -> list[BuildingDraft]:
    """A housing estate: rows of slabs (or towers) parallel to the nearest road."""
    community = placer.community
    centre = None
    for _ in range(60):
        p = _random_point(rng, placer.buildable)
        if p is not None and 50.0 < _nearest_road(roads, p).line.distance(p) < 450.0:
            centre = p
            break
    if centre is None:
        return []
    road = _nearest_road(roads, centre)
    angle = road.angle_at(centre) + rng.choice([0.0, 0.0, 90.0]) + rng.uniform(-4.0, 4.0)
    kind = rng.choice(ESTATE_TYPES)
    name = _estate_name(rng, community, road, kind, used)
    number = road.number_at(centre)
    address = f"{community.address_prefix}{road.name}{number}号"
    floors = rng.randint(*kind.floors)
    height = floors * 3.0
    length = rng.uniform(*kind.length)
    depth = rng.uniform(*kind.depth)
    row_gap = depth + max(15.0, height * 1.1)  # sunlight spacing between rows
    col_gap = length + rng.uniform(10.0, 24.0)
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    columns = rng.randint(2, 4)
    rows = math.ceil(target / columns)
    cells = []
    for row in range(rows):
        for col in range(columns):
            u, v = (col - (columns - 1) / 2) * col_gap, (row - (rows - 1) / 2) * row_gap
            cells.append((u * cos - v * sin, u * sin + v * cos))
    drafts: list[BuildingDraft] = []
    year = rng.randint(*kind.years)
    for dx, dy in cells:
        if len(drafts) >= target:
            break
        at = Point(centre.x + dx + rng.uniform(-2, 2), centre.y + dy + rng.uniform(-2, 2))
        this_length = length * rng.uniform(0.85, 1.0)
        rect = _rectangle(at, this_length, depth, angle + rng.uniform(-0.5, 0.5))
        if not placer.fits(rect):
            continue
        placer.add(rect)
        this_floors = max(kind.floors[0], min(kind.floors[1], floors + rng.randint(-1, 1)))
        per_floor = rng.randint(4, 8) if kind.tower else max(2, 2 * round(this_length / 24))
        k = len(drafts) + 1
        drafts.append(
            BuildingDraft(
                community.code,
                rect,
                f"{name}{k}幢",
                f"{address}{k}幢",
                this_floors,
                BuildingUse.RESIDENTIAL,
                this_floors * per_floor,
                year,
            )
        )
    return drafts


def _weighted(rng: random.Random, options: Iterable[tuple[str, float]]) -> str:
    items = list(options)
    return rng.choices([o for o, _ in items], weights=[w for _, w in items])[0]


def _other_building(
    rng: random.Random, placer: Placer, roads: list[RoadDraft], used: set[str]
) -> BuildingDraft | None:
    """A shop, office, school, works or mixed-use block near a road."""
    use = _weighted(rng, ((u, spec[0]) for u, spec in OTHER_USES.items()))
    _w, floor_range, years, length_range, depth_range = OTHER_USES[use]
    community = placer.community
    for _ in range(25):
        p = _random_point(rng, placer.buildable)
        if p is None:
            return None
        road = _nearest_road(roads, p)
        if road.line.distance(p) > 350.0:
            continue
        angle = road.angle_at(p) + rng.uniform(-3.0, 3.0)
        rect = _rectangle(p, rng.uniform(*length_range), rng.uniform(*depth_range), angle)
        if not placer.fits(rect):
            continue
        placer.add(rect)
        floors = rng.randint(*floor_range)
        number = road.number_at(p)
        if use == BuildingUse.COMMERCIAL:
            base = f"{road.name}{rng.choice(['商业中心', '商场', '农贸市场', '购物广场'])}"
        elif use == BuildingUse.OFFICE:
            base = f"{rng.choice(ESTATE_WORDS)}{rng.choice(['大厦', '科技大楼', '商务中心'])}"
        elif use == BuildingUse.PUBLIC:
            base = f"{community.short}{rng.choice(PUBLIC_NAMES)}"
        elif use == BuildingUse.INDUSTRIAL:
            base = f"{road.name}{rng.choice(['厂房', '仓库'])}"
        elif use == BuildingUse.MIXED:
            base = f"{rng.choice(ESTATE_WORDS)}商住楼"
        else:
            base = f"{road.name}{rng.choice(['配电房', '垃圾中转站', '泵房'])}"
        name = base
        k = 2
        while name in used:
            name = f"{base}{k}号楼"
            k += 1
        used.add(name)
        units = 0
        if use == BuildingUse.MIXED:
            units = max(0, floors - 2) * rng.randint(4, 8)
        return BuildingDraft(
            community.code,
            rect,
            name,
            f"{community.address_prefix}{road.name}{number}号",
            floors,
            use,
            units,
            rng.randint(*years),
        )
    return None


def _allocate(rng: random.Random, total: int, communities: list[Community]) -> list[int]:
    weights = [math.sqrt(c.shape.area) * rng.uniform(0.8, 1.2) for c in communities]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def _buildings(
    rng: random.Random, communities: list[Community], roads: list[RoadDraft]
) -> list[BuildingDraft]:
    counts = _allocate(rng, BUILDINGS, communities)
    used: set[str] = set()
    drafts: list[BuildingDraft] = []
    for community, count in zip(communities, counts, strict=True):
        placer = Placer(community)
        here: list[BuildingDraft] = []
        residential = round(count * 0.72)
        misses = 0
        while len(here) < residential and misses < 12:
            made = _estate(
                rng, placer, roads, min(residential - len(here), rng.randint(8, 24)), used
            )
            misses = misses + 1 if not made else misses
            here.extend(made)
        misses = 0
        while len(here) < count and misses < 40:
            other = _other_building(rng, placer, roads, used)
            if other is None:
                misses += 1
            else:
                here.append(other)
        drafts.extend(here)
    return drafts


# --- generation ----------------------------------------------------------------------------


@dataclass
class Plan:
    frame: Frame
    roads: list[RoadDraft]
    rivers: list[FeatureDraft]
    greens: list[FeatureDraft]
    buildings: list[BuildingDraft]


def _real_lines(path: Path) -> list[tuple[str, LineString]]:
    with path.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    return [(f["properties"]["RNAME"], shape(f["geometry"])) for f in features]


def _real_roads(frame: Frame, data_dir: Path) -> list[RoadDraft]:
    roads = []
    for name, line in _real_lines(data_dir / REAL_ROADS):
        expressway = name.endswith(("高架", "快速路"))
        road_class = "快速路" if expressway else "主干路"
        width = 30.0 if expressway else 40.0  # for keeping buildings clear; not stored
        roads.append(RoadDraft(name, road_class, frame.to_m(line), width, 6, store_size=False))
    return roads


def _real_rivers(frame: Frame, data_dir: Path) -> list[FeatureDraft]:
    return [
        FeatureDraft(
            BaseFeatureKind.RIVER,
            name,
            frame.to_m(line),
            {"width_m": 30.0, "name_en": XIACHENG_ENGLISH.get(name, "")},
        )
        for name, line in _real_lines(data_dir / REAL_RIVERS)
    ]


def plan(profile: Profile = SYNTHETIC, data_dir: Path | None = None) -> Plan:
    """The demo base layers, in metres; deterministic for the same demo areas. With
    ``data_dir`` (the real Xiacheng demo) roads and rivers are the real ones of its files,
    the rest is generated around them."""
    rng = random.Random(SEED)  # noqa: S311 (fixed seed: the same demo every time)
    district_area = AdminArea.objects.filter(code=profile.district).first()
    areas = list(
        AdminArea.objects.filter(level=AreaLevel.COMMUNITY, code__startswith=profile.district)
    )
    if profile != SYNTHETIC:  # residents' committees only (not a campus remainder area)
        areas = [a for a in areas if divisions.get(a.code) is not None]
    if district_area is None or not areas:
        raise RuntimeError("demo base layers: load the demo areas first (layers.demo.load).")
    outline = shapely.from_wkb(bytes(district_area.boundary.wkb))
    frame = Frame(round(outline.centroid.x, 4), round(outline.centroid.y, 4))
    district = frame.to_m(outline)
    communities = []
    for area in sorted(areas, key=lambda a: a.code):
        shape_m = frame.to_m(shapely.from_wkb(bytes(area.boundary.wkb)))
        communities.append(
            Community(
                area.code,
                area.name,
                shape_m,
                shape_m.buffer(-INSET_M),
                address_prefix=profile.address_prefix,
            )
        )
    if profile == SYNTHETIC:
        roads = _roads(rng, district)
        rivers = _rivers(rng, district)
    elif data_dir is not None:
        roads = _real_roads(frame, data_dir)
        rivers = _real_rivers(frame, data_dir)
    else:
        # Real names of Xiacheng's roads and rivers on generated courses.
        roads = _roads(rng, district, XIACHENG_EAST_WEST, XIACHENG_NORTH_SOUTH, 300.0)
        rivers = _rivers(rng, district, XIACHENG_RIVERS)
    greens = _greens(rng, communities, roads, rivers)
    obstacles = shapely.union_all(
        [r.line.buffer(r.width / 2 + 5.0) for r in roads]
        + [r.geom.buffer(r.attributes["width_m"] / 2 + 10.0) for r in rivers]
        + [g.geom.buffer(5.0) for g in greens]
    )
    for community in communities:
        community.buildable = community.inner.difference(obstacles)
    buildings = _buildings(rng, communities, roads)
    if data_dir is not None and profile != SYNTHETIC:
        for river in rivers:  # the width was for keeping buildings clear; not stored
            river.attributes.pop("width_m", None)
    return Plan(frame, roads, rivers, greens, buildings)


def _feature_drafts(result: Plan) -> list[FeatureDraft]:
    roads = []
    for r in result.roads:
        attributes: dict[str, Any] = {"road_class": r.road_class}
        if r.store_size:
            attributes.update(width_m=r.width, lanes=r.lanes)
        name_en = ENGLISH_NAMES.get(r.name) or XIACHENG_ENGLISH.get(r.name)
        if name_en:
            attributes["name_en"] = name_en
        roads.append(FeatureDraft(BaseFeatureKind.ROAD, r.name, r.line, attributes))
    return roads + result.rivers + result.greens


def _geos(frame: Frame, geom: BaseGeometry, multi: bool = False) -> Any:
    deg = frame.to_deg(geom)
    if multi and isinstance(deg, Polygon):
        deg = MultiPolygon([deg])
    if not deg.is_valid:  # pragma: no cover (rounding to 1e-8 degrees never breaks these)
        raise RuntimeError(f"demo base layers: invalid geometry {deg.wkt[:80]}")
    return GEOSGeometry(memoryview(shapely.to_wkb(deg)), srid=SRID)


def _creation_history(kind: editing.Editable[Any], objects: list[Any]) -> None:
    """The creation entries of objects the demo stored in bulk (no actor: the system)."""
    ctx = editing.EditContext(user=AnonymousUser())
    entries = [editing.change(ctx, kind, obj, "create", None, COMMENT) for obj in objects]
    editing.store_history(kind, zip(objects, entries, strict=True))


def _load_buildings(result: Plan) -> int:
    objects = [
        Building(
            geometry=_geos(result.frame, d.geom, multi=True),
            name=d.name,
            address=d.address,
            floors=d.floors,
            use=d.use,
            units_count=d.units,
            build_year=d.year,
            community_id=d.community,
            version=1,
        )
        for d in result.buildings
    ]
    Building.objects.bulk_create(objects, batch_size=500)
    _creation_history(services.BUILDINGS, objects)
    return len(objects)


def _load_features(result: Plan) -> int:
    drafts = _feature_drafts(result)
    objects = [
        BaseFeature(
            kind=d.kind,
            name=d.name,
            geometry=_geos(result.frame, d.geom),
            attributes=d.attributes,
            version=1,
        )
        for d in drafts
    ]
    for obj in objects:
        obj.community_id = services.community_of(obj.geometry)
    BaseFeature.objects.bulk_create(objects)
    _creation_history(services.BASE_FEATURES, objects)
    return len(objects)


# --- stewardship ---------------------------------------------------------------------------


def _street_codes(district: str) -> list[str]:
    return list(
        AdminArea.objects.filter(level=AreaLevel.STREET, code__startswith=district)
        .order_by("code")
        .values_list("code", flat=True)
    )


def stewardship_plan(profile: Profile = SYNTHETIC) -> list[tuple[str, str, str, str]]:
    """(layer code, area code, organization code, role) of the demo stewardships."""
    maintain, collect = StewardRole.MAINTAIN, StewardRole.COLLECT
    rows: list[tuple[str, str, str, str]] = []
    district, org = profile.district, profile.org
    streets = _street_codes(district)
    for layer in ("buildings", "building-details"):
        rows.append((layer, district, org("XH-CGJ"), maintain))
        rows += [(layer, s, profile.street_office(s), collect) for s in streets]
    for layer, organization in (
        ("roads", "XH-CGJ"),
        ("rivers", "XH-CGJ"),
        ("green-space", "XH-YLJ"),
    ):
        rows += [
            (layer, district, org(organization), maintain),
            (layer, district, org(organization), collect),
        ]
    for classes, organization, area in (
        (("0101", "0102", "0103", "0104", "0113"), "HZ-SW", CITY),
        (("0111",), "HZ-RQ", CITY),
        (("0105",), "HZ-GD", CITY),
        (("0107",), "HZ-DX", CITY),
        (("0401", "0402", "0405", "0407"), "XH-YLJ", DISTRICT),
        (("0502",), "XH-RFB", DISTRICT),
        (("0201",), "HZ-CDFW", CITY),
    ):
        area = district if area == DISTRICT else area
        rows += [(f"component-{code}", area, org(organization), maintain) for code in classes]
    rows += [("component-0301", s, profile.street_office(s), maintain) for s in streets]
    if profile != SYNTHETIC:  # the operators of the real bus stops and bike stations
        rows += [
            ("component-0203", CITY, "HZ-GJ", maintain),
            ("component-0212", CITY, "HZ-GGZXC", maintain),
        ]
    return rows


def stewardships(profile: Profile = SYNTHETIC) -> int:
    """Create or update the demo stewardships; layers or organizations that do not exist
    are skipped. Returns how many rows the plan holds that could be stored."""
    layers = {layer.code: layer for layer in Layer.objects.all()}
    organizations = {o.code: o for o in Organization.objects.all()}
    areas = set(AdminArea.objects.filter(code__startswith=CITY[:4]).values_list("code", flat=True))
    stored = 0
    for layer_code, area, organization, role in stewardship_plan(profile):
        if layer_code not in layers or organization not in organizations or area not in areas:
            continue
        Stewardship.objects.update_or_create(
            layer=layers[layer_code],
            area_id=area,
            role=role,
            defaults={"organization": organizations[organization], "note": "演示数据 / demo"},
        )
        stored += 1
    return stored


@transaction.atomic
def load(profile: Profile = SYNTHETIC, data_dir: Path | None = None) -> dict[str, int]:
    """Create the demo base layers and stewardships; counts of what was created (buildings
    and base features are 0 when they were loaded before). ``data_dir``: the real roads
    and rivers of the Xiacheng demo (see :func:`plan`)."""
    counts = {"stewardships": stewardships(profile), "buildings": 0, "base_features": 0}
    need_buildings = not Building.objects.exists()
    need_features = not BaseFeature.objects.exists()
    if need_buildings or need_features:
        result = plan(profile, data_dir)
        if need_buildings:
            counts["buildings"] = _load_buildings(result)
        if need_features:
            counts["base_features"] = _load_features(result)
        audit.record("demo.basemap", detail=counts)
    return counts
