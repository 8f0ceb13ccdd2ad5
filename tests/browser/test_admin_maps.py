"""The admin's component page in Chromium at 1280x800, in Chinese and English: the geometry
is drawn on a map over the platform's offline basemap (tiles from this server) and the map
is fitted to it; the class's attributes are typed fields (a select of the schema's values,
a number box with its bounds); saving goes through the component services (the version
goes up, history is written); a user who may only view sees the same map without drawing
tools."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from component_catalog.models import Component, ComponentHistory
from tests.browser.conftest import db_access, shot
from tests.components_helpers import (
    Api,
    inside,
    last_component_id,
    manhole,
    remove_components_after,
)

LABELS = {
    "zh-hans": {"depth": "井深（米）", "saved": "成功", "basemap": "底图", "ductile": "球墨铸铁"},
    "en": {
        "depth": "Well depth (m)",
        "saved": "successfully",
        "basemap": "basemap",
        "ductile": "Ductile iron",
    },
}


@pytest.fixture(scope="module")
def components(live_url: str, django_db_blocker: Any) -> Iterator[dict[str, Component]]:
    """Two manhole covers in the demo street, committed (removed afterwards)."""
    with db_access(django_db_blocker):
        start = last_component_id()
        api = Api("city_admin")
        made = {}
        for language in LABELS:
            response = api.create(manhole(at=inside("330106001001", grid=2)))
            assert response.status_code == 201, response.content
            identifier = response.json()["properties"]["identifier"]
            made[language] = Component.objects.get(identifier=identifier)
    yield made
    with db_access(django_db_blocker):
        remove_components_after(start)


def admin_login(open_page: Any, user: str, path: str, language: str) -> Any:
    page = open_page("/admin/login/?next=" + path, language=language)
    page.fill("#id_username", user)
    page.fill("#id_password", "demo-pass-2019")
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    return page


def map_state(page: Any) -> dict[str, Any]:
    """What the widget's map shows: its basemap, tiles loaded from where, the drawn
    geometry and whether the map's view contains it."""
    return page.evaluate(
        """() => {
          const box = document.querySelector('.sc-geometry-widget');
          const w = box.scGeometry, m = w.map;
          const layers = w.drawn.getLayers();
          const ll = layers.length ? layers[0].getLatLng() : null;
          const tiles = [...box.querySelectorAll('.leaflet-tile-loaded')];
          return {
            basemap: m.getContainer().getAttribute('data-basemap'),
            tiles: tiles.length,
            drawn: layers.length,
            inView: ll ? m.getBounds().pad(-0.2).contains(ll) : false,
            zoom: m.getZoom(),
            drawTools: box.querySelectorAll('.leaflet-draw-toolbar a').length,
            markerVisible: !!box.querySelector('.leaflet-marker-icon'),
          };
        }"""
    )


def wait_for_widget_map(page: Any) -> None:
    page.wait_for_selector(".sc-geometry-widget[data-ready]")
    page.wait_for_function(
        "() => document.querySelector('.sc-geometry-widget .sc-geometry-map')"
        ".getAttribute('data-basemap') && "
        "document.querySelectorAll('.sc-geometry-widget .leaflet-tile-loaded').length > 0"
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_component_page_draws_the_geometry_on_the_basemap_and_saves(
    open_page: Any,
    requests_seen: Any,
    components: dict[str, Component],
    django_db_blocker: Any,
    language: str,
) -> None:
    component = components[language]
    path = f"/admin/component_catalog/component/{component.pk}/change/"
    page = admin_login(open_page, "city_admin", path, language)
    wait_for_widget_map(page)
    state = map_state(page)
    default = page.evaluate(
        "fetch('/map/basemaps.json').then(r => r.json())"
        ".then(j => (j.basemaps || j).filter(b => b.default)[0].id)"
    )
    assert state["basemap"] == default  # the platform's offline basemap
    assert state["tiles"] > 0
    assert any("/tiles/" in url for url in requests_seen.urls)  # from this server
    assert state["drawn"] == 1 and state["markerVisible"]
    assert state["inView"] and state["zoom"] >= 16  # fitted to the manhole
    assert state["drawTools"] >= 1  # the city administrator may move it
    # a manhole is a point: the tools place a point, they draw no lines or polygons
    assert page.locator(".sc-geometry-widget .leaflet-draw-draw-marker").count() == 1
    assert page.locator(".sc-geometry-widget .leaflet-draw-draw-polygon").count() == 0
    # typed attribute fields, labelled in the page's language
    material = page.locator("select[name=attr__material]")
    assert material.count() == 1
    assert LABELS[language]["ductile"] in material.locator("option").all_inner_texts()
    assert material.locator("option[value=球墨铸铁]").count() == 1  # stored as named
    depth = page.locator("input[name=attr__depth_m]")
    assert depth.get_attribute("type") == "number" and depth.get_attribute("max") == "20"
    assert LABELS[language]["depth"] in page.locator("label[for=id_attr__depth_m]").inner_text()
    shot(page, f"admin-component-map-{language}")
    page.locator("#id_attr__material").scroll_into_view_if_needed()
    shot(page, f"admin-component-attributes-{language}")
    # save a change
    material.select_option("铸铁")
    depth.fill("2.5")
    page.fill("#id_comment", "后台核对井盖" if language == "zh-hans" else "checked in the admin")
    page.locator("input[name=_save]").click()
    page.wait_for_url(re.compile(r"/admin/component_catalog/component/$"))
    assert LABELS[language]["saved"] in page.locator(".messagelist").inner_text()
    shot(page, f"admin-component-saved-{language}")
    with db_access(django_db_blocker):
        component.refresh_from_db()
        assert component.version == 2
        assert component.attributes["material"] == "铸铁"
        assert component.attributes["depth_m"] == 2.5
        history = ComponentHistory.objects.get(identifier=component.identifier, version=2)
        assert history.actor_username == "city_admin"


def test_a_view_only_page_draws_the_geometry_without_tools(
    open_page: Any, components: dict[str, Component]
) -> None:
    component = components["en"]
    path = f"/admin/component_catalog/component/{component.pk}/change/"
    page = admin_login(open_page, "auditor", path, "zh-hans")
    wait_for_widget_map(page)
    state = map_state(page)
    assert state["drawn"] == 1 and state["inView"] and state["zoom"] >= 16
    assert state["drawTools"] == 0
    assert page.locator("select[name=attr__material]").count() == 0
    shot(page, "admin-component-view-only")


def test_an_area_page_draws_its_boundary_fitted(open_page: Any) -> None:
    with_area = "/admin/layers/adminarea/?q=330106001001"
    page = admin_login(open_page, "city_admin", with_area, "en")
    page.locator("#result_list tbody th a").first.click()
    wait_for_widget_map(page)
    state = page.evaluate(
        """() => {
          const w = document.querySelector('.sc-geometry-widget').scGeometry;
          const b = w.drawn.getBounds();
          return {drawn: w.drawn.getLayers().length, inView: w.map.getBounds().contains(b),
                  tight: w.map.getBoundsZoom(b) - w.map.getZoom()};
        }"""
    )
    assert state["drawn"] >= 1 and state["inView"] and state["tight"] <= 1
    assert page.locator(".leaflet-draw-toolbar").count() == 0  # boundaries come with the area
    assert "vertices" not in page.content()
    shot(page, "admin-area-boundary-en")


def test_a_grant_finds_users_and_areas_by_search_within_the_street(open_page: Any) -> None:
    page = admin_login(open_page, "street_admin", "/admin/core/membership/add/", "zh-hans")
    page.locator(".field-area .select2-selection").click()
    page.wait_for_selector(".select2-results__option:not(.loading-results)")
    areas = page.locator(".select2-results__option").all_inner_texts()
    codes = [re.search(r"\((\d+)\)", a).group(1) for a in areas]  # type: ignore[union-attr]
    assert "330106001" in codes and all(c.startswith("330106001") for c in codes), areas
    page.keyboard.press("Escape")
    page.locator(".field-user .select2-selection").click()
    page.locator(".select2-search__field").fill("admin")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.select2-results__option')]"
        ".every(o => !o.classList.contains('loading-results'))"
    )
    users = page.locator(".select2-results__option").all_inner_texts()
    assert "street_admin" in users  # itself: its own grant is in its street
    assert "city_admin" not in users and "district_admin" not in users
    shot(page, "admin-grant-autocomplete-zh-hans")


def test_a_form_opened_before_someone_elses_save_is_refused_clearly(
    open_page: Any, components: dict[str, Component], django_db_blocker: Any
) -> None:
    component = components["zh-hans"]
    path = f"/admin/component_catalog/component/{component.pk}/change/"
    page = admin_login(open_page, "city_admin", path, "zh-hans")
    wait_for_widget_map(page)
    with db_access(django_db_blocker):
        component.refresh_from_db()
        version = component.version
        response = Api("district_admin").patch(
            f"/api/v1/components/{component.identifier}/",
            {"properties": {"version": version, "name": "区里先改"}, "comment": "先改"},
        )
        assert response.status_code == 200, response.content
    page.locator("input[name=attr__depth_m]").fill("9")
    page.fill("#id_comment", "晚了一步")
    page.locator("input[name=_save]").click()
    error = page.locator(".errornote, ul.errorlist.nonfield")
    error.first.wait_for()
    text = page.locator("ul.errorlist.nonfield").inner_text()
    assert f"版本 {version + 1}" in text and "未保存" in text
    shot(page, "admin-component-stale-zh-hans")
    with db_access(django_db_blocker):
        component.refresh_from_db()
        assert component.version == version + 1 and component.name == "区里先改"
        assert component.attributes["depth_m"] != 9
