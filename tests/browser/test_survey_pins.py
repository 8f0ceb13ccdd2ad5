"""Pins on the survey map tell the class and the condition at a glance: one colour per class,
a badge with a glyph for a condition other than good (so not by colour alone), and a small
legend that names the classes in view and the conditions, in the page's language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import db_access, shot
from tests.browser.test_survey import PHONE, log_in, show_place
from tests.components_helpers import Api, inside, manhole

LEGEND = {
    "zh-hans": {"conditions": ["完好", "破损", "丢失", "占用"], "title": "图例"},
    "en": {"conditions": ["Good", "Damaged", "Missing", "Occupied"], "title": "Legend"},
}


@pytest.fixture
def covers(request: Any, committed: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Three covers side by side: water good, water damaged, sewage missing."""
    base = 0.0008 if request.node.callspec.params["language"] == "en" else 0.0011
    made: dict[str, Any] = {}
    with db_access(django_db_blocker):
        api = Api("surveyor_water")
        for i, (key, klass, status) in enumerate(
            [
                ("good", "0101", "good"),
                ("damaged", "0101", "damaged"),
                ("missing", "0102", "missing"),
            ]
        ):
            at = inside("330106001001", 2, shift=base + i * 0.00008)
            response = api.create(manhole(klass=klass, at=at, status=status, name=f"井盖{i}"))
            assert response.status_code == 201, response.content
            made[key] = response.json()["id"]
        made["at"] = inside("330106001001", 2, shift=base + 0.00008)
    yield made


def pin(page: Any, ident: str) -> dict[str, Any]:
    return page.evaluate(
        """id => { const body = document.querySelector(`.sv-pin > [data-id="${id}"]`);
        const badge = body.querySelector('.sv-badge');
        return {classes: body.parentElement.className,
                colour: getComputedStyle(body).backgroundColor,
                badge: badge ? badge.textContent : '', title: body.parentElement.title}; }""",
        ident,
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pins_show_class_and_condition_with_a_legend(
    open_page: Any, covers: dict[str, Any], language: str
) -> None:
    page = open_page("/survey/", viewport=PHONE, language=language)
    log_in(page, "surveyor_water")
    show_place(page, covers["at"][0], covers["at"][1], zoom=19)
    page.wait_for_selector(f'.sv-pin > [data-id="{covers["missing"]}"]')
    good, damaged, missing = (pin(page, covers[k]) for k in ("good", "damaged", "missing"))

    # class by colour: both water covers alike, the sewage cover different
    assert good["colour"] == damaged["colour"] != missing["colour"]
    # condition by badge (a glyph) and by the pin's title, which names it in words
    assert (good["badge"], damaged["badge"], missing["badge"]) == ("", "!", "?")
    assert "sv-cond-damaged" in damaged["classes"] and "sv-cond-good" in good["classes"]
    words = LEGEND[language]["conditions"]
    assert good["title"].endswith(words[0]) and damaged["title"].endswith(words[1])
    assert missing["title"].endswith(words[2])

    # the legend, folded on a phone: opened, it names the classes in view and the conditions
    legend = page.locator("#sv-legend")
    assert legend.locator("summary").inner_text() == LEGEND[language]["title"]
    assert not legend.evaluate("d => d.open")
    legend.locator("summary").click()
    classes = legend.locator(".sv-legend-classes li")
    assert classes.evaluate_all("els => els.map(e => e.dataset.class)") == ["0101", "0102"]
    colours = classes.evaluate_all(
        "els => els.map(e => getComputedStyle(e.querySelector('.sv-legend-pin')).backgroundColor)"
    )
    assert colours == [good["colour"], missing["colour"]]
    texts = legend.locator(".sv-legend-conditions li[data-status]").all_inner_texts()
    assert [t.strip().lstrip("!?■").strip() for t in texts] == words
    box = legend.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0]
    if language == "en":
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(texts))
    shot(page, f"survey-pins-legend-375-{language}")
    assert page.js_errors == []
