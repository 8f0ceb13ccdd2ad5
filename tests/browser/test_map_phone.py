"""Every full-screen map page fits a phone's screen: the document never scrolls, the top bar
is one row (scrolled sideways, not wrapped over the map), and the map takes the rest."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot, wait_for_map
from tests.browser.test_sheet_phone import assert_page_fits

SIZES = [pytest.param((375, 667), id="375x667"), pytest.param((375, 812), id="375x812")]
LANGUAGES = ["zh-hans", "en"]


def geometry(page: Any) -> dict[str, float]:
    return dict(
        page.evaluate(
            "() => { const bar = document.querySelector('.topbar').getBoundingClientRect();"
            " const map = document.querySelector('.map-shell .folium-map, .map-shell .sc-map')"
            ".getBoundingClientRect();"
            " return {bar: bar.height, mapTop: map.top, mapBottom: map.bottom}; }"
        )
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/map/", "/"])
def test_a_map_page_is_the_screen_with_a_one_row_top_bar(
    open_page: Any, path: str, size: tuple[int, int], language: str
) -> None:
    page = open_page(path, viewport=size, language=language, has_touch=True, is_mobile=True)
    wait_for_map(page)
    assert_page_fits(page, size)
    found = geometry(page)
    # one row: a wrapped bar of two or three rows was 90-130 px over the map
    assert found["bar"] <= 56, found
    assert found["mapTop"] <= found["bar"] + 1, found  # the map starts under the bar
    if path == "/map/":
        assert found["mapBottom"] >= size[1] - 1, found  # and reaches the bottom edge
    # the top bar's links are still reachable: scrolled sideways inside the bar
    assert page.evaluate(
        "() => { const bar = document.querySelector('.topbar');"
        " return bar.scrollWidth <= bar.clientWidth"
        " || getComputedStyle(bar).overflowX === 'auto'; }"
    )
    shot(page, f"map-phone-{path.strip('/') or 'home'}-{size[0]}x{size[1]}-{language}")
