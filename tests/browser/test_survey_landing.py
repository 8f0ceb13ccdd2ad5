"""Logging in from the login page with no destination: a surveyor lands in the survey
editor, a planner in the reports, a community worker on the map, as each would expect;
a destination the page was sent from still wins.

Where the survey page then opens (no GPS, nothing saved on the device): on the surveyor's
own components (their classes in their area), at a zoom where components load, on a phone
(390 x 844) and a desktop (1280 x 800), in Chinese and English; a surveyor with nothing
recorded yet sees their area and is told so; a view saved on the device is used only if it
was at an editing zoom."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import db_access, screen_point, shot

PASSWORD = "demo-pass-2019"


def log_in(page: Any, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("username", "lands_on"),
    [("surveyor_green", "/survey/"), ("planner", "/reports/"), ("community_worker", "/")],
)
def test_each_role_lands_on_its_own_page(
    open_page: Any, live_url: str, username: str, lands_on: str, language: str
) -> None:
    page = open_page("/accounts/login/", viewport=(375, 812), language=language)
    log_in(page, username)
    page.wait_for_url(live_url + lands_on)
    page.wait_for_load_state("networkidle")
    shot(page, f"survey-landing-{username}-375-{language}")


def test_an_explicit_destination_still_wins(open_page: Any, live_url: str) -> None:
    page = open_page("/accounts/login/?next=/map/", viewport=(375, 812))
    log_in(page, "surveyor_water")
    page.wait_for_url(live_url + "/map/")


# --- where the survey page opens ----------------------------------------------------------

SIZES = [pytest.param((390, 844), id="phone"), pytest.param((1280, 800), id="desktop")]
LANGUAGES = ["zh-hans", "en"]
EMPTY_USER = "surveyor_nothing_yet"
EMPTY_AREA = "330106002"  # a street where this user's class has nothing


def far_communities() -> list[str]:
    """The district's communities farthest from its middle, farthest first: the surveyors'
    components go there, where a view of the district's middle would not show them."""
    from django.contrib.gis.db.models.functions import Distance

    from layers.models import AdminArea

    middle = AdminArea.objects.get(code="330106").boundary.point_on_surface
    rows = (
        AdminArea.objects.filter(level="community", code__startswith="330106")
        .annotate(d=Distance("boundary", middle))
        .order_by("-d", "code")
    )
    return list(rows.values_list("code", flat=True)[:2])


def green_space(at: list[float]) -> dict[str, Any]:
    lon, lat = at
    ring = [[lon, lat], [lon + 0.0004, lat], [lon + 0.0004, lat + 0.0003], [lon, lat + 0.0003]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        "properties": {
            "class": "0405",
            "name": "街头绿地",
            "competent_department": "XH-CGJ",
            "owner": "XH-YLJ",
            "maintainer": "XH-YLJ",
            "attributes": {"green_type": "公园绿地", "area_m2": 1250.5},
        },
    }


@pytest.fixture(scope="module")
def surveyors_components(live_url: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Water covers and green spaces, three of each in the district's farthest community and
    one more of each in the next farthest (too far apart for one view at an editing zoom);
    a surveyor with nothing of their class in their street. Removed afterwards."""
    from django.contrib.auth import get_user_model

    from gis_app.models import Membership, Organization
    from layers.models import AdminArea
    from tests.components_helpers import (
        Api,
        inside,
        last_component_id,
        manhole,
        remove_components_after,
    )

    with db_access(django_db_blocker):
        start = last_component_id()
    made: dict[str, Any] = {"surveyor_water": [], "surveyor_green": []}
    try:
        with db_access(django_db_blocker):
            first, second = far_communities()
            admin = Api("district_admin")
            spots = [(first, 1, 0.0), (first, 1, 0.0004), (first, 2, 0.0), (second, 1, 0.0)]
            for community, grid, shift in spots:
                at = inside(community, grid, shift)
                for user, feature in (
                    ("surveyor_water", manhole("0101", at)),
                    ("surveyor_green", green_space(at)),
                ):
                    response = admin.create(feature, comment="普查")
                    assert response.status_code == 201, response.content
                    made[user].append(response.json()["id"])
            user = get_user_model().objects.create_user(EMPTY_USER, password=PASSWORD)
            Membership.objects.create(
                user=user,
                organization=Organization.objects.get(code="HZ-SW"),
                role="surveyor",
                area_id=EMPTY_AREA,
                class_codes=["0103"],
            )
            made["area"] = AdminArea.objects.get(code=EMPTY_AREA).boundary.extent
        yield made
    finally:
        with db_access(django_db_blocker):
            remove_components_after(start)
            get_user_model().objects.filter(username=EMPTY_USER).delete()


def visible_box(page: Any) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the map the editor's panel leaves visible."""
    m = page.locator(".sc-map").bounding_box()
    panel = page.locator("#sv-panel").bounding_box()
    left, top, right, bottom = m["x"], m["y"], m["x"] + m["width"], m["y"] + m["height"]
    if panel["width"] >= m["width"] * 0.9:  # a bottom sheet
        bottom = min(bottom, panel["y"])
    else:
        left = max(left, panel["x"] + panel["width"])
    return left, top, right, bottom


def shown_features(page: Any) -> list[tuple[float, float]]:
    """Page positions of the components the editor draws (a point's pin, a shape's middle)."""
    box = page.locator(".sc-map").bounding_box()
    points = page.evaluate(
        """() => { const m = SCMap.current.map; return SCSurvey.group.getLayers().map(l => {
             const ll = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
             const p = m.latLngToContainerPoint(ll); return [p.x, p.y]; }); }"""
    )
    return [(box["x"] + x, box["y"] + y) for x, y in points]


def open_survey(open_page: Any, size: tuple[int, int], language: str, username: str) -> Any:
    page = open_page("/accounts/login/?next=/survey/", viewport=size, language=language)
    log_in(page, username)
    page.wait_for_url("**/survey/")
    page.wait_for_function("() => document.body.dataset.survey === 'ready'")
    return page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("username", ["surveyor_water", "surveyor_green"])
def test_the_survey_page_opens_on_the_surveyors_own_components(
    open_page: Any,
    surveyors_components: dict[str, Any],
    username: str,
    size: tuple[int, int],
    language: str,
) -> None:
    page = open_survey(open_page, size, language, username)
    assert page.evaluate("SCMap.current.map.getZoom()") >= 15  # where components load
    page.wait_for_selector("#sv-list .sv-item")
    page.wait_for_load_state("networkidle")
    shot(page, f"survey-opens-{username}-{size[0]}-{language}")
    left, top, right, bottom = visible_box(page)
    seen = [(x, y) for x, y in shown_features(page) if left <= x <= right and top <= y <= bottom]
    assert len(seen) > 0, "the surveyor's own components are in view"
    hint = page.locator("#sv-list-hint").inner_text()
    assert hint == "", hint  # neither "zoom in" nor "none here"
    assert page.locator("#sv-list .sv-item").count() > 0
    # framed from the user's components (no view saved on this device, no GPS)
    assert page.evaluate("document.body.dataset.openedAt") == "components"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_a_surveyor_with_nothing_yet_sees_their_area(
    open_page: Any, surveyors_components: dict[str, Any], size: tuple[int, int], language: str
) -> None:
    page = open_survey(open_page, size, language, EMPTY_USER)
    page.wait_for_load_state("networkidle")
    shot(page, f"survey-opens-empty-{size[0]}-{language}")
    west, south, east, north = surveyors_components["area"]
    left, top, right, bottom = visible_box(page)
    for lon, lat in [(west, south), (east, north), (west, north), (east, south)]:
        x, y = screen_point(page, lon, lat)
        assert left - 1 <= x <= right + 1 and top - 1 <= y <= bottom + 1, (lon, lat)
    expected = {
        "zh-hans": ["您所在区域还没有您负责采集类别的部件", "此处没有您负责类别的部件"],
        "en": ["No component of the classes you survey is recorded", "No components of your"],
    }[language]
    text = page.locator("#sv-panel").inner_text()
    assert any(e in text for e in expected), text
    assert page.evaluate("document.body.dataset.openedAt") == "area"


def saved_view(page: Any, username: str, lon: float, lat: float, zoom: int) -> None:
    """A view the editor saved on this device on an earlier visit."""
    key = json.dumps(f"sc-survey-view-{username}")
    view = json.dumps(json.dumps({"lat": lat, "lng": lon, "zoom": zoom}))
    page.add_init_script(f"window.localStorage.setItem({key}, {view});")


def test_a_view_saved_at_district_zoom_does_not_hide_the_components(
    open_page: Any, surveyors_components: dict[str, Any], django_db_blocker: Any
) -> None:
    """Earlier versions saved the zoomed-out view the page opened with: the editor does not
    go back there (nothing loads at that zoom), but to the surveyor's components."""
    with db_access(django_db_blocker):
        from layers.models import AdminArea

        middle = AdminArea.objects.get(code="330106").boundary.point_on_surface
    page = open_page("/accounts/login/?next=/survey/", viewport=(390, 844))
    saved_view(page, "surveyor_water", middle.x, middle.y, 12)
    log_in(page, "surveyor_water")
    page.wait_for_url("**/survey/")
    page.wait_for_function("() => document.body.dataset.survey === 'ready'")
    assert page.evaluate("document.body.dataset.openedAt") == "components"
    assert page.evaluate("SCMap.current.map.getZoom()") >= 15
    page.wait_for_selector("#sv-list .sv-item")


def test_a_view_saved_at_editing_zoom_is_where_the_page_opens(
    open_page: Any, surveyors_components: dict[str, Any], django_db_blocker: Any
) -> None:
    with db_access(django_db_blocker):
        from tests.components_helpers import inside

        lon, lat = inside("330106002001", 1)
    page = open_page("/accounts/login/?next=/survey/", viewport=(390, 844), language="en")
    saved_view(page, "surveyor_water", lon, lat, 17)
    log_in(page, "surveyor_water")
    page.wait_for_url("**/survey/")
    page.wait_for_function("() => document.body.dataset.survey === 'ready'")
    assert page.evaluate("document.body.dataset.openedAt") == "saved"
    centre = page.evaluate(
        "(() => { const c = SCMap.current; const m = c.fromDisplay(c.map.getCenter());"
        " return [m.lng, m.lat, c.map.getZoom()]; })()"
    )
    assert centre == pytest.approx([lon, lat, 17], abs=1e-5)
