"""A component's history in the editor, as a surveyor reads it on a phone in Chinese and in
English: each version says who (the colleague's full name, not their login), when, why,
and for each field what it was and what it became."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import db_access, shot
from tests.browser.test_survey import PHONE, log_in, show_place
from tests.components_helpers import Api, inside, manhole

EXPECTED = {
    "zh-hans": {
        "status": ("完好状况", "完好", "破损"),
        "name": ("名称", "上水井盖", "曙光路上水井盖"),
        "depth": "1.5",
    },
    "en": {
        "status": ("Condition", "Good", "Damaged"),
        "name": ("Name", "上水井盖", "曙光路上水井盖"),
        "depth": "1.5",
    },
}


@pytest.fixture
def edited(request: Any, committed: None, django_db_blocker: Any) -> Iterator[tuple[str, Any]]:
    shift = 0.0004 if request.node.callspec.params["language"] == "en" else 0.0006
    with db_access(django_db_blocker):
        at = inside("330106001001", 2, shift=shift)
        made = Api("surveyor_water").create(manhole(at=at), comment="新增井盖")
        assert made.status_code == 201, made.content
        ident = made.json()["id"]
        changed = Api("district_admin").patch(
            f"/api/v1/components/{ident}/",
            {
                "properties": {
                    "status": "damaged",
                    "name": "曙光路上水井盖",
                    "attributes": {"depth_m": 2.2},
                },
                "comment": "复核：井盖破损",
            },
            HTTP_IF_MATCH='"1"',
        )
        assert changed.status_code == 200, changed.content
    yield ident, at


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_history_shows_old_and_new_values_and_full_names(
    open_page: Any, edited: tuple[str, Any], language: str
) -> None:
    ident, at = edited
    want = EXPECTED[language]
    page = open_page("/survey/", viewport=PHONE, language=language)
    log_in(page, "surveyor_water")
    show_place(page, at[0], at[1])
    page.click(f'.sv-item[data-id="{ident}"]')
    page.click("#sv-history-open")
    page.wait_for_selector('.sv-history-row[data-version="2"]')
    newest = page.locator('.sv-history-row[data-version="2"]')
    who = newest.locator(".sv-history-who").inner_text()
    assert who.startswith("西湖区管理员 · ") and "district_admin" not in who
    assert "复核：井盖破损" in newest.inner_text()
    for field in ("status", "name"):
        label, old, new = want[field]
        cell = newest.locator(f'dd[data-field="{field}"]')
        assert cell.locator(".sv-old").inner_text() == old
        assert cell.locator(".sv-new").inner_text() == new
        assert cell.inner_text().replace(" ", "") == f"{old}→{new}".replace(" ", "")
        assert label in newest.locator("dt").all_inner_texts()
    depth = newest.locator('dd[data-field="attributes.depth_m"]')
    assert depth.locator(".sv-old").inner_text() == want["depth"]
    assert depth.locator(".sv-new").inner_text() == "2.2"
    first = page.locator('.sv-history-row[data-version="1"] .sv-history-who').inner_text()
    assert first.startswith("水务普查员 · ") and "surveyor_water" not in first
    shot(page, f"survey-history-375-{language}")
    assert page.js_errors == []
