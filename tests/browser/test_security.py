"""Security of the pages in Chromium.

* Stored XSS: a parking lot, an area and a parking space named with HTML (an ``<img>``
  whose ``onerror`` sets ``window.__xss``) show their names as text in the tooltips and
  popups of the public map, the reports page and the find-car page: no element is made
  from them and no script runs.
* Content-Security-Policy: every page (site pages, login, admin, import page, Swagger UI)
  carries the policy, reports no violation (``securitypolicyviolation`` events and console
  messages), and still works (map tiles draw, buttons respond).
* The admin's geometry widget loads nothing from another host and saves a drawn polygon.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.gis.db.models import GeometryField

from community.parking.models import ParkingSpace
from layers.models import AdminArea
from tests.browser.conftest import (
    TIMEOUT_MS,
    RequestWatcher,
    choose_layer,
    close_pages,
    db_access,
    open_layer_switcher,
    shot,
    wait_for_map,
)
from tests.parking_support import event, make_lot, remove_lot, send

PAYLOAD = '<img src=x onerror="window.__xss=1">'
# A space code holds 16 characters: too few for a script, enough to show markup is text.
SPACE_PAYLOAD = "<i id=xss>9</i>"
AREA = "330106001001"  # a demo community in the planner's district
PLATE = "浙A7X5S1"

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push([e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber].join(" "));
}, true);
"""


@pytest.fixture
def visit(
    browser: Any, live_url: str, requests_seen: RequestWatcher, request: Any
) -> Iterator[Callable[..., Any]]:
    """``visit(path, user=None)`` -> a page of a fresh context (logged in as ``user``)
    that records CSP violations (``page.csp``: events and console messages), script
    errors (``page.js_errors``) and the document responses (``page.documents``). After
    the test every request must have stayed on 127.0.0.1."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def make(path: str, user: str | None = None, language: str = "zh-hans") -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 800},
            locale="zh-CN" if language != "en" else "en-US",
            extra_http_headers={"Accept-Language": language},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(WATCH_CSP)
        context.on("request", requests_seen.record)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        page.js_errors = []
        page.console_csp = []
        page.documents = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: (
                page.console_csp.append(msg.text)
                if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
                else None
            ),
        )
        page.on(
            "response",
            lambda r: page.documents.append(r) if r.request.resource_type == "document" else None,
        )
        if user:
            page.goto(live_url + "/accounts/login/?next=" + path)
            page.fill("#id_username", user)
            page.fill("#id_password", "demo-pass-2019")
            page.locator("form:has(#id_username) button[type=submit]").click()
            page.wait_for_url(re.compile(re.escape(path.split("?")[0]) + r"(\?.*)?$"))
        else:
            page.goto(live_url + path)
        return page

    yield make
    close_pages(request, pages, contexts, requests_seen)


def csp_violations(page: Any) -> list[str]:
    return [*page.evaluate("window.__csp || []"), *page.console_csp]


def assert_policy(page: Any) -> None:
    """Every document the page loaded carried a policy without inline or eval'd script."""
    assert page.documents
    for response in page.documents:
        policy = response.headers.get("content-security-policy", "")
        directives = dict(
            (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
        )
        assert directives.get("script-src") == "'self'", (response.url, policy)
        assert directives.get("object-src") == "'none'" and directives.get("base-uri") == "'self'"
        assert directives.get("frame-ancestors") == "'none'"
        assert "unsafe-inline" not in directives.get("default-src", "")


def tiles_drawn(page: Any) -> None:
    page.wait_for_function(
        "() => document.querySelectorAll('.sc-map .leaflet-tile-loaded').length > 0"
    )


# --- stored XSS ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_names(live_url: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A lot named PAYLOAD with a space coded SPACE_PAYLOAD and a car parked in it, and
    the demo community AREA renamed PAYLOAD (its name restored after)."""
    with db_access(django_db_blocker):
        lot = make_lot(PAYLOAD, AREA, 1, shift=0.001, capacity=(3, 0, 0))
        space = ParkingSpace.objects.get(lot=lot.lot, code="B1-001")
        space.code = SPACE_PAYLOAD
        space.save(update_fields=["code"])
        area = AdminArea.objects.get(code=AREA)
        old_name = area.name
        area.name = PAYLOAD
        area.save(update_fields=["name"])
        assert send(lot.gate, event("xss-1", "in", 20, PLATE)).status_code == 200
        assert send(lot.camera, event("xss-2", "in", 18, PLATE, space="B1-002")).status_code == 200
    try:
        yield {"lot": lot}
    finally:
        with db_access(django_db_blocker):
            AdminArea.objects.filter(code=AREA).update(name=old_name)
            remove_lot(lot)


def assert_shown_as_text(page: Any, selector: str, text: str) -> None:
    box = page.locator(selector).filter(has_text=text).first
    box.wait_for()
    assert text in box.text_content()
    assert box.locator("img, i#xss").count() == 0
    assert page.locator("img[src=x], i#xss").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_a_lot_named_with_html_shows_as_text_on_the_public_map(
    visit: Any, hostile_names: dict[str, Any]
) -> None:
    lot = hostile_names["lot"]
    page = visit("/map/")
    wait_for_map(page)
    page.wait_for_function("() => Number(document.body.dataset.parkingLayer || 0) >= 1")
    page.evaluate(
        "(id) => { const m = SCParking.markers.find(m => m.options.parkingLot === id);"
        " SCParking.map.setView(m.getLatLng(), 18, {animate: false}); }",
        lot.identifier,
    )
    marker = page.evaluate_handle(
        "(id) => SCParking.markers.find(m => m.options.parkingLot === id)", lot.identifier
    )
    # Hover the lot's dot as a visitor does: its tooltip opens.
    x, y = page.evaluate(
        "(m) => { const p = SCParking.map.latLngToContainerPoint(m.getLatLng());"
        " return [p.x, p.y]; }",
        marker,
    )
    box = page.locator(".sc-map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    assert_shown_as_text(page, ".leaflet-tooltip", PAYLOAD)
    page.mouse.click(box["x"] + x, box["y"] + y)  # and its popup
    assert_shown_as_text(page, ".leaflet-popup-content", PAYLOAD)
    assert page.locator(".leaflet-popup-content strong").first.text_content() == PAYLOAD
    shot(page, "security-xss-map")
    assert page.js_errors == [] and csp_violations(page) == []


def test_an_area_named_with_html_shows_as_text_on_the_reports_page(
    visit: Any, hostile_names: dict[str, Any]
) -> None:
    page = visit("/reports/?level=community", user="planner")
    page.wait_for_selector(".report-map path.choropleth-area")
    found = page.evaluate(
        """(name) => { let hit = null;
        SCMap.current.map.eachLayer((l) => {
          if (l.feature && l.feature.properties && l.feature.properties.name === name) hit = l; });
        if (!hit) return false;
        const p = hit.getBounds().getCenter();
        SCMap.current.map.setView(p, 15, {animate: false});
        return true; }""",
        PAYLOAD,
    )
    assert found, "the renamed community is on the report's map"
    # Hover the community's polygon: its sticky tooltip follows the pointer.
    box = page.locator(".report-map .sc-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2 + 3)
    assert_shown_as_text(page, ".leaflet-tooltip", PAYLOAD)
    shot(page, "security-xss-reports")
    assert page.js_errors == [] and csp_violations(page) == []


def test_a_space_coded_with_html_shows_as_text_on_the_find_car_page(
    visit: Any, hostile_names: dict[str, Any]
) -> None:
    page = visit("/parking/find/")
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.findcar === 'ready'")
    page.locator("#plate").fill(PLATE)
    page.locator(".findcar-submit").click()
    page.wait_for_function("() => document.body.dataset.findcar === 'found'")
    assert PAYLOAD in page.locator("#findcar-lot").inner_text()
    x, y = page.evaluate(
        """(code) => {
        const l = SCFindCar.layer.getLayers().find(l => l.options.spaceCode === code);
        SCFindCar.map.setView(l.getCenter(), 21, {animate: false});
        const p = SCFindCar.map.latLngToContainerPoint(l.getCenter()); return [p.x, p.y]; }""",
        SPACE_PAYLOAD,
    )
    box = page.locator(".sc-map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    assert_shown_as_text(page, ".leaflet-tooltip", SPACE_PAYLOAD)
    shot(page, "security-xss-findcar")
    assert page.js_errors == [] and csp_violations(page) == []


# --- Content-Security-Policy --------------------------------------------------------


def test_public_pages_keep_the_policy_and_work(visit: Any) -> None:
    page = visit("/")
    wait_for_map(page)
    tiles_drawn(page)
    page.wait_for_function("() => document.body.dataset.finder === 'ready'")
    # The language switcher (no inline handler any more) still switches on change.
    page.select_option("#lang-select", "en")
    page.wait_for_selector("html[lang=en]")
    wait_for_map(page)
    assert_policy(page)
    assert page.js_errors == [] and csp_violations(page) == []

    page = visit("/map/")
    wait_for_map(page)
    tiles_drawn(page)
    page.locator(".leaflet-control-layers-toggle").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-control-layers-expanded")
    page.locator(".leaflet-control-zoom-in").click()
    page.wait_for_function("() => SCMap.current.map.getZoom() === 15")
    assert_policy(page)
    assert page.js_errors == [] and csp_violations(page) == []

    page = visit("/parking/find/")
    wait_for_map(page)
    tiles_drawn(page)
    page.wait_for_function("() => document.body.dataset.findcar === 'ready'")
    assert_policy(page)
    assert page.js_errors == [] and csp_violations(page) == []

    page = visit("/api/docs/")
    page.wait_for_selector(".swagger-ui .information-container")
    page.locator(".opblock-summary").first.click()  # an operation opens
    page.wait_for_selector(".opblock.is-open")
    assert_policy(page)
    assert page.js_errors == [] and csp_violations(page) == []


def test_signed_in_pages_keep_the_policy_and_work(visit: Any) -> None:
    page = visit("/reports/?level=community", user="planner")
    page.wait_for_selector(".report-map path.choropleth-area")
    tiles_drawn(page)
    assert page.locator("#report-title").inner_text()
    assert_policy(page)  # the login page too
    assert page.js_errors == [] and csp_violations(page) == []

    page = visit("/survey/", user="surveyor_water")
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.survey === 'ready'")
    tiles_drawn(page)
    assert_policy(page)
    assert page.js_errors == [] and csp_violations(page) == []

    page = visit("/imports/", user="city_admin")
    page.wait_for_selector("form")
    assert_policy(page)
    assert page.js_errors == [] and csp_violations(page) == []

    page = visit("/admin/", user="city_admin")
    page.wait_for_selector("#content")
    for path in ("/admin/parking/parkinglot/", "/admin/parking/parkingspace/add/"):
        page.goto(page.url.split("/admin/")[0] + path)
        page.wait_for_selector("#content")
    page.wait_for_selector(".sc-geometry-widget[data-ready]")
    assert_policy(page)
    assert page.js_errors == [] and csp_violations(page) == []


# --- the admin's geometry widget ----------------------------------------------------


def admin_geometry_pages() -> list[tuple[str, str]]:
    """(add URL, change-list URL) of every admin model with a geometry field."""
    found = []
    for model in admin.site._registry:
        if any(isinstance(f, GeometryField) for f in model._meta.get_fields()):
            meta = model._meta
            base = f"/admin/{meta.app_label}/{meta.model_name}/"
            found.append((base + "add/", base))
    return sorted(found)


def test_every_admin_geometry_page_stays_on_the_server(
    visit: Any, requests_seen: RequestWatcher, django_db_blocker: Any
) -> None:
    pages = admin_geometry_pages()
    assert ("/admin/parking/parkingspace/add/", "/admin/parking/parkingspace/") in pages
    page = visit("/admin/", user="city_admin")
    root = page.url.split("/admin/")[0]
    seen_widgets = 0
    for add, listing in pages:
        for path in (add, listing):
            response = page.goto(root + path)
            assert response is not None and response.status in (200, 403), path
        first = page.locator("#result_list tbody th a").first
        if first.count():
            first.click()
            page.wait_for_selector("#content")
        if page.locator(".sc-geometry-widget").count():
            page.wait_for_selector(".sc-geometry-widget[data-ready]")
            seen_widgets += 1
        assert csp_violations(page) == [], path
    assert seen_widgets >= 1
    assert not [u for u in requests_seen.urls if "openlayers" in u.lower() or "cdn" in u]
    assert page.js_errors == []


def test_the_admin_widget_saves_a_drawn_polygon_and_shows_it_again(
    visit: Any, hostile_names: dict[str, Any], django_db_blocker: Any
) -> None:
    lot = hostile_names["lot"]
    page = visit("/admin/parking/parkingspace/add/", user="city_admin")
    page.wait_for_selector(".sc-geometry-widget[data-ready]")
    # Chinese first: the help text and the drawing toolbar.
    assert page.locator(".sc-geometry-help").inner_text().startswith("使用地图上的工具")
    assert page.locator(".leaflet-draw-draw-rectangle").get_attribute("title") == "绘制矩形"
    page.fill("#id_lot", str(lot.pk))
    page.fill("#id_code", "X-DRAW-1")
    lon, lat = lot.centre
    page.evaluate(
        "([lat, lon]) => document.querySelector('.sc-geometry-widget').scGeometry.map"
        ".setView([lat, lon], 19, {animate: false})",
        [lat, lon],
    )
    tiles_drawn(page)
    # Draw a rectangle with the toolbar: press, drag, release.
    page.locator(".leaflet-draw-draw-rectangle").click()
    box = page.locator(".sc-geometry-map").bounding_box()
    start = (box["width"] / 2 - 60, box["height"] / 2 - 40)
    end = (box["width"] / 2 + 60, box["height"] / 2 + 40)
    corners = page.evaluate(
        "([a, b]) => { const m = document.querySelector('.sc-geometry-widget').scGeometry.map;"
        " return [m.containerPointToLatLng(a), m.containerPointToLatLng(b)]; }",
        [list(start), list(end)],
    )
    page.mouse.move(box["x"] + start[0], box["y"] + start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + (start[0] + end[0]) / 2, box["y"] + (start[1] + end[1]) / 2)
    page.mouse.move(box["x"] + end[0], box["y"] + end[1])
    page.mouse.up()
    text = page.locator("#id_geometry").input_value()
    assert json.loads(text)["type"] == "Polygon"
    page.locator("input[name=_save]").click()
    page.wait_for_url(re.compile(r"/admin/parking/parkingspace/$"))
    with db_access(django_db_blocker):
        space = ParkingSpace.objects.get(lot=lot.lot, code="X-DRAW-1")
        west, south, east, north = space.geometry.extent
        assert space.geometry.srid == 4490 and space.geometry.valid
        pk = space.pk
    lngs = sorted(c["lng"] for c in corners)
    lats = sorted(c["lat"] for c in corners)
    px = 360 / (256 * 2**19)  # degrees of longitude per pixel at zoom 19
    # Where the pointer was pressed and released, within the pointer's pixel rounding.
    assert west == pytest.approx(lngs[0], abs=2 * px) and east == pytest.approx(lngs[1], abs=2 * px)
    assert south == pytest.approx(lats[0], abs=2 * px) and north == pytest.approx(
        lats[1], abs=2 * px
    )
    assert east - west > 80 * px  # the 120-pixel-wide rectangle, not a sliver
    # The change page draws it again from the saved GeoJSON.
    page.goto(page.url.split("/admin/")[0] + f"/admin/parking/parkingspace/{pk}/change/")
    page.wait_for_selector(".sc-geometry-widget[data-ready]")
    assert (
        page.evaluate(
            "document.querySelector('.sc-geometry-widget').scGeometry.drawn.getLayers().length"
        )
        == 1
    )
    assert page.locator("path.leaflet-interactive").count() >= 1
    shot(page, "security-admin-widget")
    assert page.js_errors == [] and csp_violations(page) == []


# A 1 x 1 transparent PNG: the "online" tiles, answered by Playwright, never the network.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
)


def test_the_configured_online_basemaps_are_allowed(browser: Any, live_url: str) -> None:
    """The policy lets the page draw the online basemaps of the settings (their hosts come
    from MAP_OSM_TILE_URL and MAP_AMAP_TILE_URL); their tiles are answered here, so
    nothing goes out."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, extra_http_headers={"Accept-Language": "en"}
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_CSP)
    served: list[str] = []
    leaving: list[str] = []

    def answer(route: Any) -> None:
        served.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    def refuse(route: Any) -> None:
        leaving.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), refuse)
    context.route(
        re.compile(r"^https://(tile\.openstreetmap\.org|webrd0\d\.is\.autonavi\.com)/"), answer
    )
    try:
        page = context.new_page()
        page.console_csp = []
        page.on(
            "console",
            lambda msg: (
                page.console_csp.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        page.goto(live_url + "/map/")
        wait_for_map(page)
        for label, host in (("OpenStreetMap", "tile.openstreetmap.org"), ("Amap", "autonavi")):
            open_layer_switcher(page)
            choose_layer(page, label)
            page.wait_for_function(
                "(host) => [...document.querySelectorAll('img.leaflet-tile-loaded')]"
                ".some(img => img.src.includes(host))",
                arg=host,
            )
            assert any(host in url for url in served)
        assert csp_violations(page) == []
        assert leaving == []
    finally:
        context.close()
