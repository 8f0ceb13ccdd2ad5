"""The resident pages on phones (issue 16, items 1, 5 and 7), at 375 x 667 and 375 x 812, in
Chinese and English: the page is never taller than the screen, every primary button is on
screen without scrolling the page, the bottom sheet drags (touch and mouse) and steps
(keyboard) between peek, half and full; after "Nearest to me" every result is reached by
scrolling the sheet, and the map shows the user and the results together (zoom <= 19);
kinds with nothing in the area say so; the search ranks, counts and pages, and comes back
with its results after a facility page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from tests.browser.conftest import db_access, shot, wait_for_map
from tests.components_helpers import Api, inside, last_component_id, remove_components_after
from tests.ogc_data import committed_components

SIZES = [(375, 667), (375, 812)]
LANGUAGES = ["zh-hans", "en"]
ROAD = "马塍路"
ROAD_BINS = 25
# The primary controls of each page (selector, what it is).
PRIMARY = {
    "/": ["#search-q", "#search-form button[type=submit]", "#near-me", ".chip >> nth=0"],
    "/parking/find/": ["#plate", ".findcar-submit"],
}
READY = {"/": "finder", "/parking/find/": "findcar"}


@pytest.fixture(scope="module")
def places(live_url: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Seven public toilets (tests.ogc_data), and a road: a public toilet named after it
    and 25 bins along it, nearer to the map's centre than the toilet."""
    with db_access(django_db_blocker), committed_components() as made:
        start = last_component_id()
        try:
            base = inside("330106002001", 1)
            admin = Api("district_admin")
            toilet = {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [base[0] + 0.003, base[1]]},
                "properties": {
                    "class": "0301",
                    "name": f"{ROAD}公厕",
                    "address": f"杭州市西湖区{ROAD}2号",
                    "competent_department": "XH-CGJ",
                    "owner": "XH-CGJ",
                    "maintainer": "XH-JD-001",
                    "attributes": {"opening_hours": "24/7"},
                },
            }
            created = admin.create(toilet, comment="公厕普查")
            assert created.status_code == 201, created.content
            bins = [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [base[0] + 0.0001 * i, base[1]]},
                    "properties": {
                        "class": "0305",
                        "address": f"杭州市西湖区{ROAD}{i + 10}号",
                        "competent_department": "XH-CGJ",
                        "owner": "XH-CGJ",
                        "maintainer": "XH-JD-001",
                        "attributes": {},
                    },
                }
                for i in range(ROAD_BINS)
            ]
            response = admin.post(
                "/api/v1/components/batch/", {"features": bins, "comment": "垃圾箱普查"}
            )
            assert response.status_code == 200, response.content
            yield {**made, "road_toilet": created.json()["id"], "road_at": base}
        finally:
            remove_components_after(start)


def open_phone(open_page: Any, path: str, size: tuple[int, int], language: str, **opts: Any) -> Any:
    page = open_page(path, viewport=size, language=language, has_touch=True, is_mobile=True, **opts)
    wait_for_map(page)
    page.wait_for_function(f"() => document.body.dataset.{READY[path]} === 'ready'")
    page.wait_for_function("() => document.querySelector('.sheet.sheet-ready')")
    return page


def assert_page_fits(page: Any, size: tuple[int, int]) -> None:
    """The document is no taller or wider than the screen and cannot be scrolled."""
    dims = page.evaluate(
        "() => { window.scrollTo(0, 10000); const e = document.documentElement;"
        " return [e.scrollHeight, e.scrollWidth, window.innerHeight, window.scrollY]; }"
    )
    assert dims[0] <= size[1] and dims[2] == size[1], dims
    assert dims[1] <= size[0], dims
    assert dims[3] == 0, "the page scrolled"


def assert_on_screen(page: Any, selector: str, size: tuple[int, int]) -> None:
    """Wholly inside the viewport and not covered by anything (what a tap there hits)."""
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= size[0] + 0.5, (selector, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= size[1] + 0.5, (selector, box)
    assert box["height"] >= 40, (selector, box)  # a finger's size
    hit = page.evaluate(
        "([sel, x, y]) => { const t = document.elementFromPoint(x, y);"
        " const el = document.querySelector(sel.split(' >> ')[0]);"
        " return !!t && (el === t || el.contains(t) || t.contains(el)); }",
        [selector, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit, f"{selector} is covered"


def state(page: Any) -> str:
    return page.locator(".sheet").get_attribute("data-state")


def heights(page: Any) -> dict[str, float]:
    return page.evaluate("() => document.querySelector('.sheet')._scSheet.heights()")


def settle(page: Any, wanted: str) -> None:
    """Until the sheet is in state ``wanted`` and done moving there."""
    page.wait_for_function(
        "(s) => { const el = document.querySelector('.sheet'); return el.dataset.state === s"
        " && Math.abs(el.offsetHeight - el._scSheet.heights()[s]) < 1; }",
        arg=wanted,
    )


def grip_centre(page: Any) -> tuple[float, float]:
    box = page.locator(".sheet-grip").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def touch_drag(page: Any, to_y: float) -> None:
    """A finger on the grip, moved to ``to_y``, held still, then lifted (Chromium's own
    touch input: the page sees touch pointer events)."""
    x, y = grip_centre(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    steps = 12
    for i in range(1, steps + 1):
        point = {"x": x, "y": y + (to_y - y) * i / steps}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    page.wait_for_timeout(200)  # held still: no flick
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": to_y}]}
    )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def swipe(page: Any, cdp: Any, x: float, y: float, dy: float) -> None:
    """A finger's swipe of ``dy`` pixels (negative: up, scrolling the content down), held
    still before it lifts (no fling)."""
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 11):
        point = {"x": x, "y": y + dy * i / 10}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    page.wait_for_timeout(150)
    end = {"x": x, "y": y + dy}
    cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [end]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def mouse_drag(page: Any, to_y: float) -> None:
    x, y = grip_centre(page)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, to_y, steps=12)
    page.wait_for_timeout(200)
    page.mouse.move(x, to_y)
    page.mouse.up()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=["375x667", "375x812"])
@pytest.mark.parametrize("path", ["/", "/parking/find/"], ids=["resident", "findcar"])
def test_the_page_fits_the_phone_and_the_sheet_drags(
    open_page: Any, path: str, size: tuple[int, int], language: str
) -> None:
    page = open_phone(open_page, path, size, language)
    name = f"sheet-{READY[path]}-{size[0]}x{size[1]}-{language}"

    def check(where: str) -> None:
        assert_page_fits(page, size)
        for selector in PRIMARY[path]:
            assert_on_screen(page, selector, size)
        shot(page, f"{name}-{where}")

    assert state(page) == "peek"
    check("1-peek")
    shell_top = page.locator(".map-shell").bounding_box()["y"]
    h = heights(page)
    assert h["peek"] < h["half"] < h["full"]

    # A finger drags the grip up to about half height: the sheet stays at half.
    touch_drag(page, size[1] - h["half"] + 10)
    settle(page, "half")
    check("2-half-touch")
    # The mouse drags it to the top: full (a strip of map stays above it).
    mouse_drag(page, shell_top + 5)
    settle(page, "full")
    sheet_top = page.locator(".sheet").bounding_box()["y"]
    assert shell_top < sheet_top < shell_top + 60
    check("3-full-mouse")
    # ... and back down to the bottom: peek, the primary buttons still there.
    mouse_drag(page, size[1] - 2)
    settle(page, "peek")
    check("4-peek-mouse")
    touch_drag(page, size[1] - 2)  # no lower than peek
    settle(page, "peek")

    # The keyboard: the grip is a button; Enter, arrows, Home and End change the height.
    grip = page.locator(".sheet-grip")
    grip.focus()
    page.keyboard.press("Enter")
    settle(page, "half")
    label = grip.get_attribute("aria-label")
    assert label == ("面板高度： 半屏" if language == "zh-hans" else "Panel height: half screen")
    assert grip.get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowUp")
    settle(page, "full")
    page.keyboard.press("ArrowDown")
    settle(page, "half")
    page.keyboard.press("End")
    settle(page, "full")
    page.keyboard.press("Home")
    settle(page, "peek")
    assert grip.get_attribute("aria-expanded") == "false"
    check("5-peek-keyboard")
    assert page.js_errors == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=["375x667", "375x812"])
def test_every_nearest_result_is_reached_inside_the_sheet(
    open_page: Any,
    places: dict[str, Any],
    size: tuple[int, int],
    language: str,
    django_db_blocker: Any,
) -> None:
    with db_access(django_db_blocker):
        from component_catalog.models import Component

        first = Component.objects.get(identifier=places["toilets"][0]).geometry
    here = (first.x + 0.002, first.y + 0.001)
    page = open_phone(
        open_page,
        "/",
        size,
        language,
        geolocation={"latitude": here[1], "longitude": here[0], "accuracy": 10},
        permissions=["geolocation"],
    )
    page.locator('.chip[data-chip="toilet"]').tap()
    page.locator("#near-me").tap()
    page.wait_for_function("() => document.querySelectorAll('.result').length === 5")
    settle(page, "half")
    assert_page_fits(page, size)
    for selector in PRIMARY["/"]:
        assert_on_screen(page, selector, size)
    status = page.locator("#status").inner_text()
    assert ("距您的位置" if language == "zh-hans" else "From your location") in status

    # The map shows the user and all five results above the sheet, at zoom 19 at most.
    view = page.evaluate(
        "() => { const m = SCMap.current.map; const f = SCFinder;"
        " const pts = [f.originMarker.getLatLng(), ...f.markers.map(k => k.getLatLng())];"
        " return {zoom: m.getZoom(), points: pts.map(p => { const c ="
        " m.latLngToContainerPoint(p); return [c.x, c.y]; })}; }"
    )
    assert view["zoom"] <= 19
    map_box = page.locator(".sc-map").bounding_box()
    sheet_top = page.locator(".sheet").bounding_box()["y"]
    for x, y in view["points"]:
        assert 0 <= x <= size[0], view
        assert 0 <= map_box["y"] + y <= sheet_top, view
    shot(page, f"sheet-nearest-{size[0]}x{size[1]}-{language}")

    # Each result in turn: a finger scrolls the sheet's list (never the page) until the
    # result is wholly on screen and inside the sheet.
    body = page.locator("#finder-body").bounding_box()
    cdp = page.context.new_cdp_session(page)
    ids = page.locator(".result").evaluate_all("els => els.map(e => e.dataset.id)")
    for i in range(len(ids)):
        link = page.locator(".result-link").nth(i)
        for _ in range(12):
            box = link.bounding_box()
            if box["y"] >= body["y"] and box["y"] + box["height"] <= body["y"] + body["height"]:
                break
            below = box["y"] + box["height"] > body["y"] + body["height"]
            x, mid = body["x"] + body["width"] / 2, body["y"] + body["height"] / 2
            swipe(page, cdp, x, mid + (40 if below else -40), -80 if below else 80)
        else:
            metrics = page.evaluate(
                "() => { const b = document.getElementById('finder-body');"
                " return [b.scrollTop, b.scrollHeight, b.clientHeight]; }"
            )
            pytest.fail(f"result {i + 1} cannot be scrolled into the sheet: {metrics}")
        assert box["y"] + box["height"] <= size[1], box
        assert page.evaluate("window.scrollY") == 0
    shot(page, f"sheet-nearest-last-{size[0]}x{size[1]}-{language}")
    # The last one opens its page: it was really there to tap.
    page.locator(".result-link").nth(len(ids) - 1).tap()
    page.wait_for_url(f"**/facilities/{ids[-1]}/")
    assert page.js_errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_kinds_with_nothing_in_the_area_say_so(
    open_page: Any, places: dict[str, Any], requests_seen: Any, language: str
) -> None:
    size = (375, 667)
    page = open_phone(open_page, "/", size, language)
    chips = page.locator(".chip").evaluate_all(
        "els => els.map(e => [e.dataset.chip, e.dataset.empty === 'true'])"
    )
    keys = [k for k, _ in chips]
    assert keys[0] == "toilet"  # there are toilets
    empty = [k for k, e in chips if e]
    for kind in ("bus", "bicycle", "police", "info"):
        assert kind in empty
    assert keys[len(keys) - len(empty) :] == empty  # kinds with nothing to find come last
    expected = (
        "本区域暂无此类设施" if language == "zh-hans" else "No such facilities in this area yet"
    )
    page.locator('.chip[data-chip="bus"]').tap()
    assert page.locator("#status").inner_text() == expected
    page.locator(".sc-map").tap(position={"x": 180, "y": 120})  # a point on the map
    assert page.locator("#status").inner_text() == expected
    page.locator("#near-me").tap()
    assert page.locator("#status").inner_text() == expected
    assert page.locator(".result").count() == 0
    assert not requests_seen.matching(r"/api/v1/nearest/")
    shot(page, f"sheet-empty-kind-375x667-{language}")
    # A kind with data still answers from the point.
    page.locator('.chip[data-chip="toilet"]').tap()
    page.wait_for_selector(".result")
    assert page.locator("#status").inner_text() != expected
    assert page.js_errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_search_ranks_counts_pages_and_comes_back(
    open_page: Any, places: dict[str, Any], language: str
) -> None:
    size = (375, 812)
    page = open_phone(open_page, "/", size, language)
    lon, lat = places["road_at"]
    page.evaluate(
        "([lat, lon]) => SCMap.current.map.setView(SCMap.current.toDisplay([lat, lon]), 16,"
        " {animate: false})",
        [lat, lon],
    )
    page.locator("#search-q").fill(ROAD)
    page.locator("#search-form button[type=submit]").tap()
    page.wait_for_selector(".result")
    total = ROAD_BINS + 1
    status = page.locator("#status").inner_text()
    if language == "zh-hans":
        assert status == f"距地图中心 · 与“{ROAD}”匹配：{total} 处 · 已显示 20 处"
    else:
        assert status == f"From the map's centre · Matches for “{ROAD}”: {total} · 20 shown"
    results = page.locator(".result")
    assert results.count() == 20
    # The public toilet first, though the bins are nearer to the map's centre.
    assert results.first.get_attribute("data-id") == places["road_toilet"]
    more = page.locator("#more")
    more.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") == 0
    more.tap()
    page.wait_for_function(f"() => document.querySelectorAll('.result').length === {total}")
    assert more.is_hidden()
    assert page.locator("#status").inner_text().endswith(f"{total}" if language == "en" else "处")
    assert "· 20" not in page.locator("#status").inner_text()
    ids = results.evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(set(ids)) == total
    assert_page_fits(page, size)
    shot(page, f"sheet-search-{language}")

    # Open the 22nd result, come back: the same query and the same results.
    link = page.locator(".result-link").nth(21)
    link.scroll_into_view_if_needed()
    link.tap()
    page.wait_for_url(f"**/facilities/{ids[21]}/")
    page.go_back()
    page.wait_for_function(f"() => document.querySelectorAll('.result').length === {total}")
    assert page.locator("#search-q").input_value() == ROAD
    assert results.evaluate_all("els => els.map(e => e.dataset.id)") == ids
    # The facility page's own "Back to the map" link brings them back as well.
    page.locator(".result-link").nth(0).tap()
    page.wait_for_url(f"**/facilities/{ids[0]}/")
    page.locator(".back a").tap()
    page.wait_for_function(f"() => document.querySelectorAll('.result').length === {total}")
    assert page.locator("#search-q").input_value() == ROAD
    assert results.evaluate_all("els => els.map(e => e.dataset.id)") == ids
    assert f"q={ROAD}" in unquote(page.url)
    # A reload (or a shared link) shows them too.
    page.reload()
    wait_for_map(page)
    page.wait_for_function(f"() => document.querySelectorAll('.result').length === {total}")
    assert page.locator("#search-q").input_value() == ROAD
    assert results.evaluate_all("els => els.map(e => e.dataset.id)") == ids
    assert page.js_errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_phone_turned_sideways_keeps_every_button_reachable(
    open_page: Any, language: str
) -> None:
    """812 x 375: the side panel; the page still fits, and the panel (not the page) scrolls
    to each primary button."""
    size = (812, 375)
    page = open_phone(open_page, "/", size, language)
    assert_page_fits(page, size)
    for selector in PRIMARY["/"]:
        page.locator(selector).scroll_into_view_if_needed()
        assert_on_screen(page, selector, size)
        assert page.evaluate("window.scrollY") == 0
    shot(page, f"sheet-sideways-812x375-{language}")
    assert page.js_errors == []
