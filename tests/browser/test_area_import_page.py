"""The import page's area target on a phone and a desktop, in Chinese and English: a city
administrator picks "administrative areas / grid cells", uploads the real DataV district
file (GCJ-02) as districts for a dry run, and reads the per-feature report: the districts
outside the (generated) city of the test database refused with their names and the area
outside, nothing stored (issue 18, item 1)."""

from __future__ import annotations

from typing import Any

import pytest

from layers.models import AdminArea, AreaHistory
from tests.browser.conftest import db_access, shot
from tests.conftest import SHARED_DATA

DATAV = SHARED_DATA / "hangzhou_admin" / "330100_full.json"
TEXT = {
    "zh-hans": {
        "target": "行政区划 / 单元网格",
        "submit": "检查并导入",
        "refused": "已拒绝",
        "outside": "部分位于上级 330100",
        "dry": "试运行：未保存任何内容。",
    },
    "en": {
        "target": "Administrative areas / grid cells",
        "submit": "Check and import",
        "refused": "Refused",
        "outside": "lies partly outside its parent 330100",
        "dry": "Dry run: nothing was stored.",
    },
}


@pytest.mark.parametrize(
    ("viewport", "language"),
    [((390, 844), "zh-hans"), ((1280, 800), "en"), ((390, 844), "en"), ((1280, 800), "zh-hans")],
)
def test_a_dry_run_of_the_datav_districts_reports_each_feature(
    open_page: Any, django_db_blocker: Any, viewport: tuple[int, int], language: str
) -> None:
    if not DATAV.exists():
        pytest.skip(f"real data absent: {DATAV}")
    words = TEXT[language]
    with db_access(django_db_blocker):
        before = (AdminArea.objects.count(), AreaHistory.objects.count())
    page = open_page("/imports/", viewport=viewport, language=language)
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", "city_admin")
    page.fill("#id_password", "demo-pass-2019")
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/imports/")
    page.get_by_role("link", name=words["target"]).click()
    page.wait_for_url("**/imports/areas/")
    page.set_input_files("#id_file", str(DATAV))
    page.select_option("#id_level", "district")
    page.fill("#id_code_field", "adcode")
    page.fill("#id_name_field", "name")
    page.select_option("#id_crs", "GCJ02")
    assert page.is_checked("#id_dry_run")
    page.get_by_role("button", name=words["submit"]).click()
    report = page.locator("#area-report")
    report.wait_for()
    assert words["dry"] in page.locator(".area-summary").inner_text()
    xiaoshan = page.locator("tr", has_text="萧山区")
    assert words["refused"] in xiaoshan.inner_text()
    assert words["outside"] in xiaoshan.inner_text()
    # the page itself never scrolls sideways (the report table scrolls in its frame)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    if language == "en":
        assert "已拒绝" not in page.locator("main").inner_text()
    report.scroll_into_view_if_needed()
    shot(page, f"area_import_{language}_{viewport[0]}x{viewport[1]}")
    with db_access(django_db_blocker):
        assert (AdminArea.objects.count(), AreaHistory.objects.count()) == before
