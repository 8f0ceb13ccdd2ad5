"""A resident on a phone (375 x 812) finds the nearest public toilet to a point and opens its
page; a desktop user does the same with the keyboard only. Nothing leaves 127.0.0.1 (the
``open_page`` fixture's watcher)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from pyproj import Geod

from component_catalog import opening_hours
from gis_app import coords
from tests.browser.conftest import db_access, screen_point, shot, wait_for_map
from tests.ogc_data import committed_components

PHONE = (375, 812)
COMPASS_ZH = ["北", "东北", "东", "东南", "南", "西南", "西", "西北"]


@pytest.fixture(scope="module")
def toilets(live_url: str, django_db_blocker: Any) -> Any:
    with db_access(django_db_blocker), committed_components() as made:
        yield made


def nearest_public_toilet(django_db_blocker: Any, lon: float, lat: float) -> tuple[str, float]:
    """The nearest in-use public toilet by PostGIS (spheroidal distance), independently of
    the API: every toilet is public, the gas covers of the data set are not toilets."""
    with db_access(django_db_blocker), connection.cursor() as cursor:
        cursor.execute(
            "SELECT identifier, ST_Distance(geometry::geography, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography) AS d "
            "FROM component_catalog_component WHERE component_class_id = '0301' "
            "AND currency = 'in_use' ORDER BY d LIMIT 1",
            [lon, lat],
        )
        identifier, distance = cursor.fetchone()
    return identifier, float(distance)


def show_place(page: Any, lon: float, lat: float, zoom: int = 16) -> None:
    """Pan the map to a place (as a user would by dragging)."""
    page.evaluate(
        "([lat, lon, z]) => SCMap.current.map.setView(SCMap.current.toDisplay([lat, lon]), z,"
        " {animate: false})",
        [lat, lon, zoom],
    )


def tap_at(page: Any, lon: float, lat: float) -> None:
    page.touchscreen.tap(*screen_point(page, lon, lat))


def test_resident_on_a_phone_finds_the_nearest_toilet_and_opens_its_page(
    open_page: Any, toilets: Any, django_db_blocker: Any
) -> None:
    page = open_page("/", viewport=PHONE, has_touch=True, is_mobile=True)
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.finder === 'ready'")
    shot(page, "resident-1-start-375")

    # A point about 150 m east and 100 m north of the first toilet.
    with db_access(django_db_blocker):
        from component_catalog.models import Component

        first = Component.objects.get(identifier=toilets["toilets"][0]).geometry
    target = (first.x + 0.0015, first.y + 0.0009)
    show_place(page, target[0], target[1] - 0.004)  # the point in the map's upper half
    page.get_by_role("button", name="公共厕所").tap()
    tap_at(page, *target)
    page.wait_for_selector(".result")
    shot(page, "resident-2-results-375")

    # The point the page searched from (WGS 84 of the tap) and PostGIS's answer.
    lon, lat = page.evaluate("[SCFinder.origin.latlng.lng, SCFinder.origin.latlng.lat]")
    assert (lon, lat) == pytest.approx(target, abs=2e-5)  # within a pixel or two
    expected_id, expected_m = nearest_public_toilet(django_db_blocker, lon, lat)
    first_result = page.locator(".result").first
    assert first_result.get_attribute("data-id") == expected_id
    azimuth = Geod(ellps="GRS80").inv(lon, lat, first.x, first.y)[0] % 360
    direction = COMPASS_ZH[round(azimuth / 45) % 8]
    assert first_result.locator(".result-distance").inner_text() == (
        f"{direction} {round(expected_m)} 米"
    )
    meta = first_result.locator(".result-meta").inner_text()
    # the hours in words, with whether it is open now (Asia/Shanghai time)
    state = "营业中" if opening_hours.describe("Mo-Su 05:30-23:00").open_now else "已关闭"
    assert f"开放时间：每天 05:30-23:00 · {state}" in meta
    assert "无障碍" in meta and "完好" in meta
    assert page.locator(".result").count() == 5
    assert "距所选地点" in page.locator("#status").inner_text()

    # Everything to tap sits in the lower half of the screen (one-handed use).
    for selector in ["#near-me", ".chip >> nth=0", "#search-q", ".result-link >> nth=0"]:
        box = page.locator(selector).bounding_box()
        assert box["y"] >= PHONE[1] * 0.45, selector
        assert box["height"] >= 40, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]

    first_result.locator(".result-link").tap()
    page.wait_for_url(f"**/facilities/{expected_id}/")
    assert page.locator("h1").inner_text() == "保俶路公厕"
    amap = page.locator("#open-amap").get_attribute("href")
    g_lon, g_lat = map(float, parse_qs(urlsplit(amap).query)["position"][0].split(","))
    assert (g_lon, g_lat) == pytest.approx(coords.wgs84_to_gcj02(first.x, first.y), abs=1e-6)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    shot(page, "resident-3-facility-375", full_page=True)
    assert page.js_errors == []


def test_desktop_keyboard_search_and_open(open_page: Any, toilets: Any) -> None:
    page = open_page("/", language="en")
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.finder === 'ready'")
    # Tab from the top of the page to the search box.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "search-q":
            break
    else:
        pytest.fail("the search box cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    page.keyboard.type("学院路")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result")
    assert page.locator("#status").inner_text() == "From the map's centre · Matches for “学院路”: 1"
    # On to the chips: Space presses one.
    page.keyboard.press("Tab")  # the search button
    page.keyboard.press("Tab")  # first chip
    page.keyboard.press("Tab")  # second chip
    assert page.evaluate("document.activeElement.dataset.chip") == "parking"
    page.keyboard.press("Space")
    assert page.locator('.chip[data-chip="parking"]').get_attribute("aria-pressed") == "true"
    assert page.locator('.chip[data-chip="toilet"]').get_attribute("aria-pressed") == "false"
    # Shift+Tab back is not needed: the result link follows the controls.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('result-link')"):
            break
    else:
        pytest.fail("the result cannot be reached with Tab")
    shot(page, "resident-keyboard-desktop")
    page.keyboard.press("Enter")
    page.wait_for_url("**/facilities/*/")
    assert page.locator("h1").inner_text() == "学院路公厕"
    assert page.get_by_role("link", name="Open in Amap").is_visible()
    assert page.js_errors == []
