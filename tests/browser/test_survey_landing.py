"""Logging in from the login page with no destination: a surveyor lands in the survey
editor, a planner in the reports, a community worker on the map, as each would expect;
a destination the page was sent from still wins."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot

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
