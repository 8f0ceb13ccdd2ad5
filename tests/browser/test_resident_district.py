"""The residents' map opens on the public district its data is in, and one tap on the map
finds the nearest public toilet from that point, with the geodesic distance in metres and
a line to it: on a phone (390 x 844, touch) and a desktop (1280 x 800), in Chinese and
English.

The district is the real 下城区 (330103) of the demo: its boundary, streets and communities
and its 168 real public toilets at their positions in ``../shared/data`` (see
``district_data``). The facilities checked against are read back from the database
(``district_toilets``, ``district_public_points``)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from pyproj import Geod

from component_catalog import demo as component_demo
from component_catalog import demo_real
from component_catalog.models import Changeset, Component, ComponentHistory, IdentifierCounter
from gis_app import access
from gis_app.models import Organization
from layers import demo, demo_areas
from layers.models import AdminArea, Layer
from tests.browser.conftest import db_access, screen_point, shot, wait_for_map
from tiles import cache as tile_cache

PHONE = (390, 844)
DESKTOP = (1280, 800)
GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Place:
    identifier: str
    lon: float
    lat: float


REAL = "330103"  # 下城区


@pytest.fixture(scope="module")
def district_data(live_url: str, django_db_blocker: Any) -> Iterator[None]:
    """The real 下城区 as the demo loads it: the district (DataV, GCJ-02 converted), its
    streets and communities, and its real public toilets through the catalog's service,
    committed for the module and removed afterwards. The areas are stored directly: the
    test database's city outline is the synthetic one, which the real district overruns."""
    data_dir = Path(settings.SHARED_DATA_DIR)
    if not (data_dir / demo_real.FACILITIES).is_file():
        pytest.skip(f"the real demo's data files are not at {data_dir} (SHARED_DATA_DIR)")
    with db_access(django_db_blocker):
        records = [
            r
            for r in demo_areas.real(data_dir)
            if r.code.startswith(REAL) and r.level in ("district", "street", "community")
        ]
        demo._store_records(records)
        demo._load_organizations(demo.profile_of("real"), existing_areas_only=True)
        features, _kept, _outside = demo_real.features(data_dir)
        toilets = [f for f in features if f["properties"]["class"] == "0301"]
        stored = [c.identifier for c in component_demo.store(toilets)]
    try:
        yield
    finally:
        with db_access(django_db_blocker):
            ComponentHistory.objects.filter(identifier__in=stored).delete()
            Component.objects.filter(identifier__in=stored).delete()
            Changeset.objects.filter(edits__isnull=True).delete()
            IdentifierCounter.objects.filter(county_code=REAL).delete()
            Organization.objects.filter(area__code__startswith=REAL).delete()
            for level in ("community", "street", "district"):
                AdminArea.objects.filter(code__startswith=REAL, level=level).delete()
            for code in [*Layer.objects.values_list("code", flat=True), tile_cache.COMBINED]:
                tile_cache.invalidate_layer(code)


def public_places(django_db_blocker: Any, class_code: str | None = None) -> list[Place]:
    """In-use components anyone may see (optionally of one class), as points."""
    with db_access(django_db_blocker):
        rows = access.visible(AnonymousUser(), Component.objects.in_use())
        if class_code:
            rows = rows.filter(component_class_id=class_code)
        places = []
        for c in rows.order_by("identifier"):
            p = c.geometry if c.geometry.geom_type == "Point" else c.geometry.point_on_surface
            places.append(Place(c.identifier, p.x, p.y))
    assert places, "the district has public facilities to find"
    return places


@pytest.fixture(scope="module")
def district_toilets(district_data: None, django_db_blocker: Any) -> list[Place]:
    """The public toilets to check the answers against (stored coordinates)."""
    return public_places(django_db_blocker, "0301")


@pytest.fixture(scope="module")
def district_public_points(district_data: None, django_db_blocker: Any) -> list[Place]:
    """Every public facility of the district."""
    return public_places(django_db_blocker)


def visible_box(page: Any) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the map the finder's panel leaves visible: above the
    bottom sheet on a phone, right of the side panel on a wide screen."""
    m = page.locator(".sc-map").bounding_box()
    panel = page.locator("#finder").bounding_box()
    left, top, right, bottom = m["x"], m["y"], m["x"] + m["width"], m["y"] + m["height"]
    if panel["width"] >= m["width"] * 0.9:  # a bottom sheet
        bottom = min(bottom, panel["y"])
    else:  # a side panel over the map's left edge
        left = max(left, panel["x"] + panel["width"])
    return left, top, right, bottom


def screen_points(page: Any, places: list[Place]) -> list[tuple[float, float]]:
    """Where the places are drawn on the page (one call for many; see ``screen_point``)."""
    box = page.locator(".sc-map").bounding_box()
    drawn = page.evaluate(
        """(points) => points.map(([lat, lon]) => { const c = SCMap.current;
             const p = c.map.latLngToContainerPoint(c.toDisplay([lat, lon]));
             return [p.x, p.y]; })""",
        [[p.lat, p.lon] for p in places],
    )
    return [(box["x"] + x, box["y"] + y) for x, y in drawn]


def open_finder(open_page: Any, size: tuple[int, int], language: str) -> Any:
    phone = size == PHONE
    page = open_page("/", viewport=size, language=language, has_touch=phone, is_mobile=phone)
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.finder === 'ready'")
    return page


SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
LANGUAGES = ["zh-hans", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_the_map_opens_on_the_districts_public_facilities(
    open_page: Any, district_public_points: list[Place], size: tuple[int, int], language: str
) -> None:
    page = open_finder(open_page, size, language)
    shot(page, f"resident-district-start-{size[0]}-{language}")
    left, top, right, bottom = visible_box(page)
    points = screen_points(page, district_public_points)
    outside = [
        (place.identifier, round(x), round(y))
        for place, (x, y) in zip(district_public_points, points, strict=True)
        if not (left <= x <= right and top <= y <= bottom)
    ]
    assert outside == [], f"public facilities outside the first view {left, top, right, bottom}"
    # Framed, not lost in a corner: the facilities span a good part of the visible map.
    xs, ys = zip(*points, strict=True)
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    assert span >= 0.3 * min(right - left, bottom - top)
    hint = {"zh-hans": "点击地图选择一个地点", "en": "Tap the map to choose a point"}[language]
    assert hint in page.locator("#status").inner_text()


def shown_metres(text: str) -> float:
    found = re.search(r"(\d+(?:\.\d+)?)\s*(米|公里|m|km)", text)
    assert found, text
    value = float(found.group(1))
    return value * 1000 if found.group(2) in ("公里", "km") else value


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_one_tap_finds_the_nearest_toilet_with_its_geodesic_distance(
    open_page: Any, district_toilets: list[Place], size: tuple[int, int], language: str
) -> None:
    page = open_finder(open_page, size, language)
    # Toilets are the first kind offered: nothing to choose before tapping.
    assert page.locator('.chip[data-chip="toilet"]').get_attribute("aria-pressed") == "true"
    left, top, right, bottom = visible_box(page)
    # A spot about 150 m north-east of a toilet shown on the map (in its visible part).
    toilet = district_toilets[0]
    spot = screen_point(page, toilet.lon + 0.0012, toilet.lat + 0.0008)
    assert left < spot[0] < right and top < spot[1] < bottom
    box = page.locator(".sc-map").bounding_box()
    tapped = page.evaluate(
        "([x, y]) => { const c = SCMap.current;"
        " const p = c.fromDisplay(c.map.containerPointToLatLng([x, y])); return [p.lng, p.lat]; }",
        [spot[0] - box["x"], spot[1] - box["y"]],
    )
    if size == PHONE:
        page.touchscreen.tap(*spot)
    else:
        page.mouse.click(*spot)
    page.wait_for_selector(".result")
    page.wait_for_selector("path.sc-route")
    shot(page, f"resident-district-tap-{size[0]}-{language}")

    # The point searched from, as the page shows it (the chosen point's marker).
    origin = page.locator("path.sc-origin")
    lon, lat = float(origin.get_attribute("data-lon")), float(origin.get_attribute("data-lat"))
    # ... drawn where the tap was, on top of the markers of the results
    assert (lon, lat) == pytest.approx(tapped, abs=1e-6)
    x, y = screen_point(page, lon, lat)
    top_path = page.evaluate(
        "([x, y]) => (document.elementsFromPoint(x, y).find(e => e.tagName === 'path')"
        " || {getAttribute: () => ''}).getAttribute('class')",
        [x, y],
    )
    assert "sc-origin" in top_path
    distances = {t.identifier: GEOD.inv(lon, lat, t.lon, t.lat)[2] for t in district_toilets}
    nearest = min(distances, key=distances.__getitem__)
    first = page.locator(".result").first
    assert first.get_attribute("data-id") == nearest
    assert distances[nearest] < 1000, "the tap is near a toilet: metres, not kilometres"
    # The distance the page holds (the API's, in centimetres) is pyproj's geodesic within
    # 0.5 m, and the whole metres shown are that distance rounded.
    given = float(first.get_attribute("data-distance-m"))
    assert abs(given - distances[nearest]) <= 0.5
    shown = shown_metres(first.locator(".result-distance").inner_text())
    assert shown == math.floor(given + 0.5)  # as Math.round
    # The line to it carries the same distance.
    label = page.locator(".sc-route-label").inner_text()
    assert shown_metres(label) == shown
    status = page.locator("#status").inner_text()
    assert {"zh-hans": "距所选地点", "en": "From the point you chose"}[language] in status
    # Every result is a toilet, nearest first.
    ids = page.locator(".result").evaluate_all("els => els.map(e => e.dataset.id)")
    assert set(ids) <= set(distances)
    assert [round(distances[i], 1) for i in ids] == sorted(round(distances[i], 1) for i in ids)
    if size == PHONE:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
