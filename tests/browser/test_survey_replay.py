"""A surveyor's edit whose answer was lost: the PATCH reaches the server and is committed,
but the phone never hears back (weak signal). The edit stays queued; the page is reloaded
without a connection (the service worker serves it, the queue stays on the device); the
signal comes back and the editor sends the same edit again, from the same old version.

The server recognises the edit by its Idempotency-Key and answers what it answered the
first time: the edit is stored once, and the surveyor is not shown a "someone else changed
this component" dialog with their own values on both sides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from component_catalog.models import Component, ComponentHistory
from tests.browser.conftest import db_access, shot
from tests.browser.test_survey import PHONE, log_in, show_place
from tests.components_helpers import Api, inside, manhole

TEXT = {
    "zh-hans": {"comment": "巡查：井盖破损", "offline": "离线", "online": "在线"},
    "en": {"comment": "Patrol: cover damaged", "offline": "Offline", "online": "Online"},
}


@pytest.fixture
def cover(request: Any, committed: None, django_db_blocker: Any) -> Iterator[str]:
    shift = 0.00005 if request.node.callspec.params["language"] == "en" else 0.00025
    with db_access(django_db_blocker):
        body = manhole(at=inside("330106001001", 4, shift=shift), name="北山路井盖")
        response = Api("surveyor_water").post(
            "/api/v1/components/", {**body, "comment": "测试数据"}
        )
        assert response.status_code == 201, response.content
    yield str(response.json()["id"])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_edit_whose_answer_was_lost_is_applied_once_without_a_conflict(
    open_page: Any, cover: str, django_db_blocker: Any, language: str
) -> None:
    text = TEXT[language]
    with db_access(django_db_blocker):
        at = Component.objects.get(identifier=cover).geometry
    page = open_page("/survey/", viewport=PHONE, language=language)
    log_in(page, "surveyor_water")
    show_place(page, at.x, at.y)
    page.wait_for_selector(f'.sv-item[data-id="{cover}"]')
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    sent: list[dict[str, str]] = []

    def lose_the_first_answer(route: Any) -> None:
        request = route.request
        if request.method != "PATCH":
            route.continue_()
            return
        seen = {
            "key": request.headers.get("idempotency-key", ""),
            "if": request.headers["if-match"],
        }
        if not sent:
            route.fetch()  # the server gets the edit and commits it ...
            sent.append(seen)
            route.abort("connectionreset")  # ... but the phone never hears back
        else:
            sent.append(seen)
            route.continue_()

    page.route("**/api/v1/components/*/", lose_the_first_answer)
    page.allow_failures(
        r"\(net::ERR_CONNECTION_RESET\)$",  # the answer lost on purpose
        r"\(net::ERR_INTERNET_DISCONNECTED\)$",
        r"\(net::ERR_FAILED\)$",
    )

    page.click(f'.sv-item[data-id="{cover}"]')
    page.click("#sv-edit")
    page.wait_for_selector("#sv-form:not([hidden])")
    page.select_option("#sv-status-field", "damaged")
    page.fill("#sv-comment", text["comment"])
    page.click("#sv-save")
    page.wait_for_function("() => document.querySelector('#sv-pending').textContent === '1'")
    for _ in range(100):  # until the editor has sent it and lost the answer
        if sent:
            break
        page.wait_for_timeout(100)
    assert len(sent) == 1 and sent[0]["if"] == '"1"'
    with db_access(django_db_blocker):
        assert Component.objects.get(identifier=cover).version == 2  # applied, answer lost
    shot(page, f"survey-replay-1-answer-lost-375-{language}")

    # No signal at all now; the surveyor reloads the page, which the service worker serves.
    page.context.set_offline(True)
    page.wait_for_function("() => document.getElementById('sv-net').dataset.online === 'false'")
    assert page.locator("#sv-net").inner_text() == text["offline"]
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_function("() => document.body.dataset.survey === 'ready'")
    assert page.locator("#sv-pending").inner_text() == "1"
    shot(page, f"survey-replay-2-reloaded-offline-375-{language}")

    # The signal is back: the queued edit goes again, with the same key, from version 1.
    page.context.set_offline(False)
    page.wait_for_function("() => document.body.dataset.pending === '0'")
    assert page.locator("#sv-net").inner_text() == text["online"]
    assert len(sent) == 2
    assert sent[1] == sent[0] and len(sent[0]["key"]) >= 8
    assert not page.locator("#sv-conflict").evaluate("d => d.open")
    assert page.locator(".sv-queue-item.sv-state-conflict").count() == 0
    page.click(f'.sv-item[data-id="{cover}"]')
    page.wait_for_selector("#sv-detail:not([hidden])")
    shot(page, f"survey-replay-3-synced-375-{language}")

    with db_access(django_db_blocker):
        now = Component.objects.get(identifier=cover)
        assert (now.version, now.status) == (2, "damaged")
        updates = ComponentHistory.objects.filter(identifier=cover, action="update")
        assert list(updates.values_list("changeset__comment", flat=True)) == [text["comment"]]
    assert page.js_errors == []
