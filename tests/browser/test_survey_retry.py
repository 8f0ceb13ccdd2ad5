"""A surveyor on a weak signal: the server makes the component but its answer never reaches
the phone. The editor keeps the creation queued and sends it again; the Idempotency-Key it
sends (the creation's local reference) makes the retry return the component already made,
so the survey holds one manhole cover, not two."""

from __future__ import annotations

from typing import Any

from component_catalog.models import Component, ComponentHistory
from tests.browser.conftest import db_access, shot
from tests.browser.test_survey import PHONE, log_in, show_place
from tests.components_helpers import inside

NAME = "曙光路 3 号上水井盖"


def test_a_creation_whose_answer_was_lost_is_stored_once(
    open_page: Any,
    committed: None,
    django_db_blocker: Any,
) -> None:
    with db_access(django_db_blocker):
        lon, lat = inside("330106001001", 3)
    page = open_page("/survey/", viewport=PHONE)
    log_in(page, "surveyor_water")
    show_place(page, lon, lat)

    lost: list[str] = []

    def lose_the_answer(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server gets the request and commits ...
            lost.append(route.request.headers.get("idempotency-key", ""))
            route.abort("connectionreset")  # ... but the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/components/", lose_the_answer)
    page.allow_failures(r"\(net::ERR_CONNECTION_RESET\)$")  # the answer lost on purpose
    page.select_option("#sv-class", "0101")
    page.click("#sv-add")
    page.click("#sv-draw-centre")
    page.wait_for_selector("#sv-form:not([hidden])")
    page.fill("#sv-name", NAME)
    page.select_option("#sv-attr-material", "球墨铸铁")
    page.select_option("#sv-attr-shape", "圆形")
    page.fill("#sv-attr-size_mm", "700")
    page.fill("#sv-attr-depth_m", "1.2")
    page.fill("#sv-comment", "弱网下的普查")
    page.click("#sv-save")
    for _ in range(100):  # until the editor has sent it and lost the answer
        if lost:
            break
        page.wait_for_timeout(100)
    assert lost and lost[0].startswith("new-")
    page.wait_for_function("() => document.querySelector('#sv-pending').textContent === '1'")
    with db_access(django_db_blocker):
        assert Component.objects.filter(name=NAME).count() == 1  # made, answer lost
    shot(page, "survey-retry-1-pending-375")

    page.evaluate("window.dispatchEvent(new Event('online'))")  # the signal is back
    page.wait_for_function("() => document.querySelector('#sv-pending').textContent === '0'")
    shot(page, "survey-retry-2-synced-375")
    with db_access(django_db_blocker):
        made = list(Component.objects.filter(name=NAME))
        assert len(made) == 1
        assert ComponentHistory.objects.filter(identifier=made[0].identifier).count() == 1
