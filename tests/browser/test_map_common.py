"""The common map in Chromium: offline basemap from the platform's own tiles, layer
switcher, legend, scale, locate-me, and the Amap (GCJ-02) display shift."""

from __future__ import annotations

from typing import Any

import pytest

from gis_app import coords
from tests.browser.conftest import (
    RequestWatcher,
    choose_layer,
    open_layer_switcher,
    shot,
    wait_for_map,
)

# Points in and around Hangzhou (lon, lat), plus one outside China (identity there).
POINTS = [(120.1551, 30.2741), (120.0871, 30.2866), (120.2102, 30.2456), (2.3522, 48.8566)]


def test_map_page_draws_the_offline_basemap_with_controls(
    open_page: Any, requests_seen: RequestWatcher
) -> None:
    page = open_page("/map/", language="en")
    wait_for_map(page)
    assert page.evaluate("SCMap.current.activeBasemap.id") == "platform"
    page.wait_for_function("() => !SCMap.current.isLoading()")
    assert page.locator(".sc-progress").is_hidden()
    # The basemap is drawn from the platform's own vector tiles ...
    assert requests_seen.matching(r"/tiles/admin-areas/\d+/\d+/\d+\.mvt$")
    # ... with a metric scale bar, the locate-me button, the legend and the layer switcher.
    assert page.locator(".leaflet-control-scale-line").count() == 1
    assert page.locator(".leaflet-control-locate a").get_attribute("title") == "Show my location"
    assert "Basemap: Platform map (offline)" in page.locator(".sc-legend").inner_text()
    open_layer_switcher(page)
    labels = page.locator(".leaflet-control-layers-list label").all_inner_texts()
    assert any("OpenStreetMap" in label for label in labels)
    assert any("Public toilet" in label for label in labels)  # a public component layer
    assert not any("Grid cells" in label for label in labels)  # not public
    assert page.js_errors == []
    shot(page, "map-common-offline")


def test_browser_conversion_agrees_with_gis_app_coords(open_page: Any) -> None:
    page = open_page("/map/")
    wait_for_map(page)
    for lon, lat in POINTS:
        js = page.evaluate(f"ChinaCoords.wgs84ToGcj02({lon}, {lat})")
        py = coords.wgs84_to_gcj02(lon, lat)
        assert js == pytest.approx(list(py), abs=1e-9)  # ~0.1 mm
        back = page.evaluate(f"ChinaCoords.gcj02ToWgs84({py[0]}, {py[1]})")
        assert back == pytest.approx([lon, lat], abs=1e-8)
        bd = page.evaluate(f"ChinaCoords.wgs84ToBd09({lon}, {lat})")
        assert bd == pytest.approx(list(coords.wgs84_to_bd09(lon, lat)), abs=1e-9)


def test_amap_shifts_overlays_and_clicks(
    open_page: Any, settings: Any, live_url: str, requests_seen: RequestWatcher
) -> None:
    # Tests never use online basemaps: "Amap" tiles come from the test server here.
    settings.MAP_AMAP_TILE_URL = "/static/map_ui/test-missing/{z}/{x}/{y}.png"
    page = open_page("/map/", language="en")
    page.allow_failures(r"^404 .*/static/map_ui/test-missing/")  # the stand-in Amap tiles
    wait_for_map(page)
    lon, lat = POINTS[0]
    page.evaluate(
        "([lat, lon]) => { window.pin = SCMap.current.manage("
        "L.marker([0, 0]).addTo(SCMap.current.map), [lat, lon]); }",
        [lat, lon],
    )
    assert page.evaluate("[pin.getLatLng().lng, pin.getLatLng().lat]") == pytest.approx(
        [lon, lat], abs=1e-12
    )
    # The user picks Amap in the layer switcher.
    open_layer_switcher(page)
    choose_layer(page, "Amap")
    page.wait_for_function("() => SCMap.current.crsMode === 'gcj02'")
    shown = page.evaluate("[pin.getLatLng().lng, pin.getLatLng().lat]")
    assert shown == pytest.approx(list(coords.wgs84_to_gcj02(lon, lat)), abs=1e-9)
    assert "shifted to GCJ-02" in page.locator(".sc-legend").inner_text()
    assert requests_seen.matching(r"/static/map_ui/test-missing/\d+/\d+/\d+\.png$")

    # A click is reported in WGS 84: the clicked GCJ-02 point shifted back.
    page.evaluate(
        "() => { window.clicked = null; SCMap.current.map.once('sc:click', e => { window.clicked"
        " = [e.latlng.lng, e.latlng.lat, e.displayLatlng.lng, e.displayLatlng.lat]; }); }"
    )
    box = page.locator(".sc-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6)
    page.wait_for_function("() => window.clicked", polling=100)
    wgs_lon, wgs_lat, gcj_lon, gcj_lat = page.evaluate("window.clicked")
    assert (gcj_lon, gcj_lat) != pytest.approx((wgs_lon, wgs_lat), abs=1e-4)  # hundreds of m
    assert [wgs_lon, wgs_lat] == pytest.approx(
        list(coords.gcj02_to_wgs84(gcj_lon, gcj_lat)), abs=1e-8
    )

    # Back on the offline basemap nothing is shifted.
    choose_layer(page, "Platform map (offline)")
    page.wait_for_function("() => SCMap.current.crsMode === 'wgs84'")
    assert page.evaluate("[pin.getLatLng().lng, pin.getLatLng().lat]") == pytest.approx(
        [lon, lat], abs=1e-12
    )
