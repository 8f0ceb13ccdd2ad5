"""Label tiles of the offline basemap (``/tiles/labels/{z}/{x}/{y}.json``): the names of the
demo district's roads, rivers, areas and public facilities, at the zooms they belong to, in
the reader's language, only from what the caller may see, cached and invalidated like the
vector tiles."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.test import Client

from layers.basemap import demo as basemap_demo
from layers.basemap.models import BaseFeature
from layers.models import AdminArea, Layer
from tests.components_helpers import Api, inside
from tests.ogc_data import toilet
from tiles import cache as tile_cache
from tiles import grid, labels

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def fresh_label_tiles() -> None:
    """Cached tiles are stored outside the test's transaction: a label tile another test
    drew from its own (rolled back) data must not be served here. Invalidated in this
    test's transaction, as an edit would."""
    for code in [*Layer.objects.values_list("code", flat=True), tile_cache.LABELS]:
        tile_cache.invalidate_layer(code)


@pytest.fixture
def demo() -> None:
    basemap_demo.load()


def anchors(geometry: GEOSGeometry, z: int) -> list[tuple[float, float, float]]:
    """Where a line's labels go at zoom ``z`` (lon, lat, direction in degrees), computed
    here with GEOS from the published rule: every LINE_SPACING_PX along the line, centred."""
    line = geometry.transform(3857, clone=True)
    px = grid.tile_size(z) / labels.TILE_PX
    length = line.length
    n = max(math.floor(length / (labels.LINE_SPACING_PX * px)), 1)
    reach = labels.DIRECTION_REACH_PX * px
    found = []
    for k in range(n):
        at = (k + 0.5) / n * length
        p = line.interpolate(at)
        a, b = line.interpolate(max(at - reach, 0)), line.interpolate(min(at + reach, length))
        direction = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
        found.append((*grid.mercator_to_lonlat(p.x, p.y), direction))
    return found


def tile_at(client: Client, lon: float, lat: float, z: int, **query: str) -> dict[str, Any]:
    t = grid.tile_of(lon, lat, z)
    response = client.get(f"/tiles/labels/{t.z}/{t.x}/{t.y}.json", query)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def texts(tile: dict[str, Any], kind: str | None = None) -> set[str]:
    return {label["text"] for label in tile["labels"] if kind is None or label["kind"] == kind}


def kinds(tile: dict[str, Any]) -> set[str]:
    return {label["kind"] for label in tile["labels"]}


def road(name: str) -> BaseFeature:
    return BaseFeature.objects.get(kind="road", name=name)


def test_a_real_road_name_at_z16_along_the_road(demo: None) -> None:
    tianmushan = road("天目山路")  # a main road of Xihu, crossing the demo district
    points = anchors(tianmushan.geometry, 16)
    assert len(points) >= 3  # a long road is named more than once
    for lon, lat, direction in points:
        tile = tile_at(Client(), lon, lat, 16)
        found = [
            lab
            for lab in tile["labels"]
            if lab["text"] == "天目山路"
            and lab["lon"] == pytest.approx(lon, abs=1e-6)
            and lab["lat"] == pytest.approx(lat, abs=1e-6)
        ]
        assert len(found) == 1, (tile["labels"], lon, lat)
        label = found[0]
        assert label["kind"] == "road-major" and label["rank"] == 3
        # drawn along the road and never upside down
        assert -90 < label["angle"] <= 90
        assert label["angle"] == pytest.approx(labels.upright(direction), abs=1.0)


def test_each_anchor_is_in_one_tile_only(demo: None) -> None:
    lon, lat, _direction = anchors(road("天目山路").geometry, 16)[1]
    here = grid.tile_of(lon, lat, 16)
    client = Client()
    seen = 0
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            url = f"/tiles/labels/16/{here.x + dx}/{here.y + dy}.json"
            seen += sum(
                1
                for lab in client.get(url).json()["labels"]
                if lab["text"] == "天目山路"
                and lab["lon"] == pytest.approx(lon, abs=1e-6)
                and lab["lat"] == pytest.approx(lat, abs=1e-6)
            )
    assert seen == 1


def test_names_appear_at_their_zooms(demo: None) -> None:
    """Communities from 13, main roads from 14, secondary roads and rivers from 15, branch
    roads from 16; streets only at 11-12 (a city-wide overview)."""
    staff = Api("district_admin").client  # communities are not public in the demo
    major, secondary, minor = road("天目山路"), road("文三路"), road("马塍路")
    assert major.attributes["road_class"] == "主干路"
    assert secondary.attributes["road_class"] == "次干路"
    assert minor.attributes["road_class"] == "支路"

    def named(feature: BaseFeature, z: int) -> bool:
        lon, lat, _direction = anchors(feature.geometry, z)[0]
        return feature.name in texts(tile_at(staff, lon, lat, z))

    assert [z for z in range(12, 18) if named(major, z)] == [14, 15, 16, 17]
    assert [z for z in range(12, 18) if named(secondary, z)] == [15, 16, 17]
    assert [z for z in range(12, 18) if named(minor, z)] == [16, 17]
    river = BaseFeature.objects.get(kind="river", name="西溪河")
    assert [z for z in range(13, 18) if named(river, z)] == [15, 16, 17]

    community = AdminArea.objects.get(code="330106001001")
    spot = community.boundary.transform(3857, clone=True)
    # the largest inscribed circle's centre: ask the tiles where the label went
    z13 = [t for t in tile_at_all(staff, spot, 13) if community.name in texts(t, "community")]
    assert len(z13) == 1
    label = next(lab for lab in z13[0]["labels"] if lab["text"] == community.name)
    at = GEOSGeometry(f"SRID=4326;POINT({label['lon']} {label['lat']})").transform(4490, clone=True)
    assert community.boundary.contains(at)
    assert community.boundary.boundary.distance(at) > 0.001  # well inside, not on an edge
    for z in (11, 12):
        assert "community" not in kinds(tile_at(staff, label["lon"], label["lat"], z))
    z13_kinds = kinds(tile_at(staff, label["lon"], label["lat"], 13))
    assert "community" in z13_kinds and not z13_kinds & {"road-major", "road-minor", "poi"}


def tile_at_all(client: Client, shape: GEOSGeometry, z: int, **query: str) -> list[dict[str, Any]]:
    """Every label tile at ``z`` over a shape's extent (EPSG:3857)."""
    x0, y0, x1, y1 = grid.tile_range(shape.extent, z)
    return [
        client.get(f"/tiles/labels/{z}/{x}/{y}.json", query).json()
        for x in range(x0, x1 + 1)
        for y in range(y0, y1 + 1)
    ]


def test_public_facilities_are_named_from_zoom_17(demo: None) -> None:
    at = inside("330106001001", 1)
    response = Api("district_admin").create(toilet("保俶路公厕", at), comment="公厕普查")
    assert response.status_code == 201, response.content
    anonymous = Client()
    assert "保俶路公厕" not in texts(tile_at(anonymous, *at, 16))
    z17 = tile_at(anonymous, *at, 17)
    label = next(lab for lab in z17["labels"] if lab["text"] == "保俶路公厕")
    assert label["kind"] == "poi" and "angle" not in label
    assert (label["lon"], label["lat"]) == pytest.approx(tuple(at), abs=1e-6)


def test_english_names_on_english_requests(demo: None) -> None:
    street = AdminArea.objects.get(code="330106001")
    assert street.name_en == "Beishan Subdistrict"
    shape = street.boundary.transform(3857, clone=True)
    chinese = [t for t in tile_at_all(Client(), shape, 12) if texts(t, "street")]
    assert street.name in set().union(*(texts(t) for t in chinese))
    assert all(t["lang"] == "zh" for t in chinese)
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    found = [t for t in tile_at_all(english, shape, 12) if texts(t, "street")]
    names = set().union(*(texts(t) for t in found))
    assert "Beishan Subdistrict" in names and street.name not in names
    # the page may also say which language it shows
    t = grid.tile_of(*street.boundary.point_on_surface.coords, 12)
    asked = Client().get(f"/tiles/labels/12/{t.x}/{t.y}.json", {"lang": "en"}).json()
    assert asked["lang"] == "en"
    # roads and rivers with an English name in the data
    lon, lat, _direction = anchors(road("天目山路").geometry, 16)[0]
    assert "Tianmushan Road" in texts(tile_at(english, lon, lat, 16), "road-major")
    assert "天目山路" in texts(tile_at(Client(), lon, lat, 16), "road-major")
    river = BaseFeature.objects.get(kind="river", name="西溪河")
    lon, lat, _direction = anchors(river.geometry, 15)[0]
    assert "Xixi River" in texts(tile_at(english, lon, lat, 15, lang="en"), "river")
    # a name the data has only in Chinese stays Chinese on English pages
    community = AdminArea.objects.get(code="330106001001")
    assert community.name_en == ""
    staff = Api("district_admin").client
    shape = community.boundary.transform(3857, clone=True)
    found = tile_at_all(staff, shape, 14, lang="en")
    assert any(community.name in texts(t, "community") for t in found)


def test_no_restricted_names_for_anonymous_callers(demo: None) -> None:
    community = AdminArea.objects.get(code="330106001001")
    assert not community.is_public  # demo communities are for staff
    shape = community.boundary.transform(3857, clone=True)
    anonymous = [t for t in tile_at_all(Client(), shape, 14)]
    assert not any(community.name in texts(t) for t in anonymous)
    assert not any("community" in kinds(t) for t in anonymous)
    staff = tile_at_all(Api("district_admin").client, shape, 14)
    assert any(community.name in texts(t, "community") for t in staff)
    # anonymous callers have the (public) street's name there instead, staff do not
    street = community.parent
    assert street.is_public
    assert any(street.name in texts(t, "street") for t in anonymous)
    assert not any("street" in kinds(t) for t in staff)
    # a layer made private: its names leave the anonymous tiles at once (cached or not)
    lon, lat, _direction = anchors(road("天目山路").geometry, 16)[0]
    before = Client().get(
        "/tiles/labels/16/{1}/{2}.json".format(*grid.tile_of(lon, lat, 16).__dict__.values())
    )
    assert "天目山路" in texts(before.json()) and before["Cache-Control"].startswith("public")
    Layer.objects.filter(code="roads").update(is_public=False)
    hidden = tile_at(Client(), lon, lat, 16)
    assert not {"road-major", "road-secondary", "road-minor"} & kinds(hidden)
    staff_tile = Api("planner").client.get(
        "/tiles/labels/16/{1}/{2}.json".format(*grid.tile_of(lon, lat, 16).__dict__.values())
    )
    assert "天目山路" in texts(staff_tile.json())
    assert staff_tile["Cache-Control"] == "private, no-cache"


def test_cached_and_invalidated_by_an_edit(demo: None) -> None:
    lon, lat, _direction = anchors(road("天目山路").geometry, 16)[0]
    t = grid.tile_of(lon, lat, 16)
    url = f"/tiles/labels/16/{t.x}/{t.y}.json"
    first = Client().get(url)
    second = Client().get(url)
    assert (first["X-Tile-Cache"], second["X-Tile-Cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert Client().get(url, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304
    feature = road("天目山路")
    steward = Api("district_admin")
    response = steward.patch(
        f"/api/v1/base-features/{feature.pk}/",
        {"properties": {"name": "天目山路（测试）", "version": feature.version}, "comment": "更名"},
    )
    assert response.status_code == 200, response.content
    after = Client().get(url)
    assert after["X-Tile-Cache"] == "miss"
    assert "天目山路（测试）" in texts(after.json()) and "天目山路" not in texts(after.json())


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/labels/23/0/0.json", 404),  # above the label zooms
        ("/tiles/labels/3/8/0.json", 404),  # outside the grid
        ("/tiles/labels/31/0/0.json", 400),  # not a tile address
    ],
)
def test_bad_tile_addresses(path: str, status: int) -> None:
    response = Client().get(path)
    assert response.status_code == status
    if status == 400:
        assert response.json()["field"] == "z"


def test_low_zooms_are_empty_not_errors(demo: None) -> None:
    body = Client().get("/tiles/labels/5/26/13.json").json()
    assert body["labels"] == []
