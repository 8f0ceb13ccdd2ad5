"""Demo parking: the demo parking lots (components of class 0201) get parking data —
operator, capacity by kind (from the component's attributes), floors, an entry and an exit
gate each with a plate camera, marked spaces laid out in rows with aisles, and space
cameras in the multi-storey and every third lot — and a week of simulated traffic, stored
through the real event engine (``engine.record``), so occupancy, history, presence and
reverse car finding hold what live devices would have produced.

Deterministic (seeded). Idempotent: nothing happens if any lot has parking data.
The demo car ``DEMO_PLATE`` is parked now, at a space of a lot with space cameras.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

import shapely
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.db import transaction
from django.utils import timezone
from shapely.geometry import Polygon as ShapelyPolygon

from community.parking import engine, partitions, privacy, services
from community.parking.inputs import EventIn
from community.parking.models import Channel, Floor, ParkingLot, SpaceKind
from component_catalog.models import Component, Currency
from gis_app.models import Organization
from layers.demo_geometry import Frame

SEED = 20250106
DAYS = 7
DEMO_PLATE = "浙A7D520"
SPACE_W, SPACE_D, AISLE = 2.5, 5.3, 6.0
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
PLATE_AUTHORITIES = "AAAAAAAHBC"  # mostly 浙A (Hangzhou)


# --- geometry in a local metric frame around the lot -------------------------------------


def space_layout(outline_m: ShapelyPolygon) -> list[ShapelyPolygon]:
    """Spaces (2.5 x 5.3 m) in rows along the long side, rows in pairs facing a 6 m aisle,
    3 m kept free at both ends for the gates; ordered from the first end."""
    rect = outline_m.minimum_rotated_rectangle
    xs, ys = rect.exterior.coords.xy
    c = [(xs[i], ys[i]) for i in range(4)]
    if math.dist(c[0], c[1]) < math.dist(c[1], c[2]):
        c = c[1:] + c[:1]
    origin, along_end, across_end = c[1], c[0], c[2]
    width, depth = math.dist(origin, along_end), math.dist(origin, across_end)
    u = ((along_end[0] - origin[0]) / width, (along_end[1] - origin[1]) / width)
    v = ((across_end[0] - origin[0]) / depth, (across_end[1] - origin[1]) / depth)
    rows: list[float] = []  # distance of each row's near edge from the long side
    y = 0.5
    while y + SPACE_D <= depth - 0.5:
        rows.append(y)
        y += SPACE_D + (AISLE if len(rows) % 2 == 1 else 0.0)
    per_row = max(0, math.floor((width - 6.0) / SPACE_W))

    def at(a: float, b: float) -> tuple[float, float]:
        return (origin[0] + a * u[0] + b * v[0], origin[1] + a * u[1] + b * v[1])

    spaces = []
    for r in rows:
        for i in range(per_row):
            a0, a1 = 3.0 + i * SPACE_W + 0.05, 3.0 + (i + 1) * SPACE_W - 0.05
            b0, b1 = r + 0.05, r + SPACE_D - 0.05
            space = ShapelyPolygon([at(a0, b0), at(a1, b0), at(a1, b1), at(a0, b1)])
            if outline_m.contains(space):
                spaces.append(space)
    return spaces


# --- set-up ---------------------------------------------------------------------------------


@dataclass
class DemoLot:
    lot: ParkingLot
    gates: dict[str, int]
    device_in: int
    device_out: int
    spaces: list[tuple[int, str]] = field(default_factory=list)  # (id, kind)
    camera: int | None = None
    residential: bool = False


def _floors(component: Component, area_m2: float) -> list[tuple[str, int]]:
    capacity = int(component.attributes.get("capacity") or 0)
    levels = max(1, min(3, round(capacity * 28 / max(area_m2, 1.0))))
    if "立体" in component.name or levels > 1:
        return [("B1", -1), ("1F", 0), ("2F", 1)][: max(levels, 2)]
    return [("1F", 0)]


def _set_up(rng: random.Random, component: Component, index: int) -> DemoLot:
    operator = Organization.objects.get(pk=component.maintainer_id)
    capacity = services.Capacity.from_attributes(component.attributes)
    lot = services.register_lot(component, operator, capacity)
    outline = GEOSGeometry(component.geometry.wkb, srid=4490)
    shape = shapely.from_wkb(bytes(outline.wkb))
    centre = shape.centroid
    frame = Frame(centre.x, centre.y)
    outline_m = frame.to_m(shape)
    if outline_m.geom_type == "MultiPolygon":
        outline_m = max(outline_m.geoms, key=lambda g: g.area)
    ring = outline_m.exterior
    gates = {}
    for code, name, at in (("G1", "入口", 0.05), ("G2", "出口", 0.55)):
        p = frame.to_deg(ring.interpolate(at, normalized=True))
        gates[code] = services.add_gate(lot, code, Point(p.x, p.y, srid=4490), name).pk
    ident = component.identifier
    dev_in, _ = services.register_device(f"demo-{ident}-g1", lot, gate=lot.gates.get(code="G1"))
    dev_out, _ = services.register_device(f"demo-{ident}-g2", lot, gate=lot.gates.get(code="G2"))
    floors = [
        services.add_floor(lot, code, ordinal)
        for code, ordinal in _floors(component, outline_m.area)
    ]
    layout = space_layout(outline_m)
    total = capacity.standard + capacity.charging + capacity.accessible
    per_floor = min(len(layout), math.ceil(total / len(floors)))
    kinds = [SpaceKind.ACCESSIBLE] * capacity.accessible + [SpaceKind.CHARGING] * capacity.charging
    kinds += [SpaceKind.STANDARD] * capacity.standard
    rows: list[tuple[str, Polygon, str, Floor | None]] = []
    k = 0
    ground = sorted(floors, key=lambda f: abs(f.ordinal))
    for floor in ground:
        for n, polygon in enumerate(layout[:per_floor], start=1):
            if k >= len(kinds):
                break
            geometry = Polygon(list(frame.to_deg(polygon).exterior.coords), srid=4490)
            rows.append((f"{floor.code}-{n:03d}", geometry, kinds[k], floor))
            k += 1
    made = services.add_spaces(lot, rows)
    demo = DemoLot(
        lot,
        gates,
        dev_in.pk,
        dev_out.pk,
        residential="业主" in str(component.attributes.get("fee_description", "")),
    )
    if len(floors) > 1 or index % 3 == 0:
        camera, _ = services.register_device(f"demo-{ident}-cam", lot, name="车位视频")
        demo.camera = camera.pk
        demo.spaces = [(s.pk, s.kind) for s in made]
    return demo


# --- traffic ----------------------------------------------------------------------------------


def _plate(rng: random.Random) -> str:
    tail = "".join(rng.choice(PLATE_CHARS) for _ in range(5))
    return f"浙{rng.choice(PLATE_AUTHORITIES)}{tail}"


@dataclass
class Stay:
    plate: str
    start: dt.datetime
    end: dt.datetime | None  # None: still parked now
    wants: str = SpaceKind.STANDARD


def _stays(rng: random.Random, demo: DemoLot, start: dt.datetime, now: dt.datetime) -> list[Stay]:
    """A week of arrivals and departures: residents leave in the morning and come back in
    the evening; public lots fill in the day with short and long visits."""
    capacity = demo.lot.capacity_total
    stays = []
    if demo.residential:
        for _ in range(round(capacity * 0.6)):
            plate, since = _plate(rng), start - dt.timedelta(hours=6)
            day = start
            while day < now:
                if day.weekday() < 5 or rng.random() < 0.5:
                    leave = day + dt.timedelta(hours=rng.gauss(8.0, 0.8))
                    back = day + dt.timedelta(hours=rng.gauss(18.5, 1.2))
                    stays.append(Stay(plate, since, leave))
                    since = back
                day += dt.timedelta(days=1)
            stays.append(Stay(plate, since, None))
    day = start
    while day < now:
        weekend = day.weekday() >= 5
        visits = round(capacity * rng.uniform(0.8, 1.3) * (0.6 if weekend else 1.0))
        for _ in range(visits):
            hour = rng.choice([8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 16, 18, 19, 20])
            arrive = day + dt.timedelta(hours=hour, minutes=rng.uniform(0, 60))
            length = dt.timedelta(
                minutes=rng.choice([20, 45, 90, 150, 240, 480]) * rng.uniform(0.7, 1.3)
            )
            stays.append(Stay(_plate(rng), arrive, arrive + length))
        day += dt.timedelta(days=1)
    for stay in stays:
        roll = rng.random()
        stay.wants = (
            SpaceKind.CHARGING
            if roll < 0.12
            else SpaceKind.ACCESSIBLE
            if roll < 0.14
            else SpaceKind.STANDARD
        )
    return [s for s in stays if s.start < now and (s.end is None or s.end > s.start)]


def _events(
    rng: random.Random, demo: DemoLot, stays: list[Stay], now: dt.datetime
) -> list[EventIn]:
    """Gate and space events of the stays that fit (a full lot turns cars away)."""
    timeline: list[tuple[dt.datetime, int, Stay]] = []
    for stay in stays:
        timeline.append((stay.start, 1, stay))
        if stay.end is not None and stay.end < now:
            timeline.append((stay.end, 0, stay))
    timeline.sort(key=lambda t: (t[0], t[1]))
    free = {kind: [s for s, k in demo.spaces if k == kind] for kind in SpaceKind.values}
    for spaces in free.values():
        rng.shuffle(spaces)
    space_kind = dict(demo.spaces)
    inside: dict[int, int | None] = {}
    count = 0
    events: list[EventIn] = []
    has_gates = True
    seq = 0

    def event(
        device: int,
        gate: int | None,
        space: int | None,
        direction: str,
        at: dt.datetime,
        stay: Stay,
    ) -> None:
        nonlocal seq
        seq += 1
        events.append(
            EventIn(
                device_id=device,
                event_id=f"demo-{seq:07d}",
                lot_id=demo.lot.pk,
                gate_id=gate,
                space_id=space,
                space_kind=space_kind.get(space) if space else None,
                direction=direction,
                occurred_at=at,
                credential=privacy.credential("plate", stay.plate),
                lot_has_gates=has_gates,
            )
        )

    capacity = demo.lot.capacity_total
    for at, arriving, stay in timeline:
        key = id(stay)
        if arriving:
            if count >= capacity and stay.plate != DEMO_PLATE:
                continue
            count += 1
            space = None
            if demo.camera is not None:
                pool = free[stay.wants] or free[SpaceKind.STANDARD]
                space = pool.pop() if pool else None
            inside[key] = space
            event(demo.device_in, demo.gates["G1"], None, "in", at, stay)
            if space is not None and demo.camera is not None:
                parked = min(
                    at + dt.timedelta(minutes=rng.uniform(1, 4)), now - dt.timedelta(seconds=1)
                )
                event(demo.camera, None, space, "in", parked, stay)
        elif key in inside:
            space = inside.pop(key)
            count -= 1
            if space is not None:
                free[space_kind[space]].append(space)
            event(demo.device_out, demo.gates["G2"], None, "out", at, stay)
    return events


def load() -> dict[str, int]:
    """Set up the demo lots and simulate their traffic; counts of what was created."""
    if ParkingLot.objects.exists():
        return {}
    rng = random.Random(SEED)  # noqa: S311 (a fixed seed: the same demo every time)
    components = list(
        Component.objects.filter(component_class__code="0201", currency=Currency.IN_USE).order_by(
            "identifier"
        )
    )
    if not components:
        return {}
    now = timezone.now().replace(microsecond=0)
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0) - dt.timedelta(days=DAYS)
    partitions.ensure(months_back=1)
    totals: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        for index, component in enumerate(components):
            demo = _set_up(rng, component, index)
            stays = _stays(rng, demo, start, now)
            if demo.camera is not None and index == 0:
                stays.append(Stay(DEMO_PLATE, now - dt.timedelta(hours=2), None))
            events = _events(rng, demo, stays, now)
            # One batch per hour of traffic, as devices would have sent it: the history
            # gets a sample at the end of every hour with events.
            hours: dict[dt.datetime, list[EventIn]] = defaultdict(list)
            for ev in events:
                hours[ev.occurred_at.replace(minute=0, second=0, microsecond=0)].append(ev)
            for hour in sorted(hours):
                engine.record(hours[hour], Channel.DEMO, now)
            totals["lots"] += 1
            totals["spaces"] += demo.lot.spaces.count()
            totals["devices"] += 2 + (demo.camera is not None)
            totals["events"] += len(events)
    return dict(totals)
