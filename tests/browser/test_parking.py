"""Parking in the browser: the resident finder's parking chip shows the nearest lot with
free spaces (a nearer full lot is skipped), checked against PostGIS; the common map's
parking layer colours lots by free spaces. Nothing leaves 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from tests.browser.conftest import (
    choose_layer,
    db_access,
    open_layer_switcher,
    shot,
    wait_for_map,
)
from tests.browser.test_resident import PHONE, show_place, tap_at
from tests.parking_support import event, make_lot, remove_lot, send


@pytest.fixture(scope="module")
def parking_lots(live_url: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A full lot, a lot with free spaces next to it, one further away (all committed)."""
    made: dict[str, Any] = {}
    with db_access(django_db_blocker):
        try:
            made["full"] = make_lot("文三路满位停车场", "330106001001", 1, capacity=(3, 0, 0))
            made["free"] = make_lot(
                "文三路空位停车场", "330106001001", 1, shift=0.0025, capacity=(30, 2, 1)
            )
            made["far"] = make_lot("远处停车场", "330106003002", 2, capacity=(50, 0, 0))
            events = [event(f"bf-{n}", "in", 30, f"浙A5{n:04d}") for n in range(3)]
            assert send(made["full"].gate, {"events": events}).status_code == 200
            events = [event(f"bp-{n}", "in", 30, f"浙A6{n:04d}") for n in range(5)]
            assert send(made["free"].gate, {"events": events}).status_code == 200
        except Exception:
            for lot in made.values():
                remove_lot(lot)
            raise
    yield made
    with db_access(django_db_blocker):
        for lot in made.values():
            remove_lot(lot)


def nearest_lot_with_free_spaces(
    django_db_blocker: Any, lon: float, lat: float
) -> tuple[str, float]:
    """PostGIS's answer, independently of the API: the closest in-use lot (spheroid) whose
    vehicles inside are fewer than its spaces."""
    with db_access(django_db_blocker), connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.identifier, ST_Distance(c.geometry::geography, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography) AS d "
            "FROM parking_parkinglot l JOIN component_catalog_component c ON c.id = l.component_id "
            "JOIN parking_lotoccupancy o ON o.lot_id = l.id "
            "WHERE c.currency = 'in_use' AND o.occupied_standard + o.occupied_charging "
            "+ o.occupied_accessible < l.capacity_standard + l.capacity_charging "
            "+ l.capacity_accessible ORDER BY d LIMIT 1",
            [lon, lat],
        )
        identifier, distance = cursor.fetchone()
    return identifier, float(distance)


def test_resident_finds_the_nearest_lot_with_free_spaces(
    open_page: Any, parking_lots: dict[str, Any], django_db_blocker: Any
) -> None:
    page = open_page("/", viewport=PHONE, has_touch=True, is_mobile=True)
    wait_for_map(page)
    page.wait_for_function(
        "() => document.body.dataset.finder === 'ready'"
        " && document.body.dataset.parking === 'ready'"
    )
    full = parking_lots["full"]
    target = (full.centre[0] + 0.0002, full.centre[1])  # next to the full lot
    show_place(page, target[0], target[1] - 0.004)
    page.locator('.chip[data-chip="parking"]').tap()
    tap_at(page, *target)
    page.wait_for_selector(".parking-result")
    shot(page, "parking-1-finder-375")

    lon, lat = page.evaluate("[SCFinder.origin.latlng.lng, SCFinder.origin.latlng.lat]")
    expected_id, expected_m = nearest_lot_with_free_spaces(django_db_blocker, lon, lat)
    assert expected_id == parking_lots["free"].identifier
    ids = page.locator(".parking-result").evaluate_all("els => els.map(e => e.dataset.id)")
    assert ids[0] == expected_id
    assert full.identifier not in ids  # nearer, but full
    first = page.locator(".parking-result").first
    assert first.locator(".result-distance").inner_text().endswith(f"{round(expected_m)} 米")
    assert first.locator(".parking-free").inner_text() == "28 个空位（共 33 个）"
    assert "停车场" in page.locator("#status").inner_text()
    assert page.js_errors == []


def test_the_parking_layer_colours_lots_by_free_spaces(
    open_page: Any, parking_lots: dict[str, Any]
) -> None:
    page = open_page("/map/", language="en")
    wait_for_map(page)
    page.wait_for_function("() => Number(document.body.dataset.parkingLayer || 0) >= 3")
    colours = page.evaluate(
        "() => Object.fromEntries(SCParking.markers.map(m => [m.options.parkingLot,"
        " m.options.fillColor]))"
    )
    assert colours[parking_lots["full"].identifier] == "#cf222e"  # full
    assert colours[parking_lots["free"].identifier] == "#1a7f37"  # spaces available
    assert colours[parking_lots["far"].identifier] == "#8c959f"  # no live data yet
    lon, lat = parking_lots["free"].centre
    show_place(page, lon, lat, 18)
    tooltip = page.evaluate(
        "(id) => SCParking.markers.find(m => m.options.parkingLot === id).getTooltip()"
        ".getContent().textContent",
        parking_lots["free"].identifier,
    )
    assert tooltip.endswith("28 of 33 free")
    open_layer_switcher(page)
    assert "Parking: free spaces" in page.locator(".leaflet-control-layers").inner_text()
    choose_layer(page, "Parking: free spaces")  # off
    assert page.evaluate("SCParking.map.hasLayer(SCParking.group)") is False
    choose_layer(page, "Parking: free spaces")  # on again
    assert page.evaluate("SCParking.map.hasLayer(SCParking.group)") is True
    shot(page, "parking-2-layer-1280")
    assert page.js_errors == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_finger_beside_a_small_lots_dot_opens_its_popup(
    open_page: Any, parking_lots: dict[str, Any], language: str
) -> None:
    page = open_page("/map/", viewport=PHONE, language=language, has_touch=True, is_mobile=True)
    wait_for_map(page)
    page.wait_for_function("() => Number(document.body.dataset.parkingLayer || 0) >= 3")
    lot = parking_lots["free"]
    show_place(page, *lot.centre, 16)  # the lot's 40 x 30 m outline: about 16 x 12 px
    x, y, radius = page.evaluate(
        "(id) => { const m = SCParking.markers.find(m => m.options.parkingLot === id);"
        " const p = SCParking.map.latLngToContainerPoint(m.getLatLng());"
        " return [p.x, p.y, m.getRadius()]; }",
        lot.identifier,
    )
    assert radius < 12  # the dot itself is smaller than a fingertip
    box = page.locator(".sc-map").bounding_box()
    # 14 px right of its centre. A click, not a tap: Chromium's touch adjustment snaps a
    # tap to a nearby target, which other phones' browsers do not do
    page.mouse.click(box["x"] + x + 14, box["y"] + y)
    # the live popup (free spaces now), not only the component's identify popup
    popup = page.locator(".leaflet-popup-content .parking-popup")
    popup.wait_for()
    assert "文三路空位停车场" in popup.inner_text() and "28" in popup.inner_text()
    shot(page, f"parking-tap-beside-375-{language}")


def test_reverse_car_finding_highlights_the_space_then_nothing_after_exit(
    open_page: Any, parking_lots: dict[str, Any], django_db_blocker: Any
) -> None:
    lot = parking_lots["free"]
    plate = "浙A8C3D2"
    with db_access(django_db_blocker):
        assert send(lot.gate, event("fcb-1", "in", 20, plate)).status_code == 200
        assert send(lot.camera, event("fcb-2", "in", 18, plate, space="B1-031")).status_code == 200
    page = open_page("/parking/find/", viewport=PHONE, has_touch=True, is_mobile=True)
    page.allow_failures(r"^404 .*/api/v1/parking/find-car/$")  # the car has left
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.findcar === 'ready'")
    page.locator("#plate").fill("浙a8c3d2")
    page.locator(".findcar-submit").tap()
    page.wait_for_function("() => document.body.dataset.findcar === 'found'")
    assert page.locator("#findcar-space").inner_text() == "地下一层 B1-031 号车位"
    assert "浙A·***D2" in page.locator("#status").inner_text()
    assert lot.identifier and "文三路空位停车场" in page.locator("#findcar-lot").inner_text()
    highlighted = page.evaluate(
        "() => SCFindCar.layer.getLayers().filter(l => l.options.fillColor === '#cf222e')"
        ".map(l => l.options.spaceCode)"
    )
    assert highlighted == ["B1-031"]
    assert page.evaluate("SCFindCar.layer.getLayers().length") == 33
    assert plate not in page.content()
    shot(page, "parking-3-find-car-375")

    with db_access(django_db_blocker):
        out = event("fcb-3", "out", 1, plate, gate="G2")
        assert send(lot.gate, out).status_code == 200
    page.locator(".findcar-submit").tap()
    page.wait_for_function("() => document.body.dataset.findcar === 'notFound'")
    assert page.locator("#status").inner_text() == "未找到该车牌正在停放的车辆。"
    assert page.locator("#findcar-result").is_hidden()
    assert page.evaluate("SCFindCar.layer.getLayers().length") == 0
    assert page.js_errors == []
