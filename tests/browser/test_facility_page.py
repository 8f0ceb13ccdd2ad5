"""The facility page in the browser, as a resident opens it on a phone (375x812) and on a
laptop (1280x800), in Chinese and English: the small map with the facility and the user
(the browser's position, given by the context), distance and direction in words checked
against PostGIS, opening hours in words with open/closed now, a car park's free spaces as
the availability feed says; reverse car finding names the floor once. Screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from community.parking.models import Floor
from component_catalog import opening_hours
from component_catalog.models import Component
from tests.browser.conftest import db_access, shot, wait_for_map
from tests.ogc_data import committed_components
from tests.parking_support import event, make_lot, remove_lot, send

PHONE = (375, 812)
LAPTOP = (1280, 800)
SIZES = [pytest.param(PHONE, id="375"), pytest.param(LAPTOP, id="1280")]
LANGUAGES = ["zh-hans", "en"]
COMPASS = {
    "zh-hans": ["北", "东北", "东", "东南", "南", "西南", "西", "西北"],
    "en": ["north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"],
}
HAN = re.compile(r"[\u3400-\u9fff]")
WEST_DEG = 0.007  # the user stands this far west of the facility (about 670 m)
LOT_HOURS = "Mo-Fr 07:00-22:00; Sa,Su 08:00-20:00"
PLATE = "浙A9F1E2"


@pytest.fixture(scope="module")
def places(live_url: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Committed public toilets (opening hours "Mo-Su 05:30-23:00") and a car park with
    cars in it, one of them on a space of floor B1 (a floor without a name, as the demo's
    lots have)."""
    with db_access(django_db_blocker), committed_components() as made:
        lot = make_lot("文三路测试停车场", "330106002001", 1, capacity=(30, 2, 1))
        try:
            Component.objects.filter(identifier=lot.identifier).update(
                attributes={
                    "capacity": 33,
                    "charging_spaces": 2,
                    "accessible_spaces": 1,
                    "fee": "收费",
                    "opening_hours": LOT_HOURS,
                    "operator_note": "由物业服务中心管理",
                }
            )
            Floor.objects.filter(lot=lot.lot).update(name="")
            cars = [event(f"fpb-{n}", "in", 30, f"浙A7{n:04d}") for n in range(5)]
            assert send(lot.gate, {"events": cars}).status_code == 200
            assert send(lot.gate, event("fpb-p1", "in", 20, PLATE)).status_code == 200
            parked = event("fpb-p2", "in", 18, PLATE, space="B1-002")
            assert send(lot.camera, parked).status_code == 200
            yield {"toilet": made["toilets"][0], "lot": lot}
        finally:
            remove_lot(lot)


def position(django_db_blocker: Any, identifier: str) -> tuple[float, float]:
    """(lon, lat) of the point the page shows for a component (point on surface)."""
    with db_access(django_db_blocker), connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geometry) AS p "
            "FROM component_catalog_component WHERE identifier = %s) s",
            [identifier],
        )
        lon, lat = cursor.fetchone()
    return float(lon), float(lat)


def from_user(
    django_db_blocker: Any, user: tuple[float, float], place: tuple[float, float]
) -> tuple[float, float]:
    """PostGIS's spheroidal distance (m) and azimuth (degrees) from the user to the place."""
    with db_access(django_db_blocker), connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Distance(a::geography, b::geography), degrees(ST_Azimuth(a, b)) FROM "
            "(SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4490) AS a, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4490) AS b) s",
            [*user, *place],
        )
        distance, azimuth = cursor.fetchone()
    return float(distance), float(azimuth)


def open_facility(
    open_page: Any, identifier: str, place: tuple[float, float], size: Any, language: str
) -> Any:
    user = (place[0] - WEST_DEG, place[1])
    options: dict[str, Any] = {
        "geolocation": {"latitude": user[1], "longitude": user[0], "accuracy": 10},
        "permissions": ["geolocation"],
    }
    if size == PHONE:
        options.update(has_touch=True, is_mobile=True)
    page = open_page(f"/facilities/{identifier}/", viewport=size, language=language, **options)
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.facility === 'located'")
    page.wait_for_load_state("networkidle")  # the basemap's tiles, for the screenshot
    return page


def check_where(
    page: Any, django_db_blocker: Any, place: tuple[float, float], language: str
) -> None:
    """The distance and direction read as the nearest list words them, agree with PostGIS,
    and the map shows both the facility and the user."""
    user = (place[0] - WEST_DEG, place[1])
    metres, azimuth = from_user(django_db_blocker, user, place)
    direction = COMPASS[language][round(azimuth / 45) % 8]
    text = page.locator("#facility-distance").inner_text()
    if language == "en":
        match = re.fullmatch(r"(\w+) (\d+) m from you", text)
    else:
        match = re.fullmatch(r"位于您(\S+) (\d+) 米处", text)
    assert match, text
    assert match[1] == direction == COMPASS[language][2]  # east
    assert abs(int(match[2]) - metres) <= max(1.0, metres * 0.002), (text, metres)
    shown = page.evaluate(
        "([a, b]) => { const m = SCMap.current.map, bounds = m.getBounds();"
        " return [bounds.contains(SCMap.current.toDisplay(a)),"
        " bounds.contains(SCMap.current.toDisplay(b)), m.getZoom()]; }",
        [[place[1], place[0]], [user[1], user[0]]],
    )
    assert shown[0] and shown[1], shown
    assert 12 <= shown[2] <= 18, shown
    assert page.locator("#facility-locate").is_hidden()
    assert page.locator("#facility-key-you").is_visible()
    box = page.locator(".facility-map").bounding_box()
    assert box and box["height"] >= 200
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def labels_of(page: Any) -> list[str]:
    return page.locator(".facility dt").all_inner_texts()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_toilet_page_shows_the_user_distance_and_hours_in_words(
    open_page: Any, places: dict[str, Any], django_db_blocker: Any, size: Any, language: str
) -> None:
    ident = places["toilet"]
    place = position(django_db_blocker, ident)
    page = open_facility(open_page, ident, place, size, language)
    check_where(page, django_db_blocker, place, language)
    hours = page.locator(".hours-row").inner_text()
    words = "每天 05:30-23:00" if language == "zh-hans" else "Daily 05:30-23:00"
    assert words in hours and "Mo-Su" not in hours
    open_now = opening_hours.describe("Mo-Su 05:30-23:00").open_now
    badge = {
        ("zh-hans", True): "营业中",
        ("zh-hans", False): "已关闭",
        ("en", True): "Open now",
        ("en", False): "Closed now",
    }[(language, bool(open_now))]
    assert page.locator("#open-now").inner_text() == badge
    if language == "en":
        assert [label for label in labels_of(page) if HAN.search(label)] == []
        assert "Wheelchair-accessible WC" in labels_of(page)
    shot(page, f"facility-toilet-{size[0]}-{language}", full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_car_park_page_shows_free_spaces_now_like_the_list(
    open_page: Any, places: dict[str, Any], django_db_blocker: Any, size: Any, language: str
) -> None:
    lot = places["lot"]
    place = position(django_db_blocker, lot.identifier)
    page = open_facility(open_page, lot.identifier, place, size, language)
    check_where(page, django_db_blocker, place, language)
    feed = page.request.get(page.url.split("/facilities/")[0] + "/api/v1/parking/availability/")
    assert feed.ok
    state = next(i for i in feed.json()["lots"] if i["id"] == lot.identifier)
    free, capacity = state["free"]["total"], state["capacity"]["total"]
    assert (free, capacity) == (27, 33)
    summary = page.locator("#parking-free strong").inner_text()
    if language == "en":
        assert summary == f"{free} of {capacity} free"
    else:
        assert re.search(rf"\b{free}\b", summary) and re.search(rf"\b{capacity}\b", summary), (
            summary
        )
    hours = page.locator(".hours-row").inner_text()
    expected = (
        ["周一至周五 07:00-22:00", "周六、周日 08:00-20:00"]
        if language == "zh-hans"
        else ["Mon to Fri 07:00-22:00", "Sat, Sun 08:00-20:00"]
    )
    assert all(line in hours for line in expected), hours
    assert page.locator("#open-now").count() == 1
    rows = dict(zip(labels_of(page), page.locator(".facility dd").all_inner_texts(), strict=False))
    if language == "en":
        assert [label for label in rows if HAN.search(label)] == []
        assert rows["Charges"] == "Charged" and rows["Operator notes"] == "由物业服务中心管理"
    else:
        assert rows["收费情况"] == "收费" and rows["经营管理说明"] == "由物业服务中心管理"
    shot(page, f"facility-carpark-{size[0]}-{language}", full_page=True)

    # Two more cars arrive while the page is open: the next refresh shows it.
    tag = f"{size[0]}-{language}"
    with db_access(django_db_blocker):
        arrivals = [
            event(f"fpb-r{tag}-{n}", "in", 1, f"浙B{n}{size[0]}{len(language)}") for n in range(2)
        ]
        assert send(lot.gate, {"events": arrivals}).status_code == 200
    page.evaluate("SCFacilityParking.refresh()")
    page.wait_for_function("() => document.body.dataset.parkingRefreshed === '1'")
    now = page.locator("#parking-free strong").inner_text()
    assert re.search(rf"\b{free - 2}\b", now), now
    with db_access(django_db_blocker):
        leaving = [
            event(f"fpb-o{tag}-{n}", "out", 0.5, f"浙B{n}{size[0]}{len(language)}", gate="G2")
            for n in range(2)
        ]
        assert send(lot.gate, {"events": leaving}).status_code == 200


@pytest.mark.parametrize("language", LANGUAGES)
def test_find_car_names_the_floor_once(
    open_page: Any, places: dict[str, Any], language: str
) -> None:
    page = open_page(
        "/parking/find/", viewport=PHONE, language=language, has_touch=True, is_mobile=True
    )
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.findcar === 'ready'")
    page.locator("#plate").fill(PLATE)
    page.locator(".findcar-submit").tap()
    page.wait_for_function("() => document.body.dataset.findcar === 'found'")
    text = page.locator("#findcar-space").inner_text()
    assert text == ("B1-002 号车位" if language == "zh-hans" else "Space B1-002")
    assert text.count("B1") == 1
    shot(page, f"facility-findcar-floor-once-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_menu_and_icon(open_page: Any, language: str) -> None:
    page = open_page("/parking/find/", viewport=PHONE, language=language)
    names = page.locator("#lang-select option").all_inner_texts()
    assert [n.strip() for n in names] == ["简体中文", "English"]
    icon = page.evaluate("document.querySelector('link[rel=icon]').href")
    response = page.request.get(icon)
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize(("size", "language"), [(PHONE, "zh-hans"), (LAPTOP, "en")])
def test_without_the_users_position_the_page_offers_it_and_says_why_not(
    open_page: Any, places: dict[str, Any], size: Any, language: str
) -> None:
    page = open_page(f"/facilities/{places['toilet']}/", viewport=size, language=language)
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.facility === 'ready'")
    button = page.locator("#facility-locate")
    assert button.is_visible()
    assert page.locator("#facility-key-you").is_hidden()
    button.click()  # the browser refuses: the context was given no permission
    denied = "定位权限被拒绝" if language == "zh-hans" else "Location permission was refused"
    page.wait_for_function(
        "(text) => document.getElementById('facility-distance').textContent.includes(text)",
        arg=denied,
    )
    assert page.evaluate("document.body.dataset.facility") == "ready"
    shot(page, f"facility-no-position-{size[0]}-{language}")
