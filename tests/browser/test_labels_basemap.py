"""Names on the offline basemap in Chromium: road and community names on /map/ at zoom 16,
on a phone and a desktop, in Chinese and English, none overlapping another."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction

from layers.basemap import demo as basemap_demo
from layers.basemap.models import BaseFeature
from layers.demo_geometry import STREETS
from layers.models import AdminArea, Layer
from tests.browser.conftest import RequestWatcher, in_thread, shot, wait_for_map
from tiles import cache as tile_cache

# Tables the fixture adds rows to; rows with a larger id than before are removed after.
TABLES = ("layers_basehistory", "layers_building", "layers_basefeature", "layers_stewardship")
PASSWORD = "demo-pass-2019"


def _largest_ids() -> dict[str, int]:
    with connection.cursor() as cursor:
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # noqa: S608
            found[table] = cursor.fetchone()[0]
    return found


def _remove_after(ids: dict[str, int]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE id > %s", [ids[table]])  # noqa: S608
        # tiles the live server cached meanwhile show the removed rows
        for code in [*Layer.objects.values_list("code", flat=True), tile_cache.LABELS]:
            tile_cache.invalidate_layer(code)


@pytest.fixture(scope="module")
def place(live_url: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo base layers, committed for this module and removed after; and a spot on
    天目山路 (a main road) inside a community, with their names."""

    def load() -> tuple[dict[str, int], dict[str, Any]]:
        ids = _largest_ids()
        basemap_demo.load()
        road = BaseFeature.objects.get(kind="road", name="天目山路")
        middle = road.geometry.interpolate_normalized(0.5)
        north_south = BaseFeature.objects.get(kind="road", name="古墩路")
        across = north_south.geometry.interpolate_normalized(0.5)
        spot = {
            "lon": middle.x,
            "lat": middle.y,
            "road": {"zh-hans": road.name, "en": road.attributes["name_en"]},
            "north_south": {
                "lon": across.x,
                "lat": across.y,
                "zh-hans": north_south.name,
                "en": north_south.attributes["name_en"],
            },
        }
        return ids, spot

    with django_db_blocker.unblock():
        ids, spot = in_thread(load)
        try:
            yield spot
        finally:
            in_thread(lambda: _remove_after(ids))


def log_in_to_map(open_page: Any, viewport: tuple[int, int], language: str) -> Any:
    """/map/ as a district administrator (demo communities are not public)."""
    page = open_page("/accounts/login/?next=/map/", viewport=viewport, language=language)
    page.fill("#id_username", "district_admin")
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/map/")
    wait_for_map(page)
    return page


def labels_at(page: Any, lon: float, lat: float, zoom: int) -> list[dict[str, Any]]:
    """Show a place and wait until the basemap's labels there are placed; each label's text,
    kind and box on the screen."""
    page.evaluate(
        "([lat, lon, z]) => SCMap.current.map.setView([lat, lon], z, {animate: false})",
        [lat, lon, zoom],
    )
    page.wait_for_function(
        "z => { const c = document.querySelector('.sc-labels');"
        " return c && c.dataset.state === 'placed' && c.dataset.zoom === String(z); }",
        arg=zoom,
    )
    return page.evaluate(
        """() => {
            const map = SCMap.current.map;
            const frame = map.getContainer().getBoundingClientRect();
            return Array.from(document.querySelectorAll('.sc-labels .sc-label')).map(el => {
                const r = el.getBoundingClientRect();
                const vertical = el.classList.contains('sc-label-vertical');
                const at = map.containerPointToLatLng(
                    [(r.left + r.right) / 2 - frame.left, (r.top + r.bottom) / 2 - frame.top]);
                return {text: el.textContent, kind: el.dataset.kind, vertical: vertical,
                        box: [r.left, r.top, r.right, r.bottom], lon: at.lng, lat: at.lat,
                        map: [frame.left, frame.top, frame.right, frame.bottom]};
            });
        }"""
    )


def visible(label: dict[str, Any], viewport: tuple[int, int]) -> bool:
    x0, y0, x1, y1 = label["box"]
    return x0 >= 0 and y0 >= 0 and x1 <= viewport[0] and y1 <= viewport[1]


def community_at(lon: float, lat: float) -> str | None:
    def find() -> str | None:
        point = Point(lon, lat, srid=4490)
        area = AdminArea.objects.filter(level="community", boundary__contains=point).first()
        return area.name if area else None

    return in_thread(find)


def overlapping(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a["box"], b["box"]
            if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1:
                found.append((a["text"], b["text"]))
    return found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [(375, 812), (1280, 800)], ids=["phone", "desktop"])
def test_road_and_community_names_at_zoom_16_without_overlap(
    open_page: Any,
    requests_seen: RequestWatcher,
    place: dict[str, Any],
    viewport: tuple[int, int],
    language: str,
) -> None:
    page = log_in_to_map(open_page, viewport, language)
    labels = labels_at(page, place["lon"], place["lat"], 16)
    shot(page, f"labels-map-z16-{language}-{viewport[0]}x{viewport[1]}")
    seen = [lab for lab in labels if visible(lab, viewport)]  # on the screen, not scrolled
    roads = {lab["text"] for lab in seen if lab["kind"].startswith("road-")}
    assert place["road"][language] in roads, labels
    if language == "en":  # no Chinese road names where the data has English ones
        assert "天目山路" not in {lab["text"] for lab in labels}
    communities = [lab for lab in seen if lab["kind"] == "community"]
    assert communities, labels
    for lab in communities:  # each name stands inside its own community
        assert community_at(lab["lon"], lab["lat"]) == lab["text"], lab
    assert not overlapping(labels)
    controls = page.evaluate(
        """() => Array.from(document.querySelectorAll('.leaflet-control')).map(el => {
            const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""
    )
    assert not overlapping(labels + [{"text": "control", "box": box} for box in controls])
    for lab in labels:  # every label whole inside the map
        x0, y0, x1, y1 = lab["box"]
        left, top, right, bottom = lab["map"]
        assert x0 >= left and y0 >= top and x1 <= right and y1 <= bottom, lab
    assert requests_seen.matching(r"/tiles/labels/16/\d+/\d+\.json\?lang=")
    # zoomed out to 13: area names stay, road names go; still none overlapping
    wide = labels_at(page, place["lon"], place["lat"], 13)
    assert {lab["kind"] for lab in wide} & {"community", "street"}
    assert not {lab["kind"] for lab in wide if lab["kind"].startswith("road-")}
    assert not overlapping(wide)
    shot(page, f"labels-map-z13-{language}-{viewport[0]}x{viewport[1]}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_north_south_road_reads_top_to_bottom_in_chinese(
    open_page: Any, place: dict[str, Any], language: str
) -> None:
    page = log_in_to_map(open_page, (1280, 800), language)
    spot = place["north_south"]
    labels = labels_at(page, spot["lon"], spot["lat"], 16)
    shot(page, f"labels-map-north-south-{language}")
    found = [lab for lab in labels if lab["text"] == spot[language]]
    assert found, labels
    for lab in found:
        x0, y0, x1, y1 = lab["box"]
        assert y1 - y0 > 2 * (x1 - x0)  # tall: along the road
        # Chinese characters stacked upright; English text turned along the road
        assert lab["vertical"] is (language == "zh-hans")
    assert not overlapping(labels)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_residents_see_road_and_street_names_on_the_phone(
    open_page: Any, place: dict[str, Any], language: str
) -> None:
    """Anonymous on the resident map: demo communities are not public, so the street's name
    names the place instead; nothing restricted is fetched or shown."""
    page = open_page("/", viewport=(375, 812), language=language)
    wait_for_map(page)
    labels = labels_at(page, place["lon"], place["lat"], 16)
    shot(page, f"labels-resident-z16-{language}")
    kinds = {lab["kind"] for lab in labels}
    assert place["road"][language] in {lab["text"] for lab in labels}, labels
    assert "street" in kinds and "community" not in kinds, labels
    streets = {name_en if language == "en" else name for _code, name, name_en in STREETS}
    for lab in labels:
        if lab["kind"] == "street":  # in the page's language
            assert lab["text"] in streets, lab
    assert not overlapping(labels)
