"""Identify on the common map (/map/) in Chromium, at 1280x800 and 375x812, in Chinese
and English: a click or tap near a toilet of the vector-tile layer opens its popup (name,
class, key attributes, facility link) without a page error; the layer switcher groups
layers under major-class headings; the legend lists the layers shown; locate-me and
zooming in stop at zoom 19."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    choose_layer,
    db_access,
    open_layer_switcher,
    screen_point,
    shot,
    wait_for_map,
)
from tests.components_helpers import Api
from tests.ogc_data import committed_components, toilet

DESKTOP = (1280, 800)
PHONE = (375, 812)
SIZES = [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="375")]
LANGUAGES = ["zh-hans", "en"]
TEXT: dict[str, dict[str, Any]] = {
    "zh-hans": {
        "toilet": "公共厕所",
        "parking": "停车：空余车位",
        "groups": ["道路交通", "市容环境"],
        "hours": "开放时间",
        "good": "完好",
        "open": "打开设施页面",
        "none": "未显示任何图层",
        "locate": "显示我的位置",
        "empty": "本区域暂无数据",
        "no_data": "（暂无数据）",
    },
    "en": {
        "toilet": "Public toilet",
        "parking": "Parking: free spaces",
        "groups": ["Roads and traffic", "City appearance and environment"],
        "hours": "Opening hours",
        "good": "Good",
        "open": "Open facility page",
        "none": "No layers shown",
        "locate": "Show my location",
        "empty": "No data in your area yet",
        "no_data": "(no data)",
    },
}
# Pixels between the tap and the toilet's centre: outside the 5 px dot, inside the
# 16 px hit radius (a 32 px target).
TAP_OFFSET = (9, 8)


@pytest.fixture(scope="module")
def toilets(live_url: str, django_db_blocker: Any) -> Any:
    with db_access(django_db_blocker), committed_components() as made:
        yield made


def toilet_at(django_db_blocker: Any, identifier: str) -> tuple[str, float, float]:
    with db_access(django_db_blocker):
        from component_catalog.models import Component

        found = Component.objects.get(identifier=identifier)
        return found.name, found.geometry.x, found.geometry.y


def open_map(open_page: Any, viewport: tuple[int, int], language: str, **options: Any) -> Any:
    if viewport == PHONE:
        options.update(has_touch=True, is_mobile=True)
    page = open_page("/map/", viewport=viewport, language=language, **options)
    wait_for_map(page)
    return page


def open_legend(page: Any) -> Any:
    legend = page.locator(".sc-legend")
    if not legend.locator("details").evaluate("d => d.open"):
        legend.locator("summary").click()
    return legend


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", SIZES)
def test_tapping_a_toilet_opens_its_popup(
    open_page: Any,
    toilets: Any,
    django_db_blocker: Any,
    viewport: tuple[int, int],
    language: str,
) -> None:
    t = TEXT[language]
    identifier = toilets["toilets"][0]
    name, lon, lat = toilet_at(django_db_blocker, identifier)
    page = open_map(open_page, viewport, language)
    size = f"{viewport[0]}-{language}"

    # The legend lists the layer shown at start (live parking), not "no layers".
    legend = open_legend(page)
    assert t["parking"] in legend.inner_text()
    assert t["none"] not in legend.inner_text()

    # The switcher groups the layers under their major classes; the toilets are listed
    # under theirs (city appearance), after its heading.
    open_layer_switcher(page)
    overlays = page.locator(".leaflet-control-layers-overlays")
    headings = overlays.locator(".sc-layer-group").all_inner_texts()
    for group in t["groups"]:
        assert group in headings
    order = overlays.evaluate(
        "(el, name) => Array.from(el.children).map(c => c.classList.contains('sc-layer-group')"
        " ? 'H:' + c.textContent : c.textContent.trim())",
        t["toilet"],
    )
    toilet_row = order.index(t["toilet"])
    last_heading = [row for row in order[:toilet_row] if row.startswith("H:")][-1]
    assert last_heading == "H:" + t["groups"][1]
    # Layers with nothing in reach come last, marked, under a heading of their own.
    empty_from = order.index("H:" + t["empty"])
    assert toilet_row < empty_from
    assert all(t["no_data"] in row for row in order[empty_from + 1 :])
    assert not any(t["no_data"] in row for row in order[:empty_from])
    shot(page, f"map-identify-switcher-{size}")
    choose_layer(page, t["toilet"])
    page.evaluate("SCMap.current.layerControl.collapse()")
    assert t["toilet"] in open_legend(page).inner_text()

    # At street level, next to the toilet (not on its dot): a tap opens its popup.
    page.evaluate(
        "([lat, lon]) => SCMap.current.map.setView(SCMap.current.toDisplay([lat, lon]), 18,"
        " {animate: false})",
        [lat, lon],
    )
    page.wait_for_function("() => !SCMap.current.isLoading()")
    x, y = screen_point(page, lon, lat)
    if viewport == PHONE:
        page.touchscreen.tap(x + TAP_OFFSET[0], y + TAP_OFFSET[1])
    else:
        page.mouse.click(x + TAP_OFFSET[0], y + TAP_OFFSET[1])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert name in text
    assert t["toilet"] in text
    assert t["hours"] in text and "Mo-Su 05:30-23:00" in text
    assert t["good"] in text
    link = popup.get_by_role("link", name=t["open"])
    assert link.get_attribute("href") == f"/facilities/{identifier}/"
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    box = page.locator(".leaflet-popup").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport[0]
    shot(page, f"map-identify-popup-{size}")
    assert page.js_errors == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", SIZES)
def test_locate_and_zoom_in_stop_at_zoom_19(
    open_page: Any, viewport: tuple[int, int], language: str
) -> None:
    here = {"latitude": 30.2741, "longitude": 120.1551, "accuracy": 3}
    page = open_map(open_page, viewport, language, geolocation=here, permissions=["geolocation"])
    page.evaluate(
        "() => { window.located = false; SCMap.current.map.once('sc:located', () =>"
        " SCMap.current.map.once('moveend', () => { window.located = true; })); }"
    )
    page.get_by_title(TEXT[language]["locate"]).click()
    page.wait_for_function("() => window.located")
    assert page.evaluate("SCMap.current.map.getZoom()") <= 19
    # Zooming in from there with the + button ends at 19 on every basemap (not on a grey
    # screen at 22 or beyond).
    zoom_in = page.locator(".leaflet-control-zoom-in")
    for _ in range(10):
        if zoom_in.get_attribute("aria-disabled") == "true":
            break
        zoom_in.click(force=True)  # it may turn disabled between the check and the click
        page.wait_for_function("() => !SCMap.current.map._animatingZoom")
    assert page.evaluate("SCMap.current.map.getZoom()") == 19
    assert zoom_in.get_attribute("aria-disabled") == "true"
    shot(page, f"map-identify-locate-{viewport[0]}-{language}")


def test_identify_follows_the_amap_shift(
    open_page: Any, toilets: Any, django_db_blocker: Any, settings: Any
) -> None:
    # Tests never use online basemaps: "Amap" tiles come from the test server here.
    settings.MAP_AMAP_TILE_URL = "/static/map_ui/test-missing/{z}/{x}/{y}.png"
    identifier = toilets["toilets"][1]
    name, lon, lat = toilet_at(django_db_blocker, identifier)
    page = open_map(open_page, DESKTOP, "zh-hans")
    page.allow_failures(r"^404 .*/static/map_ui/test-missing/")
    open_layer_switcher(page)
    choose_layer(page, "公共厕所")
    choose_layer(page, "高德地图")
    page.wait_for_function("() => SCMap.current.crsMode === 'gcj02'")
    page.evaluate("SCMap.current.layerControl.collapse()")
    page.evaluate(
        "([lat, lon]) => SCMap.current.map.setView(SCMap.current.toDisplay([lat, lon]), 18,"
        " {animate: false})",
        [lat, lon],
    )
    page.wait_for_function("() => !SCMap.current.isLoading()")
    # Where the toilet is drawn (GCJ-02, hundreds of metres from its WGS 84 position).
    x, y = screen_point(page, lon, lat)
    page.mouse.click(x + TAP_OFFSET[0], y - TAP_OFFSET[1])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert name in popup.inner_text() and "公共厕所" in popup.inner_text()
    shot(page, "map-identify-amap-1280-zh-hans")


CLUSTER_AT = """() => {
  const ctl = SCMap.current, grid = ctl.overlays['component-0301'].layer;
  for (const tile of Object.values(grid._vectorTiles)) {
    if (tile.getCoord().z !== grid._tileZoom) continue;
    for (const f of Object.values(tile._layers)) {
      if (!(f.properties.count > 1)) continue;
      const px = tile.getCoord().scaleBy(grid.getTileSize()).add(f._point);
      const at = ctl.map.latLngToContainerPoint(ctl.map.unproject(px, grid._tileZoom));
      if (at.x > 20 && at.y > 20 && at.x < innerWidth - 20 && at.y < innerHeight - 200)
        return [at.x, at.y, f.properties.count];
    }
  }
  return null;
}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_tapped_cluster_says_how_many_and_zooms_in(
    open_page: Any, toilets: Any, django_db_blocker: Any, committed: None, language: str
) -> None:
    t = TEXT[language]
    _, lon, lat = toilet_at(django_db_blocker, toilets["toilets"][0])
    with db_access(django_db_blocker):  # a second toilet 30 m away
        made = Api("district_admin").create(toilet("保俶路二号公厕", [lon + 0.0003, lat]))
        assert made.status_code == 201, made.content
    page = open_map(open_page, PHONE, language)
    open_layer_switcher(page)
    choose_layer(page, t["toilet"])
    page.evaluate("SCMap.current.layerControl.collapse()")
    # Below the layer's own zoom (15) nearby toilets are drawn as one dot with a count.
    page.evaluate(
        "([lat, lon]) => SCMap.current.map.setView(SCMap.current.toDisplay([lat, lon]), 12,"
        " {animate: false})",
        [lat, lon],
    )
    page.wait_for_function("() => !SCMap.current.isLoading()")
    found = page.evaluate(CLUSTER_AT)
    assert found, "no cluster of toilets drawn at zoom 12"
    x, y, count = found
    box = page.locator(".sc-map").bounding_box()
    page.touchscreen.tap(box["x"] + x, box["y"] + y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert str(count) in popup.inner_text()
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
        " && !SCMap.current.map._panAnim?._inProgress"
    )
    shot(page, f"map-identify-cluster-375-{language}")
    popup.get_by_role("button").tap()
    page.wait_for_function("() => SCMap.current.map.getZoom() >= 15")
    page.locator(".leaflet-popup").wait_for(state="detached")  # closed (after its fade)
