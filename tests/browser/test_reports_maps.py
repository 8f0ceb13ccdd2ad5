"""The report map as a planner reads it, at 1440x900 in Chinese and in English: the
choropleth's classes (natural breaks or quantiles, never one colour for nearly all areas),
the legend's rounded breaks with the areas per class, the areas' names on the map without
overlapping, the map fitted to the chosen area, and the component-class filter of the form
applied to the report. The demo buildings and facilities are committed for the module by the
coverage test's fixture and removed after."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import RequestWatcher, shot
from tests.browser.test_reports_coverage import coverage_data, login, wait_until_idle

__all__ = ["coverage_data"]  # the fixture, used by name below

TOILET = {"zh-hans": "公共厕所", "en": "Public toilet"}


def boxes(page: Any, selector: str) -> list[dict[str, float]]:
    return page.eval_on_selector_all(
        selector,
        """els => els.map(e => { const r = e.getBoundingClientRect();
             return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                     text: e.textContent}; })""",
    )


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_report_map_classes_labels_and_class_filter(
    coverage_data: None, open_page: Any, requests_seen: RequestWatcher, language: str
) -> None:
    page = open_page(
        "/reports/?kind=coverage&level=community", viewport=(1440, 900), language=language
    )
    login(page)
    page.wait_for_url(re.compile(r"/reports/"))
    # The report is built in the request; under a loaded CI machine that can pass 15 s.
    page.wait_for_selector("#table-services", timeout=60_000)
    wait_until_idle(page)
    names = set(
        page.locator(
            "#report-tables section:has(#table-areas) tbody tr td:nth-child(2)"
        ).all_inner_texts()
    )
    assert len(names) == 30

    # More than two classes hold areas; the counts in the legend add up to the 30 areas,
    # and the map shows as many colours as there are classes with areas.
    legend = page.locator(".choropleth-legend")
    counts = [
        int(re.sub(r"\D", "", text)) for text in legend.locator(".legend-count").all_inner_texts()
    ]
    assert sum(counts) == 30
    assert sum(1 for c in counts if c > 0) > 2
    fills = set(
        page.eval_on_selector_all(
            ".report-map path.choropleth-area", "els => els.map(e => e.getAttribute('fill'))"
        )
    )
    assert len(fills) == sum(1 for c in counts if c > 0)
    # Rounded breaks: no figure in the legend has more than one decimal place.
    ranges = legend.locator(".legend-range").all_inner_texts()
    assert not any(re.search(r"\d\.\d\d", r) for r in ranges), ranges

    # The map is fitted to the district: its areas fill the map box (not a corner of it).
    frame = page.locator(".report-map .leaflet-container").bounding_box()
    areas = boxes(page, ".report-map path.choropleth-area")
    left = min(a["left"] for a in areas)
    right = max(a["right"] for a in areas)
    top = min(a["top"] for a in areas)
    bottom = max(a["bottom"] for a in areas)
    assert left >= frame["x"] - 1 and right <= frame["x"] + frame["width"] + 1
    assert top >= frame["y"] - 1 and bottom <= frame["y"] + frame["height"] + 1
    assert (right - left) > 0.85 * frame["width"] or (bottom - top) > 0.85 * frame["height"]

    # The areas' names are on the map, inside the map box, and do not overlap.
    shown = boxes(page, ".report-map .area-label:not(.area-label-hidden) span")
    assert len(shown) >= 8, [s["text"] for s in shown]
    assert {s["text"] for s in shown} <= names
    for i, a in enumerate(shown):
        assert a["left"] >= frame["x"] and a["right"] <= frame["x"] + frame["width"]
        assert not any(overlap(a, b) for b in shown[i + 1 :]), a["text"]
    shot(page, f"reports-map-coverage-{language}")

    # The class filter: counts of public toilets only.
    page.select_option("#report-kind", "counts")
    page.wait_for_selector("#table-classes")
    wait_until_idle(page)
    assert page.locator("#report-classes").is_visible()
    all_classes = page.locator("#report-tables section:has(#table-classes) tbody tr").count()
    assert all_classes > 1
    page.select_option("#report-classes", ["0301"])
    chosen = {"zh-hans": "已选 1 类", "en": "1 class chosen"}[language]
    assert page.locator("#report-classes-chosen").inner_text() == chosen
    page.locator("#report-run").click()
    page.wait_for_function("() => location.search.includes('classes=0301')")
    wait_until_idle(page)
    rows = page.locator("#report-tables section:has(#table-classes) tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").nth(1).inner_text() == TOILET[language]
    assert TOILET[language] in page.locator("#report-facts").inner_text()
    shown = boxes(page, ".report-map .area-label:not(.area-label-hidden) span")
    assert len(shown) >= 8
    shot(page, f"reports-map-counts-toilets-{language}")

    # Choosing quantiles re-cuts the classes; the legend says which method.
    page.select_option("#report-classify", "quantile")
    page.wait_for_function("() => location.search.includes('classify=quantile')")
    wait_until_idle(page)
    method = {"zh-hans": "分位数", "en": "Quantiles"}[language]
    assert method in page.locator(".choropleth-legend .legend-method").inner_text()
    assert requests_seen.outside() == []
