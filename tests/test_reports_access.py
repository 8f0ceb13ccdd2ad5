"""Who may see which report, and how bad input is answered: status codes, the parameter
named in the error, the user's language, and the default area and level of each user."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client

from layers.models import AdminArea
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def client_for(username: str, language: str = "en") -> Client:
    return Client(
        HTTP_AUTHORIZATION=f"Token {token_for(Client(), username)}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.fixture
def other_district(db: Any) -> None:
    """District 330105 (with a street and a community) outside the planner's grant."""
    square = MultiPolygon(Polygon.from_bbox((120.25, 30.30, 120.26, 30.31)), srid=4490)
    for code, level, parent in (
        ("330105", "district", "330100"),
        ("330105001", "street", "330105"),
        ("330105001001", "community", "330105001"),
    ):
        AdminArea.objects.create(
            code=code, level=level, name=f"测试{code}", parent_id=parent, boundary=square
        )


def test_anonymous_gets_401_and_a_surveyor_403() -> None:
    for url in ("/api/v1/reports/", "/api/v1/reports/counts/", "/api/v1/reports/coverage.pdf"):
        response = Client(HTTP_ACCEPT_LANGUAGE="en").get(url)
        assert response.status_code == 401, url
        assert response.json()["error"] == "not_authenticated"
    surveyor = client_for("surveyor_water")
    for url in ("/api/v1/reports/", "/api/v1/reports/counts/", "/api/v1/reports/coverage.gpkg"):
        assert surveyor.get(url).status_code == 403, url


def test_areas_outside_the_report_grant_are_404(other_district: None) -> None:
    planner = client_for("planner")
    for area in ("330105", "330105001001", "330100", "330199"):
        response = planner.get("/api/v1/reports/counts/", {"area": area})
        assert response.status_code == 404, area
        assert response.json()["field"] == "area"
        assert area in response.json()["detail"]
    # The street admin reports on their street only, not on the (public) district.
    street_admin = client_for("street_admin")
    assert street_admin.get("/api/v1/reports/counts/", {"area": "330106"}).status_code == 404
    assert street_admin.get("/api/v1/reports/counts/", {"area": "330106002001"}).status_code == 404
    # The same file exports answer the same way.
    assert planner.get("/api/v1/reports/coverage.pdf", {"area": "330105"}).status_code == 404


def test_default_area_and_level_follow_the_grant() -> None:
    cases = {
        "planner": ("330106", "street", 6),
        "street_admin": ("330106001", "community", 5),
        "community_worker": ("330106001001", "community", 1),
        "city_admin": ("330100", "district", 1),
        "auditor": ("330100", "district", 1),
    }
    for username, (area, level, rows) in cases.items():
        response = client_for(username).get("/api/v1/reports/condition/")
        assert response.status_code == 200, (username, response.content)
        body = response.json()
        assert (body["area"]["code"], body["level"]) == (area, level), username
        assert len(body["tables"][0]["rows"]) == rows, username
        assert len(body["map"]["features"]) == rows


def test_index_lists_the_reportable_areas_with_their_levels() -> None:
    body = client_for("street_admin").get("/api/v1/reports/").json()
    assert body["kinds"] == ["counts", "condition", "quality", "coverage", "edits", "parking"]
    areas = {a["code"]: a for a in body["areas"]}
    assert list(areas)[0] == "330106001"
    assert set(areas) == {"330106001"} | {f"330106001{i:03d}" for i in range(1, 6)}
    assert areas["330106001"]["levels"] == ["street", "community"]
    assert areas["330106001001"]["levels"] == ["community"]
    assert body["distance_m"] == {"min": 50, "max": 5000, "default": 300}


@pytest.mark.parametrize(
    ("kind", "query", "field"),
    [
        ("coverage", {"n": "49"}, "n"),
        ("coverage", {"n": "5000.5"}, "n"),
        ("coverage", {"n": "fifty"}, "n"),
        ("edits", {"months": "0"}, "months"),
        ("edits", {"months": "61"}, "months"),
        ("edits", {"months": "1.5"}, "months"),
        ("quality", {"as_of": "2024-13-01"}, "as_of"),
        ("counts", {"area": "33010"}, "area"),
        ("counts", {"area": "330106001", "level": "district"}, "level"),
        ("counts", {"level": "grid"}, "level"),
        ("counts", {"classes": "01,0301"}, "classes"),
        ("counts", {"classes": "0301,9999"}, "classes"),
        ("condition", {"metric": "buildings"}, "metric"),
        ("condition", {"metric": "DROP TABLE"}, "metric"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    kind: str, query: dict[str, str], field: str
) -> None:
    response = client_for("planner").get(f"/api/v1/reports/{kind}/", query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid" and body["field"] == field
    assert field in body["detail"]


def test_unknown_kinds_and_formats() -> None:
    planner = client_for("planner")
    response = planner.get("/api/v1/reports/density/")
    assert response.status_code == 404 and response.json()["field"] == "kind"
    response = planner.get("/api/v1/reports/counts.docx")
    assert response.status_code == 400 and response.json()["field"] == "format"
    response = planner.get("/api/v1/reports/counts.csv", {"table": "nothing"})
    assert response.status_code == 400 and response.json()["field"] == "table"


def test_errors_are_explained_in_the_users_language() -> None:
    chinese = client_for("planner", language="zh-hans")
    response = chinese.get("/api/v1/reports/coverage/", {"n": "20"})
    assert response.status_code == 400
    assert "参数 n 必须在 50 到 5000 之间，不能是 20" in response.json()["detail"]
    response = chinese.get("/api/v1/reports/edits/", {"months": "0"})
    assert "参数 months 必须是 1 到 60 之间的整数" in response.json()["detail"]
    response = chinese.get("/api/v1/reports/counts/", {"area": "330100"})
    assert "不在您可查看统计报告的区域内" in response.json()["detail"]
    english = client_for("planner")
    detail = english.get("/api/v1/reports/coverage/", {"n": "20"}).json()["detail"]
    assert detail == "Parameter n must be between 50 and 5000, not 20."


def test_exports_accept_any_accept_header_and_name_the_file() -> None:
    planner = client_for("planner")
    response = planner.get(
        "/api/v1/reports/condition.xlsx", {"level": "community"}, HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="condition-330106-community.xlsx"'
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "private, no-store"
