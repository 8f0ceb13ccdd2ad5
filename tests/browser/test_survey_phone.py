"""The survey editor on a phone (375x667 and 375x812), in Chinese and English: the page is
never taller than the screen, the panel scrolls inside, and the primary actions of every
view (保存 first of all) are on screen and under the finger without scrolling the page.
The map zooms to 20 (placing points between kerbs) and no further."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from layers.models import AdminArea
from tests.browser.conftest import db_access, shot
from tests.browser.test_survey import log_in, show_place
from tests.components_helpers import Api, inside, manhole

SIZES = [(375, 667), (375, 812)]

ON_SCREEN = """sel => {
  const el = document.querySelector(sel);
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height) return `${sel}: not shown`;
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth)
    return `${sel}: ${Math.round(r.top)}..${Math.round(r.bottom)} outside 0..${innerHeight}`;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (!hit || !(hit === el || el.contains(hit)))
    return `${sel}: covered by ${hit && hit.outerHTML.slice(0, 80)}`;
  return "ok";
}"""


def on_screen(page: Any, *selectors: str) -> None:
    for selector in selectors:
        assert page.evaluate(ON_SCREEN, selector) == "ok"


def page_fits(page: Any) -> None:
    """No page scroll: the document is no taller (and no wider) than the viewport."""
    size = page.evaluate(
        "() => [document.documentElement.scrollHeight, innerHeight,"
        " document.documentElement.scrollWidth, innerWidth, scrollY]"
    )
    height, viewport_height, width, viewport_width, scrolled = size
    assert height <= viewport_height and width <= viewport_width and scrolled == 0, size


def scroll_panel(page: Any, where: str) -> None:
    page.evaluate(
        "w => { const p = document.getElementById('sv-panel');"
        " p.scrollTop = w === 'top' ? 0 : w === 'middle' ? p.scrollHeight / 2 : p.scrollHeight; }",
        where,
    )


@pytest.fixture
def cover(committed: None, django_db_blocker: Any) -> Iterator[list[float]]:
    """A manhole cover with a long history (so the history view is longer than the panel)."""
    with db_access(django_db_blocker):
        at = inside("330106001001", 2, shift=0.0003)
        api = Api("surveyor_water")
        made = api.post("/api/v1/components/", {**manhole(at=at), "comment": "测试数据"})
        assert made.status_code == 201, made.content
        ident = made.json()["id"]
        for version in range(1, 6):
            changed = api.patch(
                f"/api/v1/components/{ident}/",
                {"properties": {"notes": f"第 {version} 次巡查"}, "comment": "巡查"},
                HTTP_IF_MATCH=f'"{version}"',
            )
            assert changed.status_code == 200, changed.content
    yield at


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", SIZES, ids=["375x667", "375x812"])
def test_primary_actions_stay_on_screen_on_a_phone(
    open_page: Any, cover: list[float], language: str, size: tuple[int, int]
) -> None:
    name = f"{size[0]}x{size[1]}-{language}"
    page = open_page("/survey/", viewport=size, language=language)
    log_in(page, "surveyor_water")
    page_fits(page)
    show_place(page, cover[0], cover[1], zoom=17)
    page.wait_for_selector(".sv-item")
    page_fits(page)
    on_screen(page, "#sv-add", "#sv-class", "#sv-queue-open")
    shot(page, f"survey-phone-1-home-{name}")

    # the list scrolls inside the panel; "add" stays on screen
    scroll_panel(page, "bottom")
    page_fits(page)
    on_screen(page, "#sv-add")

    # the form: long, scrolled inside the panel, 保存 and 取消 always on screen
    page.select_option("#sv-class", "0101")
    page.click("#sv-add")
    on_screen(page, "#sv-draw-centre", "#sv-draw-cancel")
    page.click("#sv-draw-centre")
    page.wait_for_selector("#sv-form:not([hidden])")
    assert page.evaluate(
        "() => { const p = document.getElementById('sv-panel');"
        " return p.scrollHeight > p.clientHeight; }"
    ), "the form should be longer than the panel (it scrolls inside)"
    for where in ("top", "middle", "bottom"):
        scroll_panel(page, where)
        page_fits(page)
        on_screen(page, "#sv-save", "#sv-form-cancel")
        if where == "middle":
            shot(page, f"survey-phone-2-form-{name}")
    page.focus("#sv-comment")  # focusing a field must not scroll the page either
    page_fits(page)
    on_screen(page, "#sv-save")
    page.click("#sv-form-cancel")

    # a component's details: edit, history, retire and back on screen
    scroll_panel(page, "top")
    page.locator(".sv-item").first.click()
    page.wait_for_selector("#sv-detail:not([hidden])")
    page_fits(page)
    on_screen(page, "#sv-edit", "#sv-history-open", "#sv-retire-open", "#sv-detail-back")
    shot(page, f"survey-phone-3-detail-{name}")
    page.click("#sv-history-open")
    page.wait_for_selector("#sv-history-list li")
    page_fits(page)
    on_screen(page, "#sv-history-back")
    page.click("#sv-history-back")

    page.click("#sv-queue-open")
    page_fits(page)
    on_screen(page, "#sv-sync", "#sv-queue-back")
    shot(page, f"survey-phone-4-queue-{name}")

    # zoom: 20 at most (the common pages stop at 19)
    assert page.evaluate("SCMap.current.map.getMaxZoom()") == 20
    page.evaluate("SCMap.current.map.setZoom(22, {animate: false})")
    assert page.evaluate("SCMap.current.map.getZoom()") == 20
    page_fits(page)
    shot(page, f"survey-phone-5-zoom20-{name}")
    assert page.js_errors == []


def map_view(page: Any) -> dict[str, Any]:
    """The map's centre (lon/lat), zoom and bounds, in CGCS2000 (as the editor keeps them)."""
    return page.evaluate(
        """() => { const c = SCMap.current, m = c.map, b = m.getBounds();
        const ctr = c.fromDisplay(m.getCenter()), sw = c.fromDisplay(b.getSouthWest()),
              ne = c.fromDisplay(b.getNorthEast());
        return {lon: ctr.lng, lat: ctr.lat, zoom: m.getZoom(),
                bounds: [sw.lng, sw.lat, ne.lng, ne.lat],
                area: c.config.extra.areaBounds}; }"""
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_editor_opens_at_the_gps_position_when_allowed(
    open_page: Any, live_url: str, django_db_blocker: Any, language: str
) -> None:
    with db_access(django_db_blocker):
        lon, lat = inside("330106001001", 2)
    page = open_page(
        "/survey/",
        viewport=SIZES[1],
        language=language,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 5},
        permissions=["geolocation"],
    )
    log_in(page, "surveyor_water")
    view = map_view(page)
    assert view["zoom"] == 18
    assert view["lon"] == pytest.approx(lon, abs=2e-5) and view["lat"] == pytest.approx(
        lat, abs=2e-5
    )
    page.wait_for_function("() => document.body.dataset.loaded")
    page_fits(page)
    shot(page, f"survey-open-at-gps-375x812-{language}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_without_gps_the_editor_opens_on_the_users_area(
    open_page: Any, live_url: str, django_db_blocker: Any, language: str
) -> None:
    with db_access(django_db_blocker):
        district = AdminArea.objects.get(code="330106").boundary.extent
    page = open_page("/survey/", viewport=SIZES[0], language=language)
    log_in(page, "surveyor_water")
    view = map_view(page)
    assert view["area"] == pytest.approx(list(district), abs=1e-6)
    west, south, east, north = view["bounds"]
    tolerance = 0.002  # about 200 m: fitting rounds to whole zoom levels
    assert west <= district[0] + tolerance and south <= district[1] + tolerance
    assert east >= district[2] - tolerance and north >= district[3] - tolerance
    assert view["zoom"] >= 10  # the district, not the whole city
    # the surveyor is told to zoom in to edit, in their language
    page.wait_for_function("() => document.body.dataset.loaded")
    hint = page.locator("#sv-list-hint").inner_text()
    assert hint and (("放大" in hint) if language == "zh-hans" else ("Zoom in" in hint)), hint
    page_fits(page)
    shot(page, f"survey-open-on-area-375x667-{language}")
