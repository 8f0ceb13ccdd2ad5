"""The main menu shows each person the pages they can use, in their language."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def menu(username: str | None) -> list[tuple[str, str]]:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if username:
        assert client.login(username=username, password="demo-pass-2019")
    html = client.get("/").content.decode()  # the resident map: on the base template
    nav = html.split('class="topnav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


def test_each_role_sees_the_pages_it_can_use() -> None:
    anonymous = dict(menu(None))
    assert "/" in anonymous and "/survey/" not in anonymous and "/reports/" not in anonymous
    surveyor = dict(menu("surveyor_water"))
    assert {"/", "/survey/", "/imports/"} <= set(surveyor) and "/reports/" not in surveyor
    planner = dict(menu("planner"))
    assert "/reports/" in planner and "/survey/" not in planner and "/imports/" not in planner
    admin = dict(menu("district_admin"))
    assert {"/", "/survey/", "/imports/", "/reports/"} <= set(admin)
    assert admin["/reports/"] != "Reports"  # Chinese first
    for url in admin:  # every link works for the person who sees it
        client = Client()
        client.login(username="district_admin", password="demo-pass-2019")
        assert client.get(url).status_code == 200, url
