"""The surveyors' editor (/survey/) in Chromium against the live test server:

* a water surveyor on a phone logs in, adds a manhole cover (position from an external GNSS
  receiver's NMEA sentences, attributes from the class's schema, a photo), is told where the
  server disagrees, moves the cover, reads its history; a district administrator in a second
  browser context edits it first, and the surveyor gets the "theirs vs yours" choice;
* on a desktop, with the keyboard, a surveyor goes offline, makes two edits, reloads the
  page (served by the service worker), comes back online, and both edits are stored.

Every edit is committed for real (the live server has its own connections) and removed
afterwards. Nothing leaves 127.0.0.1 (the ``open_page`` fixture's watcher)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from component_catalog.models import (
    Component,
    ComponentHistory,
)
from tests.browser.conftest import db_access, screen_point, shot, wait_for_map
from tests.components_helpers import (
    Api,
    inside,
    manhole,
)

PHONE = (375, 812)
PASSWORD = "demo-pass-2019"


def nmea(body: str) -> str:
    """An NMEA sentence with its checksum."""
    checksum = 0
    for char in body:
        checksum ^= ord(char)
    return f"${body}*{checksum:02X}"


def degrees_minutes(value: float, degree_digits: int) -> str:
    whole = int(abs(value))
    minutes = (abs(value) - whole) * 60
    return f"{whole:0{degree_digits}d}{minutes:010.7f}"


def gga(lon: float, lat: float, when: dt.datetime, quality: int = 4, sats: int = 14) -> str:
    return nmea(
        f"GNGGA,{when:%H%M%S}.00,{degrees_minutes(lat, 2)},N,{degrees_minutes(lon, 3)},E,"
        f"{quality},{sats:02d},0.6,12.3,M,7.1,M,1.0,0001"
    )


def gst(when: dt.datetime, lat_sigma: float, lon_sigma: float) -> str:
    return nmea(f"GNGST,{when:%H%M%S}.00,0.9,0.3,0.2,45.0,{lat_sigma},{lon_sigma},0.5")


def log_in(page: Any, username: str) -> None:
    """The login page the editor redirected to, as a person fills it in."""
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/survey/")
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.survey === 'ready'")


def show_place(page: Any, lon: float, lat: float, zoom: int = 18) -> None:
    """Pan the map to a place (as a user would by dragging) and wait for its components."""
    before = page.evaluate("document.body.dataset.loaded || '0'")
    page.evaluate(
        "([lat, lon, z]) => SCMap.current.map.setView(SCMap.current.toDisplay([lat, lon]), z,"
        " {animate: false})",
        [lat, lon, zoom],
    )
    page.wait_for_function(f"() => (document.body.dataset.loaded || '0') !== '{before}'")


def jpeg(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 80, 40)).save(path, "JPEG", quality=90)
    return path


def wait_text(page: Any, element_id: str, pattern: str) -> None:
    """Until the element's text matches the regular expression ``pattern``."""
    page.wait_for_function(
        "([id, re]) => new RegExp(re).test(document.getElementById(id).textContent)",
        arg=[element_id, pattern],
    )


def field_error(page: Any, field: str) -> str:
    return page.locator(f'#sv-form [data-field="{field}"] .sv-field-error').inner_text()


def test_surveyor_adds_moves_and_resolves_a_conflict(
    open_page: Any, committed: None, django_db_blocker: Any, tmp_path: Path
) -> None:
    with db_access(django_db_blocker):
        target = inside("330106001001", 2)
    lon, lat = target
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    page = open_page(
        "/survey/",
        viewport=PHONE,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 0.3},
        permissions=["geolocation"],
    )
    # a creation the form refuses, and the conflict the district administrator causes
    page.allow_failures(r"^400 .*/api/v1/components/$", r"^409 .*/api/v1/components/\d+/$")
    log_in(page, "surveyor_water")
    shot(page, "survey-1-start-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    assert page.locator("#sv-net").inner_text() == "在线"
    assert page.locator("#sv-import-link").get_attribute("href") == "/imports/"

    # The surveyor first places the cover far outside the platform's communities.
    show_place(page, 120.30, 30.40)
    page.select_option("#sv-class", "0101")
    assert page.locator("#sv-add-hint").inner_text() == "点；GNSS 精度要求：≤ 0.5 米。"
    page.click("#sv-add")
    page.click("#sv-draw-centre")
    page.wait_for_selector("#sv-form:not([hidden])")
    # GPS runs (the phone's location, faked by the browser): accuracy against the class.
    page.wait_for_selector("#sv-gps-accuracy.ok")
    assert page.locator("#sv-gps-accuracy").inner_text().startswith("精度 ±0.3 米")
    assert "0.5 米" in page.locator("#sv-gps-threshold").inner_text()

    page.fill("#sv-name", "保俶路 12 号上水井盖")
    page.select_option("#sv-attr-material", "球墨铸铁")
    page.select_option("#sv-attr-shape", "圆形")
    page.fill("#sv-attr-size_mm", "100")
    page.fill("#sv-attr-depth_m", "1.5")
    page.set_input_files("#sv-photo", str(jpeg(tmp_path / "cover.jpg")))
    page.fill("#sv-comment", "保俶路井盖普查")
    page.click("#sv-save")
    # Checked before sending, explained next to the field, in Chinese.
    assert field_error(page, "properties.attributes.size_mm") == "不能小于 300。"
    page.fill("#sv-attr-size_mm", "700")
    page.click("#sv-save")
    # The server refuses the position; its message appears in the position box.
    page.wait_for_selector('#sv-form [data-field="geometry"] .sv-field-error:not([hidden])')
    assert "社区" in field_error(page, "geometry")
    with db_access(django_db_blocker):
        assert not Component.objects.filter(name="保俶路 12 号上水井盖").exists()
    assert page.locator("#sv-pending").inner_text() == "0"

    # An RTK receiver's sentences (GGA + GST), pasted from its app, then "use this position".
    page.locator("#sv-nmea-box summary").click()
    page.fill("#sv-nmea", gga(lon, lat, now) + "\n" + gst(now, 0.012, 0.016))
    meta = page.locator("#sv-gps-meta").inner_text()
    assert "RTK固定解" in meta and "14 颗卫星" in meta and "HDOP 0.6" in meta
    assert page.locator("#sv-gps-accuracy").inner_text().startswith("精度 ±0.02 米")
    page.click("#sv-gps-use")
    assert page.locator("#sv-source").input_value() == "measured"
    shot(page, "survey-2-form-375", full_page=True)
    page.click("#sv-save")
    page.wait_for_selector("#sv-detail:not([hidden])")
    identifier = page.evaluate("SCSurvey.selected")
    assert len(identifier) == 16 and identifier.startswith("3301060101")
    assert f"{identifier}，版本 1" in page.locator("#sv-status").inner_text()
    page.wait_for_selector("#sv-detail-photos img")
    shot(page, "survey-3-created-375")

    with db_access(django_db_blocker):
        cover = Component.objects.get(identifier=identifier)
        assert (cover.geometry.x, cover.geometry.y) == pytest.approx((lon, lat), abs=1e-7)
        assert cover.attributes == {
            "material": "球墨铸铁",
            "shape": "圆形",
            "size_mm": 700,
            "depth_m": 1.5,
        }
        assert cover.gnss_fix == "rtk_fixed" and cover.gnss_satellites == 14
        assert cover.gnss_accuracy_m == pytest.approx(0.02, abs=1e-3)
        assert cover.gnss_time == now and cover.gnss_device == "NMEA GN"
        assert cover.data_source == "measured" and not cover.needs_review
        assert (cover.owner.code, cover.competent_department.code) == ("HZ-SW", "XH-CGJ")
        photo = cover.photos.get()
        assert (photo.width, photo.height, photo.content_type) == (64, 48, "image/jpeg")

    # Move it: drag the marker 40 px right and 30 px up.
    page.click("#sv-edit")
    marker = page.locator(".sv-pin-editing")
    x, y = screen_point(page, lon, lat)
    expected = page.evaluate(
        "([dx, dy]) => { const m = SCMap.current.map; const p = m.latLngToContainerPoint("
        "SCMap.current.toDisplay(SCSurvey.editing.geometry.coordinates.slice().reverse()));"
        " const ll = SCMap.current.fromDisplay(m.containerPointToLatLng(p.add([dx, dy])));"
        " return [ll.lng, ll.lat]; }",
        [40, -30],
    )
    box = marker.bounding_box()
    assert box["x"] + box["width"] / 2 == pytest.approx(x, abs=1.5)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y - 15, steps=4)
    page.mouse.move(x + 40, y - 30, steps=4)
    page.mouse.up()
    assert page.locator("#sv-source").input_value() == "digitized"
    page.fill("#sv-comment", "井盖位置修正")
    page.click("#sv-save")
    wait_text(page, "sv-status", "版本 2")
    with db_access(django_db_blocker):
        cover = Component.objects.get(identifier=identifier)
        assert cover.version == 2
        assert (cover.geometry.x, cover.geometry.y) == pytest.approx(expected, abs=2e-6)
        moved = math.hypot((cover.geometry.x - lon) * 96_000, (cover.geometry.y - lat) * 111_000)
        assert 20 < moved < 30  # 50 px at zoom 18 is about 26 m
        assert cover.data_source == "digitized" and cover.gnss_fix == ""

    # Its history, newest first.
    page.click("#sv-history-open")
    rows = page.locator(".sv-history-row")
    rows.first.wait_for()
    assert rows.count() == 2
    newest, oldest = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "版本 2：修改" in newest and "井盖位置修正" in newest
    # the editor by name, not by login; the move as old -> new position
    assert "水务普查员" in newest and "surveyor_water" not in newest
    assert "位置\n" in newest and " → " in newest
    assert "版本 1：新建" in oldest and "保俶路井盖普查" in oldest
    shot(page, "survey-4-history-375")
    page.click("#sv-history-back")

    # Meanwhile a district administrator, on another device, renames it first.
    other = open_page("/survey/", viewport=(1280, 800))
    log_in(other, "district_admin")
    show_place(other, lon, lat)
    other.click(f'.sv-item[data-id="{identifier}"]')
    other.click("#sv-edit")
    other.fill("#sv-name", "保俶路 12 号井盖（已核对）")
    other.fill("#sv-comment", "名称核对")
    other.click("#sv-save")
    wait_text(other, "sv-status", "版本 3")

    # The surveyor, still on version 2, records damage: the server answers 409.
    page.click("#sv-edit")
    page.select_option("#sv-status-field", "damaged")
    page.fill("#sv-comment", "井盖破损")
    page.click("#sv-save")
    dialog = page.locator("#sv-conflict")
    dialog.wait_for(state="visible")
    name_row = dialog.locator('tr[data-field="name"]')
    assert "保俶路 12 号井盖（已核对）" in name_row.locator(".sv-theirs").inner_text()
    assert name_row.locator(".sv-yours").inner_text() == "（您未修改）"
    status_row = dialog.locator('tr[data-field="status"]')
    assert status_row.locator(".sv-theirs").inner_text() == "完好"
    assert status_row.locator(".sv-yours").inner_text() == "破损"
    assert "版本 3" in page.locator("#sv-conflict-text").inner_text()
    for choice in ("#sv-keep-theirs", "#sv-keep-mine", "#sv-conflict-later"):  # on screen
        box = page.locator(choice).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE[1], choice
    shot(page, "survey-5-conflict-375")
    with db_access(django_db_blocker):
        assert Component.objects.get(identifier=identifier).status == "good"

    page.click("#sv-keep-mine")
    page.wait_for_function("() => document.body.dataset.pending === '0'")
    wait_text(page, "sv-status", "版本 4")
    with db_access(django_db_blocker):
        cover = Component.objects.get(identifier=identifier)
        assert cover.version == 4
        assert (cover.name, cover.status) == ("保俶路 12 号井盖（已核对）", "damaged")
    assert page.js_errors == [] and other.js_errors == []


@pytest.fixture
def two_covers(live_url: str, committed: None, django_db_blocker: Any) -> Iterator[list[str]]:
    with db_access(django_db_blocker):
        api = Api("surveyor_water")
        made = []
        for shift in (0.0, 0.0002):
            body = manhole(at=inside("330106001001", 3, shift=shift), name=f"井盖 {len(made) + 1}")
            response = api.post("/api/v1/components/", {**body, "comment": "测试数据"})
            assert response.status_code == 201, response.content
            made.append(response.json()["id"])
    yield made


def press_until_focused(page: Any, selector: str, key: str = "Tab", limit: int = 40) -> None:
    """Move the keyboard focus with ``key`` until ``selector`` has it (as a keyboard user)."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} never got the focus")


def test_offline_edits_are_kept_and_synced_when_back_online(
    open_page: Any, two_covers: list[str], django_db_blocker: Any, tmp_path: Path
) -> None:
    first, second = two_covers
    with db_access(django_db_blocker):
        at = Component.objects.get(identifier=first).geometry
    page = open_page("/survey/", viewport=(1280, 800))
    log_in(page, "surveyor_water")
    show_place(page, at.x, at.y)
    page.wait_for_selector(f'.sv-item[data-id="{first}"]')
    # The service worker controls the page: the app shell is stored on the device.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.allow_failures(r"\(net::ERR_INTERNET_DISCONNECTED\)$", r"\(net::ERR_FAILED\)$")
    page.context.set_offline(True)
    page.wait_for_function("() => document.getElementById('sv-net').dataset.online === 'false'")
    assert page.locator("#sv-net").inner_text() == "离线"

    # Edit 1, keyboard only: from the list to the form, Enter submits.
    press_until_focused(page, f'.sv-item[data-id="{first}"]')
    page.keyboard.press("Enter")
    page.wait_for_selector("#sv-detail:not([hidden])")
    press_until_focused(page, "#sv-edit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sv-form:not([hidden])")
    press_until_focused(page, "#sv-status-field")
    page.select_option("#sv-status-field", "damaged")  # the keyboard opens native selects
    press_until_focused(page, "#sv-comment")
    page.keyboard.type("离线巡查：井盖破损")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.dataset.pending === '1'")
    wait_text(page, "sv-status", "保存在本设备")

    # Edit 2 on the same cover, made from the state edit 1 left it in.
    page.click("#sv-detail-back")
    page.click(f'.sv-item[data-id="{first}"]')
    page.click("#sv-edit")
    assert page.locator("#sv-status-field").input_value() == "damaged"
    page.fill("#sv-name", "井盖 1（待更换）")
    page.fill("#sv-comment", "离线巡查：待更换")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.dataset.pending === '2'")

    # And a new sewage cover with a photo, placed at the centre cross.
    page.click("#sv-detail-back")
    page.select_option("#sv-class", "0102")
    page.click("#sv-add")
    page.click("#sv-draw-centre")
    centre = map_centre(page)
    page.fill("#sv-name", "离线新增污水井盖")
    page.set_input_files("#sv-photo", str(jpeg(tmp_path / "sewer.jpg")))
    page.fill("#sv-comment", "离线新增")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.dataset.pending === '4'")  # + its photo
    shot(page, "survey-6-offline-pending")

    # A reload without a connection: the service worker serves the editor, the queue stays.
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_function("() => document.body.dataset.survey === 'ready'")
    assert page.locator("#sv-pending").inner_text() == "4"
    item = page.locator(f'.sv-item[data-id="{first}"]')
    assert "井盖 1（待更换）" in item.inner_text() and "已修改，尚未同步" in item.inner_text()
    assert "新增，尚未同步" in page.locator(".sv-item", has_text="离线新增污水井盖").inner_text()
    with db_access(django_db_blocker):
        assert Component.objects.get(identifier=first).version == 1
        assert not Component.objects.filter(name="离线新增污水井盖").exists()

    page.context.set_offline(False)
    page.wait_for_function("() => document.body.dataset.pending === '0'")
    assert page.locator("#sv-net").inner_text() == "在线"
    shot(page, "survey-7-synced")
    with db_access(django_db_blocker):
        cover = Component.objects.get(identifier=first)
        assert (cover.version, cover.status, cover.name) == (3, "damaged", "井盖 1（待更换）")
        comments = list(
            ComponentHistory.objects.filter(identifier=first)
            .order_by("version")
            .values_list("changeset__comment", flat=True)
        )
        assert comments == ["测试数据", "离线巡查：井盖破损", "离线巡查：待更换"]
        assert Component.objects.get(identifier=second).version == 1
        sewer = Component.objects.get(name="离线新增污水井盖")
        assert sewer.component_class_id == "0102" and sewer.photos.count() == 1
        assert (sewer.geometry.x, sewer.geometry.y) == pytest.approx(centre, abs=1e-7)
        assert sewer.data_source == "digitized" and sewer.gnss_accuracy_m is None
    assert page.js_errors == []


def map_centre(page: Any) -> list[float]:
    """Where the centre cross is, in CGCS2000 lon/lat."""
    return page.evaluate(
        "() => { const c = SCMap.current.fromDisplay(SCMap.current.map.getCenter());"
        " return [c.lng, c.lat]; }"
    )


def test_green_space_polygon_drawn_at_the_centre_cross_then_a_vertex_moved(
    open_page: Any, committed: None, django_db_blocker: Any
) -> None:
    """In English, on a desktop: three corners added at the centre cross with the keyboard
    (the map panned between them), then one corner dragged to a new place."""
    with db_access(django_db_blocker):
        lon, lat = inside("330106001001", 1)
    page = open_page("/survey/", viewport=(1280, 800), language="en")
    log_in(page, "surveyor_green")
    show_place(page, lon, lat)
    page.select_option("#sv-class", "0405")
    assert page.locator("#sv-add-hint").inner_text() == "Polygon; GNSS accuracy needed: ≤ 2 m."
    page.click("#sv-add")
    corner = page.get_by_role("button", name="Add a vertex at the centre cross")
    corners = []
    for dx, dy in [(-60, -40), (120, 0), (0, 90)]:
        page.evaluate("([dx, dy]) => SCMap.current.map.panBy([dx, dy], {animate: false})", [dx, dy])
        corners.append(map_centre(page))
        corner.focus()
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Finish").click()
    page.wait_for_selector("#sv-form:not([hidden])")
    assert page.locator("#sv-form-title").inner_text() == "New: Green space"
    assert page.get_by_label("Area (m²)").get_attribute("min") == "0"
    choices = page.get_by_label("Green-space category").locator("option").all_inner_texts()
    assert "Park" in choices and not [
        c for c in choices if any("\u3400" <= x <= "\u9fff" for x in c)
    ]
    page.get_by_label("Green-space category").select_option("公园绿地")  # the stored value
    page.get_by_label("Area (m²)").fill("0")
    page.fill("#sv-comment", "Green space survey")
    page.click("#sv-save")
    assert field_error(page, "properties.attributes.area_m2") == "Must be more than 0."
    page.get_by_label("Area (m²)").fill("1250.5")
    page.click("#sv-save")
    page.wait_for_selector("#sv-detail:not([hidden])")
    identifier = page.evaluate("SCSurvey.selected")
    with db_access(django_db_blocker):
        green = Component.objects.get(identifier=identifier)
        ring = green.geometry.coords[0]
        assert green.geometry.geom_type == "Polygon" and len(ring) == 4
        for got, want in zip(ring[:3], corners, strict=True):
            assert got == pytest.approx(want, abs=1e-7)
        assert green.attributes == {"green_type": "公园绿地", "area_m2": 1250.5}
    shot(page, "survey-8-polygon")

    # Edit: drag the first corner 30 px to the right.
    page.click("#sv-edit")
    x, y = screen_point(page, *corners[0])
    handle = page.locator(".leaflet-editing-icon").first
    box = handle.bounding_box()
    assert (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2) == pytest.approx(
        (x, y), abs=1.5
    )
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 15, y, steps=3)
    page.mouse.move(x + 30, y, steps=3)
    page.mouse.up()
    page.fill("#sv-comment", "Corner corrected")
    page.click("#sv-save")
    wait_text(page, "sv-status", "version 2")
    with db_access(django_db_blocker):
        ring = Component.objects.get(identifier=identifier).geometry.coords[0]
        assert ring[0][0] - corners[0][0] == pytest.approx(30 * 360 / 2**26, rel=0.1)
        assert ring[0][1] == pytest.approx(corners[0][1], abs=1e-7)
        for got, want in zip(ring[1:3], corners[1:3], strict=True):
            assert got == pytest.approx(want, abs=1e-7)

    # Retire it: the comment is required, then it leaves the map and the list.
    page.click("#sv-retire-open")
    page.click("#sv-retire-confirm")
    assert page.locator("#sv-retire-error").inner_text() == (
        "A changeset comment is required: say what you changed and why."
    )
    page.fill("#sv-retire-comment", "Built over")
    page.keyboard.press("Enter")
    wait_text(page, "sv-status", f"Retired {identifier}")
    assert page.locator(f'.sv-item[data-id="{identifier}"]').count() == 0
    with db_access(django_db_blocker):
        green = Component.objects.get(identifier=identifier)
        assert (green.currency, green.version) == ("retired", 3)
    assert page.js_errors == []


def test_refused_offline_edit_is_corrected_and_amap_drags_store_cgcs2000(
    open_page: Any, two_covers: list[str], django_db_blocker: Any, settings: Any
) -> None:
    """An edit made offline that the server refuses later stays in the queue with the
    server's reason, and is corrected in the form; on the Amap basemap (drawn in GCJ-02) a
    dragged point is stored in CGCS2000. In English."""
    settings.MAP_AMAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # never leaves the host
    first, _second = two_covers
    with db_access(django_db_blocker):
        at = Component.objects.get(identifier=first).geometry
    page = open_page("/survey/", viewport=(1280, 800), language="en")
    # the unreachable Amap tiles, and the edit the server refuses once back online
    page.allow_failures(r"127\.0\.0\.1:9/", r"^400 .*/api/v1/components/\d+/$")
    log_in(page, "surveyor_water")
    show_place(page, at.x, at.y)
    page.click(f'.sv-item[data-id="{first}"]')
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.allow_failures(r"\(net::ERR_INTERNET_DISCONNECTED\)$", r"\(net::ERR_FAILED\)$")
    page.context.set_offline(True)
    page.wait_for_function("() => document.getElementById('sv-net').dataset.online === 'false'")
    page.click("#sv-edit")
    page.evaluate("SCMap.current.map.setView([30.9, 121.9], 18, {animate: false})")
    page.click("#sv-geom-centre")  # far outside the platform's communities
    page.fill("#sv-comment", "Moved")
    page.click("#sv-save")
    page.wait_for_function("() => document.body.dataset.pending === '1'")
    page.context.set_offline(False)
    page.wait_for_selector("#sv-queue-open.has-problems")
    assert (
        "refused an edit: geometry lies outside every community"
        in page.locator("#sv-status").inner_text()
    )
    page.click("#sv-queue-open")
    refused = page.locator(".sv-queue-item.sv-state-error")
    assert "refused by the server" in refused.inner_text()
    refused.get_by_role("button", name="Correct").click()
    assert field_error(page, "geometry") == (
        "geometry lies outside every community of the platform."
    )
    show_place(page, at.x, at.y + 0.0001)
    page.click("#sv-geom-centre")
    page.click("#sv-save")
    page.wait_for_function("() => document.body.dataset.pending === '0'")
    wait_text(page, "sv-status", "version 2")
    with db_access(django_db_blocker):
        cover = Component.objects.get(identifier=first)
        assert cover.geometry.y == pytest.approx(at.y + 0.0001, abs=1e-6)

    # The Amap basemap: the marker is drawn at the GCJ-02 position, the drag stored back.
    assert page.evaluate("SCMap.current.setBasemap('amap') && SCMap.current.crsMode") == "gcj02"
    page.click("#sv-edit")
    x, y = screen_point(page, cover.geometry.x, cover.geometry.y)
    box = page.locator(".sv-pin-editing").bounding_box()
    assert (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2) == pytest.approx(
        (x, y), abs=1.5
    )
    plain = page.evaluate(
        "([lat, lon]) => SCMap.current.map.latLngToContainerPoint([lat, lon]).x", [at.y, at.x]
    )
    assert abs(plain - (x - page.locator(".sc-map").bounding_box()["x"])) > 100  # ~500 m off
    expected = page.evaluate(
        "([x, y]) => { const m = SCMap.current.map, r = m.getContainer().getBoundingClientRect();"
        " const ll = SCMap.current.fromDisplay(m.containerPointToLatLng([x - r.left + 20,"
        " y - r.top])); return [ll.lng, ll.lat]; }",
        [x, y],
    )
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y, steps=3)
    page.mouse.move(x + 20, y, steps=3)
    page.mouse.up()
    page.fill("#sv-comment", "Dragged on Amap")
    page.click("#sv-save")
    wait_text(page, "sv-status", "version 3")
    with db_access(django_db_blocker):
        moved = Component.objects.get(identifier=first).geometry
        assert (moved.x, moved.y) == pytest.approx(expected, abs=1e-7)
    assert page.js_errors == []
