"""Demo components: a deterministic, believable survey (部件普查) of the 30 demo communities.

About 3,000 components of 16 classes are generated with a seeded random generator and
stored through the real service (:func:`component_catalog.services.batch`), in changesets
of source ``demo`` by the demo user ``city_admin``: identifiers, community and grid cell,
attribute validation, review flags and history are therefore exactly what an import through
the API would produce.

Layout. Each community gets a compact "built-up core" (a square of about 1 km, turned to a
random street orientation) with a small grid of straight streets named after real Xihu
roads. Network covers, grates, hydrants, bins, benches and toilets sit at plausible offsets
from a street's centre line (covers in the carriageway or under the pavement, grates at the
kerb, trees in rows 6-8 m apart on the pavement); ancient trees, shelters and parking lots
(rectangles, built in metres) sit in the blocks between the streets. Every geometry stays at
least ``INSET_M`` inside its community, so none lands on a boundary shared by two.
Geometry is built in a local metric frame per community (an equirectangular approximation,
good to well under a centimetre per hundred metres here) and converted to lon/lat.

Idempotent: if any changeset of source ``demo`` exists, :func:`load` does nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.contrib.auth import get_user_model
from django.db import transaction
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry

from component_catalog import catalog_data, services
from component_catalog.models import Changeset, ChangesetSource, Component, DataSource
from layers import divisions
from layers.demo_geometry import Frame
from layers.demo_profile import SYNTHETIC, Profile
from layers.models import AdminArea, AreaLevel

SEED = 20240415
USERNAME = "city_admin"
COMMENT = "演示数据：部件普查 / demo component survey"
CHUNK = 1000  # services.MAX_BATCH
INSET_M = 3.0  # every geometry stays at least this far inside its community
FIRST_DAY = dt.date(2019, 4, 1)
LAST_DAY = dt.date(2024, 12, 31)
CITY_PREFIX = "杭州市西湖区"
STREET_OFFICE_PREFIX = "XH-JD-"

# Roughly 3,150 components in all.
COUNTS: dict[str, int] = {
    "0101": 400,  # 上水井盖
    "0102": 350,  # 污水井盖
    "0103": 350,  # 雨水井盖
    "0104": 150,  # 雨水箅子
    "0105": 200,  # 电力井盖
    "0107": 150,  # 电信井盖
    "0111": 200,  # 燃气井盖
    "0113": 100,  # 消防设施
    "0201": 40,  # 停车场 (polygons)
    "0301": 60,  # 公共厕所
    "0305": 300,  # 垃圾箱
    "0401": 15,  # 古树名木
    "0402": 600,  # 行道树
    "0407": 150,  # 街头座椅
    "0501": 60,  # 宣传栏
    "0502": 25,  # 人防工事
}

# Real road names of Xihu District (the demo geography itself is invented).
ROADS = [
    "文三路",
    "文二路",
    "文一路",
    "天目山路",
    "古墩路",
    "教工路",
    "学院路",
    "保俶路",
    "曙光路",
    "莫干山路",
    "西溪路",
    "灵隐路",
    "北山街",
    "黄龙路",
    "古翠路",
    "翠柏路",
    "益乐路",
    "丰潭路",
    "紫荆花路",
    "玉古路",
    "杭大路",
    "浙大路",
    "马塍路",
    "龙井路",
    "竞舟路",
]
# A community named after a road gets that road as its first street.
COMMUNITY_ROADS = {
    "保俶": "保俶路",
    "曙光": "曙光路",
    "玉泉": "玉古路",
    "学院路": "学院路",
    "文一": "文一路",
    "益乐": "益乐路",
    "翠苑一区": "翠柏路",
    "翠苑二区": "古翠路",
    "竞舟": "竞舟路",
    "杭大新村": "杭大路",
    "龙井": "龙井路",
    "浙大": "浙大路",
    "丰潭": "丰潭路",
    "紫荆": "紫荆花路",
}

# competent department, owner, maintainer ("street" = the community's street office).
ORGANIZATIONS: dict[str, tuple[str, str, str]] = {
    "0101": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0102": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0103": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0104": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0105": ("XH-CGJ", "HZ-GD", "HZ-GD"),
    "0107": ("XH-CGJ", "HZ-DX", "HZ-DX"),
    "0111": ("XH-CGJ", "HZ-RQ", "HZ-RQ"),
    "0113": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0201": ("XH-CGJ", "HZ-CDFW", "HZ-CDFW"),
    "0301": ("XH-CGJ", "XH-CGJ", "street"),
    "0305": ("XH-CGJ", "street", "street"),
    "0401": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0402": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0407": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0501": ("street", "street", "street"),
    "0502": ("XH-RFB", "XH-RFB", "XH-RFB"),
}
PROPERTY_PARKING = ("XH-CGJ", "XH-LCWY", "XH-LCWY")

GNSS_DEVICES = ["中海达 V90", "华测 i70"]

# Statuses other than "good" that make sense per class, with the note an inspector leaves.
COVER_NOTES = {
    "damaged": ["井盖破损，已设置警示标志", "井盖松动，车辆碾压有异响", "井座沉降，路面不平"],
    "missing": ["井盖缺失，已临时围挡并上报"],
    "occupied": ["被机动车停放遮挡", "被沿街摊位占压"],
}
STATUS_NOTES: dict[str, dict[str, list[str]]] = {
    "0101": COVER_NOTES,
    "0102": COVER_NOTES,
    "0103": COVER_NOTES,
    "0105": COVER_NOTES,
    "0107": COVER_NOTES,
    "0111": COVER_NOTES,
    "0104": {
        "damaged": ["箅子断裂", "箅子堵塞，积水"],
        "missing": ["箅子缺失，已上报"],
        "occupied": ["被杂物覆盖"],
    },
    "0113": {
        "damaged": ["消火栓漏水", "栓体被撞倾斜"],
        "occupied": ["周边被车辆占用，影响取水"],
    },
    "0201": {"damaged": ["地面破损，标线模糊"], "occupied": ["部分泊位被施工围挡占用"]},
    "0301": {"damaged": ["洗手池损坏，已报修", "无障碍扶手松动"]},
    "0305": {
        "damaged": ["箱体破损", "箱盖缺失"],
        "missing": ["垃圾箱缺失"],
        "occupied": ["被店家挪作私用"],
    },
    "0401": {"damaged": ["主干有空洞，已做支撑加固", "雷击致枝干断裂"]},
    "0402": {"damaged": ["树干倾斜", "枯枝较多，待修剪"], "missing": ["缺株，待补植"]},
    "0407": {"damaged": ["座板断裂", "扶手松动"], "missing": ["座椅缺失"]},
    "0501": {"damaged": ["玻璃面板破损", "立柱锈蚀"]},
    "0502": {"damaged": ["出入口防护门锈蚀"], "occupied": ["出入口被杂物堆占"]},
}

MANHOLE_DEPTHS = {
    "0101": (1.0, 2.0),
    "0102": (1.5, 5.0),
    "0103": (1.2, 3.5),
    "0105": (1.2, 2.5),
    "0107": (0.8, 1.8),
    "0111": (0.8, 1.5),
}
STREET_TREES = [
    ("香樟", "Cinnamomum camphora", 4),
    ("悬铃木", "Platanus x acerifolia", 3),
    ("银杏", "Ginkgo biloba", 2),
    ("无患子", "Sapindus mukorossi", 1),
    ("桂花", "Osmanthus fragrans", 1),
]
ANCIENT_TREES = [
    ("香樟", "Cinnamomum camphora", 6),
    ("银杏", "Ginkgo biloba", 2),
    ("枫香", "Liquidambar formosana", 2),
    ("朴树", "Celtis sinensis", 1),
    ("桂花", "Osmanthus fragrans", 1),
    ("罗汉松", "Podocarpus macrophyllus", 1),
    ("糙叶树", "Aphananthe aspera", 1),
]
# Protection grade -> estimated age range (years), as in 《古树名木普查技术规范》.
ANCIENT_TREE_AGES = {"一级": (500, 1000), "二级": (300, 499), "三级": (100, 299)}
SHELTER_ENTRANCES = [
    "{a}幢与{b}幢之间绿地内下沉式出入口，设无障碍坡道",
    "{road}沿街{b}号楼地下车库入口，沿“人防工程”指示牌进入",
    "小区北门东侧约{m}米，地面设“人防工程”标志，主出入口为防护密闭门",
    "{a}号楼一单元楼梯间直通地下一层；次出入口位于{b}号楼西侧",
    "社区服务中心南侧广场下，出入口两处，分别位于广场东、西两端",
]
SHELTER_USES = ["地下停车库", "地下停车库", "仓储", "人防宣传教育室", "自行车库", "社区活动室"]
GENERATED_NOTE = "演示数据：位置与属性均为生成 / demo: position and attributes generated"
PARKING_FEES = [
    "首小时5元，之后每小时2元，每日封顶30元",
    "首小时免费，之后每小时3元",
    "白天每小时4元，夜间（20:00-次日8:00）每次5元",
    "每半小时1.5元，每日封顶25元",
]


# --- geometry in a local metric frame -----------------------------------------------------


@dataclass
class Street:
    line: LineString  # metres
    name: str
    base_number: int  # even
    half_width: float  # carriageway half width (m)
    prefix: str = CITY_PREFIX  # of addresses

    def __post_init__(self) -> None:
        (x0, y0), (x1, y1) = self.line.coords[0], self.line.coords[-1]
        length = math.hypot(x1 - x0, y1 - y0)
        self.origin = (x0, y0)
        self.direction = ((x1 - x0) / length, (y1 - y0) / length)
        self.normal = (-self.direction[1], self.direction[0])

    @property
    def length(self) -> float:
        return float(self.line.length)

    def at(self, s: float, offset: float) -> Point:
        (x0, y0), (ux, uy), (nx, ny) = self.origin, self.direction, self.normal
        return Point(x0 + ux * s + nx * offset, y0 + uy * s + ny * offset)

    def locate(self, p: Point) -> tuple[float, float]:
        """(distance along, signed offset) of a point."""
        dx, dy = p.x - self.origin[0], p.y - self.origin[1]
        return (
            dx * self.direction[0] + dy * self.direction[1],
            dx * self.normal[0] + dy * self.normal[1],
        )

    def address(self, s: float, offset: float) -> str:
        # Even numbers on the left side, odd on the right, about one number per 18 m.
        number = self.base_number + 2 * int(max(s, 0) // 18) + (0 if offset >= 0 else 1)
        return f"{self.prefix}{self.name}{number}号"


@dataclass
class Layout:
    code: str
    name: str
    frame: Frame
    inner: BaseGeometry  # community shrunk by INSET_M, metres (prepared)
    core: BaseGeometry
    theta: float  # street orientation (degrees)
    streets: list[Street]
    blocks: BaseGeometry  # core minus streets and pavements (prepared)
    campaign: dt.date  # when the community was surveyed
    names: set[str] = field(default_factory=set)  # proper names in use (district-wide)
    parking: list[Polygon] = field(default_factory=list)
    profile: Profile = SYNTHETIC

    @property
    def short(self) -> str:
        return self.name.removesuffix("社区")

    @property
    def street_office(self) -> str:
        return self.profile.street_office(self.code)

    def inside(self, geom: BaseGeometry) -> bool:
        if isinstance(geom, Point):
            return bool(shapely.contains_xy(self.inner, geom.x, geom.y))
        return bool(self.inner.contains(geom))

    def nearest_street(self, p: Point) -> Street:
        return min(self.streets, key=lambda st: st.line.distance(p))

    def address_of(self, geom: BaseGeometry) -> str:
        p = geom if isinstance(geom, Point) else geom.representative_point()
        street = self.nearest_street(p)
        return street.address(*street.locate(p))


@dataclass
class Draft:
    klass: str
    geom: BaseGeometry  # metres
    name: str
    address: str
    attributes: dict[str, Any]
    organizations: tuple[str, str, str] | None = None


def _layout(
    rng: random.Random, area: AdminArea, names: set[str], profile: Profile = SYNTHETIC
) -> Layout:
    boundary = shapely.from_wkb(bytes(area.boundary.wkb))
    centroid = boundary.centroid
    frame = Frame(round(centroid.x, 4), round(centroid.y, 4))
    poly = frame.to_m(boundary)
    inner = poly.buffer(-INSET_M)
    # The core's centre: as deep inside the community as practical.
    center = inner.representative_point()
    for depth in (700, 550, 400, 250):
        deep = inner.buffer(-depth)
        if not deep.is_empty:
            center = deep.representative_point()
            break
    theta = rng.uniform(-40, 50)
    size = rng.uniform(700, 1000)
    square = affinity.rotate(
        box(center.x - size / 2, center.y - size / 2, center.x + size / 2, center.y + size / 2),
        theta,
        origin=center,
    )
    core = square.intersection(inner)
    road_zone = core.intersection(inner.buffer(-20))
    short = area.name.removesuffix("社区")
    roads = [r for r in (profile.roads or ROADS) if r != COMMUNITY_ROADS.get(short)]
    rng.shuffle(roads)
    if short in COMMUNITY_ROADS:
        roads.insert(0, COMMUNITY_ROADS[short])
    streets: list[Street] = []
    for turn in (0, 90):
        n = rng.randint(2, 3)
        spacing = size / (n + 1)
        for i in range(n):
            offset = -size / 2 + spacing * (i + 1) + rng.uniform(-0.15, 0.15) * spacing
            line = LineString(
                [(center.x - size, center.y + offset), (center.x + size, center.y + offset)]
            )
            line = affinity.rotate(line, theta + turn, origin=center)
            name = roads.pop(0)
            base = 2 * rng.randint(1, 120)
            half_width = rng.choice([5.0, 6.0, 7.5, 7.5, 9.0, 12.0])
            for piece in shapely.get_parts(line.intersection(road_zone)):
                if isinstance(piece, LineString) and piece.length >= 80:
                    streets.append(Street(piece, name, base, half_width, profile.address_prefix))
    if not streets:
        raise RuntimeError(f"demo components: no street fits into community {area.code}")
    pavements = shapely.union_all([st.line.buffer(st.half_width + 6) for st in streets])
    blocks = core.difference(pavements)
    shapely.prepare(inner)
    shapely.prepare(blocks)
    span = (LAST_DAY - FIRST_DAY).days - 60
    campaign = FIRST_DAY + dt.timedelta(days=rng.randint(0, span))
    return Layout(
        area.code,
        area.name,
        frame,
        inner,
        core,
        theta,
        streets,
        blocks,
        campaign,
        names,
        profile=profile,
    )


def _allocate(rng: random.Random, total: int, n: int) -> list[int]:
    """Split ``total`` over ``n`` communities with some variety."""
    return _split(total, [rng.uniform(0.5, 1.5) for _ in range(n)])


def _split(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder)."""
    n = len(weights)
    raw = [total * w / sum(weights) for w in weights]
    counts = [int(r) for r in raw]
    by_fraction = sorted(range(n), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_fraction[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _weighted(rng: random.Random, options: Iterable[tuple[Any, float]]) -> Any:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _along_street(
    rng: random.Random, layout: Layout, offset: Callable[[Street], float]
) -> tuple[Point, Street, float, float]:
    """A random point beside a street (street chosen by length), inside the community."""
    lengths = [st.length for st in layout.streets]
    for _ in range(200):
        street = rng.choices(layout.streets, weights=lengths)[0]
        s = rng.uniform(3, street.length - 3)
        d = offset(street) * rng.choice((-1, 1))
        p = street.at(s, d)
        if layout.inside(p):
            return p, street, s, d
    raise RuntimeError(f"demo components: no room along the streets of {layout.code}")


def _in_blocks(rng: random.Random, layout: Layout) -> Point:
    minx, miny, maxx, maxy = layout.blocks.bounds
    for _ in range(2000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not (
            shapely.contains_xy(layout.blocks, x, y) and shapely.contains_xy(layout.inner, x, y)
        ):
            continue
        p = Point(x, y)
        if not any(lot.distance(p) < 3 for lot in layout.parking):
            return p
    raise RuntimeError(f"demo components: no room between the streets of {layout.code}")


def _unique(used: set[str], *candidates: str) -> str:
    """The first candidate name not in use yet (else the first one, numbered)."""
    free = [c for c in candidates if c not in used]
    name, n = (free[0] if free else candidates[0]), 1
    while name in used:
        n += 1
        name = f"{candidates[0]}（{n}）"
    used.add(name)
    return name


# --- per class ----------------------------------------------------------------------------


def _street_items(
    rng: random.Random,
    layout: Layout,
    klass: str,
    count: int,
    offset: Callable[[Street], float],
    make: Callable[[], tuple[str, dict[str, Any]]],
) -> list[Draft]:
    drafts = []
    for _ in range(count):
        p, street, s, d = _along_street(rng, layout, offset)
        name, attributes = make()
        drafts.append(Draft(klass, p, name, street.address(s, d), attributes))
    return drafts


def _network(
    rng: random.Random,
    layout: Layout,
    klass: str,
    count: int,
    offset: Callable[[Street], float],
    make: Callable[[], tuple[str, dict[str, Any]]],
    *,
    both_sides: bool = False,
) -> list[Draft]:
    """Items in runs along one to three streets, at a fixed offset from the centre line (a
    pipe or cable under one lane or one pavement), evenly spaced with some jitter;
    ``both_sides`` alternates between the two kerbs (drain grates, bins)."""
    if count == 0:
        return []
    k = min(len(layout.streets), rng.randint(1, 3))
    # Weighted sampling without replacement (Efraimidis-Spirakis): longer streets first.
    keyed = sorted(layout.streets, key=lambda st: rng.random() ** (1 / st.length), reverse=True)
    chosen = keyed[:k]
    drafts = []
    for street, n in zip(chosen, _split(count, [st.length for st in chosen]), strict=True):
        base = rng.choice((-1, 1)) * offset(street)
        interval = (street.length - 10) / max(n, 1)
        for i in range(n):
            s = 5 + interval * (i + 0.5 + rng.uniform(-0.2, 0.2))
            d = (-base if both_sides and i % 2 else base) + rng.uniform(-0.2, 0.2)
            p = street.at(s, d)
            address = street.address(s, d)
            if not layout.inside(p):  # cannot happen with the street margins; be safe
                p, other, s, d = _along_street(rng, layout, offset)
                address = other.address(s, d)
            name, attributes = make()
            drafts.append(Draft(klass, p, name, address, attributes))
    return drafts


def _manhole(rng: random.Random, klass: str) -> tuple[str, dict[str, Any]]:
    cables = klass in ("0105", "0107")
    shape = (
        _weighted(rng, [("圆形", 3), ("方形", 3), ("矩形", 4)])
        if cables
        else _weighted(rng, [("圆形", 19), ("方形", 1)])
    )
    size = {
        "圆形": rng.choice([600, 700, 700, 700, 800]),
        "方形": rng.choice([600, 700, 800]),
        "矩形": rng.choice([800, 1000, 1200]),
    }[shape]
    attributes: dict[str, Any] = {
        "material": _weighted(
            rng, [("球墨铸铁", 60), ("复合材料", 20), ("铸铁", 12), ("混凝土", 5), ("钢", 3)]
        ),
        "shape": shape,
        "size_mm": size,
    }
    if rng.random() < 0.85:  # depth is not always recorded
        low, high = MANHOLE_DEPTHS[klass]
        attributes["depth_m"] = round(rng.uniform(low, high), 1)
    return catalog_data.class_by_code()[klass]["name_zh"], attributes


def _covers(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    offsets: dict[str, Callable[[Street], float]] = {
        "0101": lambda st: st.half_width * rng.uniform(0.3, 0.6),
        "0102": lambda st: rng.uniform(0.0, 1.5),
        "0103": lambda st: st.half_width * rng.uniform(0.6, 0.85),
        "0105": lambda st: st.half_width + rng.uniform(2.0, 4.0),
        "0107": lambda st: st.half_width + rng.uniform(1.5, 4.0),
        "0111": lambda st: st.half_width + rng.uniform(1.0, 3.0),
    }
    return _network(rng, layout, klass, count, offsets[klass], lambda: _manhole(rng, klass))


def _grates(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    def make() -> tuple[str, dict[str, Any]]:
        return "雨水箅子", {
            "material": _weighted(rng, [("球墨铸铁", 6), ("复合材料", 3), ("钢", 1)]),
            "size_mm": rng.choice([500, 600, 750]),
        }

    return _network(
        rng, layout, klass, count, lambda st: st.half_width - 0.3, make, both_sides=True
    )


def _hydrants(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    def make() -> tuple[str, dict[str, Any]]:
        kind = _weighted(rng, [("室外消火栓", 90), ("消防水泵接合器", 7), ("消防取水口", 3)])
        attributes: dict[str, Any] = {
            "facility_type": kind,
            "pressure_mpa": round(rng.uniform(0.15, 0.45), 2),
            "pipe_diameter_mm": rng.choice([100, 100, 150]),
        }
        if kind == "室外消火栓":
            attributes["hydrant_type"] = _weighted(rng, [("地上式", 3), ("地下式", 1)])
        return kind, attributes

    return _network(
        rng, layout, klass, count, lambda st: st.half_width + rng.uniform(0.5, 1.0), make
    )


def _bins(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    def make() -> tuple[str, dict[str, Any]]:
        if rng.random() < 0.75:
            kind = _weighted(
                rng, [("其他垃圾", 35), ("可回收物", 30), ("厨余垃圾", 25), ("有害垃圾", 10)]
            )
            return f"分类垃圾箱（{kind}）", {
                "sorted": True,
                "bin_type": kind,
                "volume_l": rng.choice([120, 120, 240]),
            }
        return "垃圾箱", {
            "sorted": False,
            "bin_type": "混合",
            "volume_l": rng.choice([60, 80, 120]),
        }

    return _network(
        rng,
        layout,
        klass,
        count,
        lambda st: st.half_width + rng.uniform(0.8, 1.5),
        make,
        both_sides=True,
    )


def _benches(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    def make() -> tuple[str, dict[str, Any]]:
        return "街头座椅", {
            "material": _weighted(
                rng, [("塑木", 40), ("木材", 20), ("石材", 15), ("金属", 15), ("不锈钢", 10)]
            ),
            "seats": _weighted(rng, [(2, 3), (3, 5), (4, 2)]),
        }

    return _street_items(
        rng, layout, klass, count, lambda st: st.half_width + rng.uniform(2.0, 4.0), make
    )


def _boards(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    def make() -> tuple[str, dict[str, Any]]:
        return _unique(layout.names, f"{layout.short}社区宣传栏"), {
            "width_m": rng.choice([1.5, 2.0, 2.4, 3.0, 4.0]),
            "height_m": rng.choice([1.2, 1.5, 1.8, 2.2]),
            "content_owner": f"{layout.name}居民委员会",
        }

    return _street_items(
        rng, layout, klass, count, lambda st: st.half_width + rng.uniform(4.0, 8.0), make
    )


def _toilets(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    drafts = []
    for _ in range(count):
        p, street, s, d = _along_street(
            rng, layout, lambda st: st.half_width + rng.uniform(8.0, 15.0)
        )
        names = [f"{street.name}公厕", f"{layout.short}社区公厕"]
        if rng.random() < 0.3:
            names.reverse()
        name = _unique(layout.names, *names, f"{layout.short}社区{street.name}公厕")
        level = _weighted(rng, [("一类", 2), ("二类", 5), ("三类", 3)])
        first, second = level == "一类", level == "二类"
        attributes = {
            "opening_hours": _weighted(
                rng,
                [
                    ("24/7", 35),
                    ("Mo-Su 05:30-23:00", 30),
                    ("Mo-Su 06:00-22:00", 25),
                    ("Mo-Su 05:00-24:00", 10),
                ],
            ),
            "accessible": first or second or rng.random() < 0.6,
            "baby_care_room": first or (second and rng.random() < 0.5) or rng.random() < 0.05,
            "gender_neutral_room": first or (second and rng.random() < 0.4),
            "fee": "免费" if rng.random() < 0.95 else "收费",
            "level": level,
        }
        drafts.append(Draft(klass, p, name, street.address(s, d), attributes))
    return drafts


def _street_trees(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    drafts: list[Draft] = []
    lengths = [st.length for st in layout.streets]
    attempts = 0
    while len(drafts) < count and attempts < 500:
        attempts += 1
        street = rng.choices(layout.streets, weights=lengths)[0]
        n = min(count - len(drafts), rng.randint(8, 24), int((street.length - 10) // 8))
        if n < 3 and count - len(drafts) >= 3:
            continue
        species, latin, _w = _weighted(rng, [(t, t[2]) for t in STREET_TREES])
        side = rng.choice((-1, 1))
        planted_dbh = rng.uniform(12, 50)  # one row, one planting: similar sizes
        s = rng.uniform(5, street.length - 5 - 8 * n)
        row = []
        for _ in range(n):
            p = street.at(s, side * (street.half_width + 1.5))
            dbh = min(max(planted_dbh + rng.gauss(0, 3), 10), 60)
            height = min(max(3 + dbh * 0.25 + rng.gauss(0, 1), 5), 18)
            attributes = {
                "species": species,
                "species_latin": latin,
                "dbh_cm": round(dbh, 1),
                "height_m": round(height, 1),
                "crown_m": round(max(1.5, dbh * 0.12 + rng.gauss(0, 0.5)), 1),
            }
            address = street.address(s, side)
            row.append(Draft(klass, p, f"{species}行道树", address, attributes))
            s += rng.uniform(6, 8)
        if all(layout.inside(d.geom) for d in row):
            drafts.extend(row)
    return drafts


def _ancient_trees(
    rng: random.Random, layout: Layout, klass: str, count: int, tags: list[int]
) -> list[Draft]:
    drafts = []
    for _ in range(count):
        p = _in_blocks(rng, layout)
        species, latin, _w = _weighted(rng, [(t, t[2]) for t in ANCIENT_TREES])
        grade = _weighted(rng, [("一级", 15), ("二级", 25), ("三级", 60)])
        low, high = ANCIENT_TREE_AGES[grade]
        age = rng.randint(low, high)
        if grade == "一级":
            age = max(low, age // 10 * 10)  # old ages are estimated to the decade
        tags.append(tags[-1] + rng.randint(1, 40) if tags else rng.randint(1, 30))
        attributes = {
            "species": species,
            "species_latin": latin,
            "dbh_cm": round(40 + age * 0.22 + rng.gauss(0, 8), 1),
            "height_m": round(min(10 + age * 0.02 + rng.gauss(0, 2), 35), 1),
            "crown_m": round(min(8 + age * 0.015 + rng.gauss(0, 2), 30), 1),
            "protection_grade": grade,
            "estimated_age_years": age,
            "tag_number": f"{layout.profile.tree_tag_prefix}-{tags[-1]:04d}",
        }
        name = _unique(layout.names, f"{layout.short}社区古{species}")
        drafts.append(Draft(klass, p, name, layout.address_of(p), attributes))
    return drafts


def _shelters(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    drafts = []
    for i in range(count):
        p = _in_blocks(rng, layout)
        capacity = rng.randrange(300, 3000, 10)
        road = layout.nearest_street(p).name
        entrance = rng.choice(SHELTER_ENTRANCES).format(
            a=rng.randint(1, 12), b=rng.randint(13, 30), m=rng.randrange(20, 80, 5), road=road
        )
        attributes = {
            "capacity_persons": capacity,
            "area_m2": round(capacity * rng.uniform(1.0, 1.5)),
            "entrance_description": entrance,
            "protection_level": _weighted(
                rng, [("核6级", 40), ("核6B级", 30), ("常6级", 15), ("核5级", 10), ("常5级", 5)]
            ),
            "peacetime_use": rng.choice(SHELTER_USES),
        }
        base = f"{layout.short}社区人防工程" if i == 0 else f"{layout.short}社区{i + 1}号人防工程"
        name = _unique(layout.names, base)
        drafts.append(Draft(klass, p, name, layout.address_of(p), attributes))
    return drafts


def _parking(rng: random.Random, layout: Layout, klass: str, count: int) -> list[Draft]:
    drafts = []
    for _ in range(count):
        rect = None
        for attempt in range(400):
            shrink = 1.0 if attempt < 200 else 0.5
            width = rng.uniform(30, 120) * shrink
            depth = min(rng.uniform(20, 60) * shrink, width)
            c = _in_blocks(rng, layout)
            candidate = affinity.rotate(
                box(c.x - width / 2, c.y - depth / 2, c.x + width / 2, c.y + depth / 2),
                layout.theta + rng.choice((0, 90)),
                origin=c,
            )
            fits = layout.blocks.contains(candidate) and layout.inside(candidate)
            if fits and not any(candidate.distance(other) < 5 for other in layout.parking):
                rect = candidate
                break
        if rect is None:
            raise RuntimeError(f"demo components: no room for a parking lot in {layout.code}")
        layout.parking.append(rect)
        street = layout.nearest_street(rect.centroid)
        residential = rng.random() < 0.3
        levels = 1 if residential or rng.random() < 0.8 else rng.randint(2, 3)
        capacity = min(max(round(rect.area / rng.uniform(25, 32)) * levels, 20), 800)
        short, road = layout.short, street.name
        if residential:
            names = [f"{short}社区小区停车场", f"{short}社区{road}小区停车场"]
        elif levels > 1:
            names = [f"{short}立体停车库", f"{road}立体停车库"]
        else:
            names = [f"{road}停车场", f"{short}社区公共停车场"]
            if rng.random() < 0.5:
                names.reverse()
            names.append(f"{road}{short}停车场")
        name = _unique(layout.names, *names)
        attributes: dict[str, Any] = {
            "capacity": capacity,
            "charging_spaces": round(capacity * rng.uniform(0.05, 0.25)),
            "accessible_spaces": max(1, round(capacity * 0.02)),
            "opening_hours": "24/7" if residential or rng.random() < 0.7 else "Mo-Su 07:00-22:00",
        }
        if residential:
            attributes["fee"] = "收费"
            attributes["fee_description"] = "业主月租；外来车辆每小时3元"
            attributes["operator_note"] = "小区物业管理，外来车辆临时停放需在岗亭登记"
        elif rng.random() < 0.85:
            attributes["fee"] = "收费"
            attributes["fee_description"] = rng.choice(PARKING_FEES)
            attributes["operator_note"] = "杭州城市停车服务有限公司运营，支持“先离场后付费”"
        else:
            attributes["fee"] = "免费"
        drafts.append(
            Draft(
                klass,
                rect,
                name,
                layout.address_of(rect),
                attributes,
                PROPERTY_PARKING if residential else None,
            )
        )
    return drafts


# --- the common properties ----------------------------------------------------------------


def _status(rng: random.Random, klass: str) -> tuple[str, str]:
    r = rng.random()
    wanted = "damaged" if r < 0.04 else "missing" if r < 0.05 else "occupied" if r < 0.06 else ""
    notes = STATUS_NOTES.get(klass, {})
    if wanted and wanted not in notes:
        wanted = "damaged" if "damaged" in notes and wanted == "missing" else ""
    if not wanted:
        return "good", ""
    return wanted, rng.choice(notes[wanted])


def _date(rng: random.Random, layout: Layout) -> dt.date:
    if rng.random() < 0.15:  # added or re-surveyed later
        day = FIRST_DAY + dt.timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
    else:
        day = layout.campaign + dt.timedelta(days=rng.randint(0, 40))
    return min(day, LAST_DAY)


def _feature(rng: random.Random, layout: Layout, draft: Draft) -> dict[str, Any]:
    orgs = draft.organizations or ORGANIZATIONS[draft.klass]
    competent, owner, maintainer = (
        layout.street_office if org == "street" else layout.profile.org(org) for org in orgs
    )
    status, notes = _status(rng, draft.klass)
    initial = _date(rng, layout)
    change = initial
    if status != "good":
        change = min(initial + dt.timedelta(days=rng.randint(30, 900)), LAST_DAY)
    properties: dict[str, Any] = {
        "class": draft.klass,
        "name": draft.name,
        "address": draft.address,
        "status": status,
        "competent_department": competent,
        "owner": owner,
        "maintainer": maintainer,
        "initial_date": initial.isoformat(),
        "change_date": change.isoformat(),
        "attributes": draft.attributes,
    }
    if layout.profile != SYNTHETIC:
        # The real-geography demo: every value of this component is generated, and says so.
        properties["data_source"] = DataSource.GENERATED
        properties["notes"] = "；".join(filter(None, [notes, GENERATED_NOTE]))
        return {
            "type": "Feature",
            "geometry": mapping(layout.frame.to_deg(draft.geom)),
            "properties": properties,
        }
    r = rng.random()
    if r < 0.90:
        seconds = rng.randint(8 * 3600 + 1800, 17 * 3600 + 1800)
        time = dt.datetime.combine(initial, dt.time()) + dt.timedelta(seconds=seconds)
        poor = r < 0.02  # urban canyon or tree cover: no RTK fix
        properties["data_source"] = "measured"
        properties["gnss"] = {
            "fix": rng.choice(["autonomous", "dgps"]) if poor else "rtk_fixed",
            "accuracy_m": round(rng.uniform(1.5, 4.0) if poor else rng.uniform(0.01, 0.05), 3),
            "satellites": rng.randint(8, 13) if poor else rng.randint(14, 28),
            "time": time.isoformat() + "+08:00",
            "device": rng.choice(GNSS_DEVICES),
        }
        if poor:
            notes = "；".join(filter(None, [notes, "高楼或树冠遮挡，RTK未固定，待复测"]))
    else:
        properties["data_source"] = "digitized"
    if notes:
        properties["notes"] = notes
    return {
        "type": "Feature",
        "geometry": mapping(layout.frame.to_deg(draft.geom)),
        "properties": properties,
    }


GENERATORS: dict[str, Callable[[random.Random, Layout, str, int], list[Draft]]] = {
    "0101": _covers,
    "0102": _covers,
    "0103": _covers,
    "0104": _grates,
    "0105": _covers,
    "0107": _covers,
    "0111": _covers,
    "0113": _hydrants,
    "0201": _parking,
    "0301": _toilets,
    "0305": _bins,
    "0402": _street_trees,
    "0407": _benches,
    "0501": _boards,
    "0502": _shelters,
}


def _communities(profile: Profile) -> list[AdminArea]:
    areas = AdminArea.objects.filter(level=AreaLevel.COMMUNITY, code__startswith=profile.district)
    result = list(areas.order_by("code"))
    if profile != SYNTHETIC:
        # Residents' committees only (not a remainder area such as a campus).
        result = [a for a in result if divisions.get(a.code) is not None]
    return result


def features(
    profile: Profile = SYNTHETIC, skip_classes: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """All generated demo features (GeoJSON, CRS84) of the profile's district, community by
    community, leaving out ``skip_classes`` (classes the demo has real data of);
    deterministic for the same stored communities."""
    rng = random.Random(SEED)  # noqa: S311 (fixed seed: the same demo every time)
    communities = _communities(profile)
    if not communities:
        raise RuntimeError("demo components: load the demo areas first (layers.demo.load).")
    names: set[str] = set()
    strict = profile == SYNTHETIC  # the real communities are small and irregular
    layouts = []
    for area in communities:
        try:
            layouts.append(_layout(rng, area, names, profile))
        except RuntimeError:
            if strict:
                raise
    skipped = set(skip_classes)
    counts = {code: n for code, n in COUNTS.items() if code not in skipped}
    allocation = {code: _allocate(rng, count, len(layouts)) for code, count in counts.items()}
    tags: list[int] = []
    result: list[dict[str, Any]] = []
    for i, layout in enumerate(layouts):
        drafts: list[Draft] = []
        # Parking first: the lots claim their blocks before anything else is placed.
        for code in sorted(counts, key=lambda c: c != "0201"):
            try:
                if code == "0401":
                    drafts += _ancient_trees(rng, layout, code, allocation[code][i], tags)
                elif code == "0201":
                    drafts += _parking(rng, layout, code, allocation[code][i])
                else:
                    drafts += GENERATORS[code](rng, layout, code, allocation[code][i])
            except RuntimeError:
                if strict:
                    raise
        drafts.sort(key=lambda d: d.klass)
        result.extend(_feature(rng, layout, d) for d in drafts)
    return result


def store(features: list[dict[str, Any]]) -> list[Component]:
    """Store demo features through the catalog's service as the demo user, in changesets of
    source ``demo`` (all or nothing); returns the components in the order given."""
    user = get_user_model().objects.filter(username=USERNAME).first()
    if user is None:
        raise RuntimeError(f"demo components: the demo user {USERNAME!r} does not exist.")
    stored: list[Component] = []
    with transaction.atomic():  # all or nothing: a half-loaded demo would block a retry
        for start in range(0, len(features), CHUNK):
            ctx = services.EditContext(user=user, comment=COMMENT, source=ChangesetSource.DEMO)
            stored += services.batch(ctx, features[start : start + CHUNK], crs="CRS84")
    return stored


def loaded() -> bool:
    """Whether demo components were loaded before (of any geography)."""
    return Changeset.objects.filter(source=ChangesetSource.DEMO).exists()


def load(profile: Profile = SYNTHETIC, skip_classes: Iterable[str] = ()) -> int:
    """Create the demo components; returns how many (0 if they were loaded before)."""
    if loaded():
        return 0
    return len(store(features(profile, skip_classes)))
