"""One HTTP edge for every surface (REST, OGC API, tiles): the same answer to a bad API
token (401, ``WWW-Authenticate: Token``, the JSON error naming ``Authorization``), the same
bounding-box rules and wording, and settings as the only reader of the environment."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.components_helpers import Api, inside, manhole
from tests.conftest import REPO, token_for

pytestmark = pytest.mark.django_db

REST = "/api/v1/areas/"
OGC = "/ogc/collections"
TILE = "/tiles/components/14/13705/6744.mvt"
SURFACES = [REST, OGC, TILE]
UNKNOWN_KEY = "0" * 40


def assert_refused_token(response: Any) -> None:
    """What a program needs to tell a refused token from a bad request: 401, how to
    authenticate, and which header was wrong."""
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Token")
    body = response.json()
    assert body.get("error", body.get("code")) == "authentication_failed", body
    assert body.get("field", body.get("parameter")) == "Authorization", body
    assert body.get("detail", body.get("description")), body


@pytest.mark.parametrize("url", SURFACES)
def test_an_unknown_token_is_a_401_on_every_surface(url: str) -> None:
    assert_refused_token(Client(HTTP_AUTHORIZATION=f"Token {UNKNOWN_KEY}").get(url))


@pytest.mark.parametrize("url", SURFACES)
@pytest.mark.parametrize("header", ["Token", "Token    ", "token a b", "Token 令牌"])
def test_a_malformed_token_header_is_a_401_on_every_surface(url: str, header: str) -> None:
    assert_refused_token(Client(HTTP_AUTHORIZATION=header).get(url))


def test_a_browser_asking_the_rest_api_with_a_bad_token_gets_the_401_too() -> None:
    """The browsable API renders the error as the anonymous visitor (no second failure)."""
    browser = Client(HTTP_AUTHORIZATION=f"Token {UNKNOWN_KEY}", HTTP_ACCEPT="text/html")
    response = browser.get(REST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("url", SURFACES)
def test_the_token_of_a_deactivated_account_is_refused_on_every_surface(url: str) -> None:
    key = token_for(Client(), "planner")
    User.objects.filter(username="planner").update(is_active=False)
    assert_refused_token(Client(HTTP_AUTHORIZATION=f"Token {key}").get(url))


def test_a_valid_token_acts_for_its_user_on_every_surface() -> None:
    key = token_for(Client(), "city_admin")
    assert Token.objects.filter(key=key).exists()
    signed = Client(HTTP_AUTHORIZATION=f"token {key}")  # the scheme is case-insensitive
    anonymous = Client()
    # grid cells are visible only inside a grant: the city administrator sees them
    assert signed.get(f"{OGC}/grid-cells").status_code == 200
    assert anonymous.get(f"{OGC}/grid-cells").status_code == 404
    assert signed.get("/api/v1/areas/330106001001/").status_code == 200
    assert signed.get(TILE).status_code in (200, 204)
    # another scheme is not a token: the caller stays anonymous, as DRF treats it
    assert Client(HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==").get(REST).status_code == 200


BOX_SURFACES = [
    ("/api/v1/components/", "detail", "field"),
    ("/api/v1/buildings/", "detail", "field"),
    ("/ogc/collections/component-0301/items", "description", "parameter"),
]


@pytest.mark.parametrize(
    "box",
    [
        "1,2,3",  # too few
        "120,30,x,31",  # not a number
        "nan,30,121,31",  # not a finite number
        "121,31,120,30",  # upper corner first
        "120,30,200,31",  # outside longitudes
    ],
)
def test_a_bad_bbox_gets_the_same_answer_on_every_surface(box: str) -> None:
    answers = set()
    for url, detail, field in BOX_SURFACES:
        response = Client().get(url, {"bbox": box})
        assert response.status_code == 400, (url, response.content)
        body = response.json()
        assert body[field] == "bbox", (url, body)
        answers.add(body[detail])
    assert len(answers) == 1, answers


def test_a_bbox_in_a_projected_crs_outside_its_area_is_a_400_not_an_error() -> None:
    response = Client().get(
        "/ogc/collections/component-0301/items",
        {"bbox": "1e300,1e300,2e300,2e300", "bbox-crs": "EPSG:4549"},
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == "bbox"


# Entry points that must name the settings module before settings exist.
ENTRY_POINTS = {"gis_app/wsgi.py", "gis_app/asgi.py"}
PACKAGES = [
    "gis_app",
    "layers",
    "component_catalog",
    "importers",
    "tiles",
    "map_ui",
    "reports",
    "survey",
    "community",
]
ENVIRONMENT_READ = re.compile(r"\bos\.environ\b|\bgetenv\b|\bfrom os import .*\benviron\b")


def test_only_the_settings_read_the_environment() -> None:
    """Configuration has one place (``gis_app/settings``): code reads django.conf.settings,
    so a test or a deployment changes it in one way and ``manage.py diffsettings`` shows it."""
    offenders = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if relative.startswith("gis_app/settings/") or relative in ENTRY_POINTS:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if ENVIRONMENT_READ.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_a_bbox_of_zero_size_finds_the_point_on_it() -> None:
    """A client asking for what lies exactly at a point (min corner = max corner) gets it,
    on REST and OGC alike (PostGIS finds nothing in a polygon of zero area)."""
    water = Api("surveyor_water")
    response = water.create(manhole(at=inside("330106001001", 2), name="零面积查询井盖"))
    assert response.status_code == 201, response.content
    made = response.json()
    lon, lat = made["geometry"]["coordinates"]
    point = f"{lon},{lat},{lon},{lat}"
    listed = water.get(f"/api/v1/components/?bbox={point}")
    assert listed.status_code == 200, listed.content
    assert made["id"] in {f["id"] for f in listed.json()["features"]}
    line = f"{lon - 0.001},{lat},{lon + 0.001},{lat}"  # zero height: a line through it
    listed = water.get(f"/api/v1/components/?bbox={line}")
    assert made["id"] in {f["id"] for f in listed.json()["features"]}
    items = water.get(f"/ogc/collections/component-0101/items?bbox={point}")
    assert items.status_code == 200, items
    found = json.loads(b"".join(items.streaming_content))["features"]
    assert made["id"] in {f["id"] for f in found}
