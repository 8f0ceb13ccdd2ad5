"""A made-up app (``tests/registry_app``), registered in the test as an app's
``AppConfig.ready()`` would, shows its panel and map layer on the residents' map, on a
phone and on a desktop, in Chinese and in English; parking's layer and chip are still
there, and once the app is removed the map is as before."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from whitenoise.middleware import WhiteNoiseMiddleware

from map_ui import plugins
from tests.browser.conftest import open_layer_switcher, shot, wait_for_map
from tests.registry_app import READINGS, STATIC_DIR, extension

PHONE = (375, 812)
DESKTOP = (1280, 800)


def _whitenoise_instances() -> list[WhiteNoiseMiddleware]:
    found = []
    for obj in gc.get_objects():
        try:
            if isinstance(obj, WhiteNoiseMiddleware):
                found.append(obj)
        except ReferenceError:  # a weak proxy whose object is gone (other tests' leftovers)
            continue
    return found


@pytest.fixture
def noise_app(live_url: str, settings: Any) -> Iterator[None]:
    """The app's page extension registered for the test, and its static files served by
    the running server's WhiteNoise as if the app had been installed when it started
    (WhiteNoise lists the files of every static directory once, at start-up)."""
    servers = _whitenoise_instances()
    assert servers, "no WhiteNoise middleware in this process"
    for server in servers:
        server.add_files(str(STATIC_DIR), prefix=settings.STATIC_URL)
    try:
        with plugins.registered(extension()):
            yield
    finally:
        for server in servers:
            for url in [
                u for u in server.files if u.startswith(f"{settings.STATIC_URL}registry_app/")
            ]:
                del server.files[url]


@pytest.mark.parametrize(
    ("viewport", "language", "title", "layer"),
    [
        (PHONE, "zh-hans", "噪声监测", "噪声测点"),
        (DESKTOP, "en", "Noise monitoring", "Noise sensors"),
        (DESKTOP, "zh-hans", "噪声监测", "噪声测点"),
        (PHONE, "en", "Noise monitoring", "Noise sensors"),
    ],
    ids=["phone-zh", "desktop-en", "desktop-zh", "phone-en"],
)
def test_a_registered_app_shows_its_panel_and_layer_on_the_residents_map(
    open_page: Any,
    noise_app: None,
    viewport: tuple[int, int],
    language: str,
    title: str,
    layer: str,
) -> None:
    mobile = {"has_touch": True, "is_mobile": True} if viewport == PHONE else {}
    page = open_page("/", viewport=viewport, language=language, **mobile)
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.noise === 'ready'")
    panel = page.locator(".noise-panel")
    assert panel.is_visible()
    assert panel.locator("h2").inner_text() == title
    readings = panel.locator(".noise-reading")
    assert readings.count() == len(READINGS)
    for i, (name, db) in enumerate(READINGS):
        assert readings.nth(i).inner_text().split() == [name, f"{db}", "dB"]
    # inside the map, not covering the finder's sheet
    box, map_box = panel.bounding_box(), page.locator(".sc-map").bounding_box()
    assert box and map_box and box["x"] >= map_box["x"] and box["y"] >= map_box["y"]
    assert box["x"] + box["width"] <= map_box["x"] + map_box["width"] + 1
    # parking, registered the same way, still works beside it
    page.wait_for_function("() => document.body.dataset.parking === 'ready'")
    # its layer is in the switcher, shown and hidden like any other
    open_layer_switcher(page)
    toggle = page.get_by_label(layer, exact=True)
    assert toggle.count() == 1
    shot(page, f"registries-noise-panel-{language}-{viewport[0]}")
    assert not toggle.is_checked()
    toggle.focus()
    page.keyboard.press("Space")
    assert toggle.is_checked()
    assert page.locator("path.leaflet-interactive[fill='#8250df']").count() == len(READINGS)


def test_without_the_app_the_residents_map_has_no_trace_of_it(open_page: Any) -> None:
    page = open_page("/", viewport=PHONE, language="en", has_touch=True, is_mobile=True)
    wait_for_map(page)
    page.wait_for_function("() => document.body.dataset.parking === 'ready'")
    assert page.locator(".noise-panel").count() == 0
    assert page.evaluate("() => document.body.dataset.noise") is None
    assert page.locator("script[src*='registry_app']").count() == 0
