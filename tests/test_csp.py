"""The Content-Security-Policy header (gis_app.csp) and pages without inline script.

The browser tests (tests/browser/test_security.py) show the pages work under the policy;
here: which responses carry it, what it allows (the online basemaps' hosts from the
settings), and that the rendered pages, folium's map HTML included, hold no inline script
or handler the policy would block.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings

from gis_app import csp

INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.S | re.I)
HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        found[name] = sources
    return found


def test_the_policy_allows_own_scripts_only_and_the_configured_basemaps() -> None:
    d = directives(csp.policy())
    assert d["script-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"] and d["base-uri"] == ["'self'"]
    assert d["frame-ancestors"] == ["'none'"] and d["default-src"] == ["'self'"]
    assert "'unsafe-eval'" not in " ".join(sum(d.values(), []))
    for source in (
        "https://tile.openstreetmap.org",
        "https://*.tianditu.gov.cn",
        "https://*.is.autonavi.com",
    ):
        assert source in d["img-src"]
    assert d["connect-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png", "https://*.tiles.example.org:8443"),
        ("http://mirror.example.cn/osm/{z}/{x}/{y}.png", "http://mirror.example.cn"),
        ("https://a{s}.b{s}.example.cn/{z}/{x}/{y}", "https://*.example.cn"),
        ("/tiles-mirror/osm/{z}/{x}/{y}.png", None),  # the platform itself: 'self'
        ("https://{s}.com/{z}/{x}/{y}", None),  # a wildcard that wide is left out
    ],
)
def test_basemap_hosts_come_from_the_tile_url_templates(template: str, source: Any) -> None:
    assert csp.tile_origin(template) == source
    with override_settings(
        MAP_OSM_TILE_URL=template, MAP_AMAP_TILE_URL="", MAP_TIANDITU_TILE_URL=""
    ):
        d = directives(csp.policy())
    assert d["img-src"] == ["'self'", "data:", "blob:", *([source] if source else [])]


PAGES = [
    (None, "/"),
    (None, "/map/"),
    (None, "/parking/find/"),
    (None, "/accounts/login/"),
    (None, "/api/docs/"),
    ("planner", "/reports/"),
    ("surveyor_water", "/survey/"),
    ("city_admin", "/imports/"),
    ("city_admin", "/admin/"),
    ("city_admin", "/admin/parking/parkinglot/"),
    ("city_admin", "/admin/parking/parkingspace/add/"),
    (None, "/admin/login/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("user", "path"), PAGES)
def test_every_page_has_the_policy_and_no_inline_script(
    api_as: Any, user: str | None, path: str
) -> None:
    client = Client()
    if user:
        assert client.login(username=user, password="demo-pass-2019")
    response = client.get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, path
    assert response["Content-Security-Policy"] == csp.policy()
    html = response.content.decode()
    for match in INLINE_SCRIPT.finditer(html):
        if "application/json" in match["attrs"]:
            continue
        assert not match["body"].strip(), f"{path}: inline script {match['body'][:80]!r}"
    assert not HANDLER.search(html), f"{path}: event-handler attribute"
    assert not JAVASCRIPT_URL.search(html), f"{path}: javascript: URL"


@pytest.mark.django_db
def test_the_swagger_ui_script_is_a_file_of_its_own(client: Client) -> None:
    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script src="([^"]+)"', html)
    script = [s for s in sources if "script=" in s]
    assert script, sources
    response = client.get(script[0].replace("&amp;", "&"))
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()


@pytest.mark.django_db
def test_data_answers_carry_no_policy(client: Client) -> None:
    for path in ("/api/v1/layers/", "/map/basemaps.json", "/tiles/components.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" not in response, path
    # An HTML error page is a document: it gets the policy.
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    if missing["Content-Type"].startswith("text/html"):
        assert missing["Content-Security-Policy"] == csp.policy()
