"""The ``/reports/`` page as served: login, who may open it, what the form offers, and that
it loads nothing from outside the platform."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def logged_in(username: str, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/accounts/login/", {"username": username, "password": "demo-pass-2019"})
    assert response.status_code == 302, response.content[:300]
    return client


def test_anonymous_is_sent_to_login_and_a_surveyor_is_refused() -> None:
    response = Client().get("/reports/?kind=coverage")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/reports/")
    assert logged_in("surveyor_water").get("/reports/").status_code == 403


def test_planner_gets_the_form_in_chinese_with_their_areas() -> None:
    response = logged_in("planner").get("/reports/?kind=coverage")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    for text in ("统计报告", "服务覆盖", "部件数量与密度", "距离 N（米）", "更新报告", "下载"):
        assert text in html, text
    assert '<option value="coverage" selected>' in html
    areas = re.findall(r'<option value="(\d{6,12})"', html)
    assert areas[0] == "330106" and len(areas) == 1 + 6 + 30
    assert 'min="50" max="5000"' in html
    # Scripts and styles come from the platform's own static files only.
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("/static/vendor/chart.js/" in s for s in sources)
    assert any("/static/reports/reports.js" in s for s in sources)
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]


def test_page_in_english(settings: Any) -> None:
    html = logged_in("street_admin", language="en").get("/reports/").content.decode()
    assert "Service coverage" in html and "Update report" in html
    areas = re.findall(r'<option value="(\d{6,12})"', html)
    assert areas == ["330106001"] + [f"330106001{i:03d}" for i in range(1, 6)]
