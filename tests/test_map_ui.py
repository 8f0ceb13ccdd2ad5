"""The common map's pages and endpoints (map_ui): only local files, basemaps per settings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from map_ui import basemaps

URL_RE = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)
REF_RE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
MAP_PAGES = ["/", "/map/"]


def absolute_urls(html: str) -> list[str]:
    """Every absolute or protocol-relative URL written in a page."""
    return URL_RE.findall(html)


@pytest.mark.django_db
@pytest.mark.parametrize("path", MAP_PAGES)
@pytest.mark.parametrize("user", [None, "city_admin"])
def test_map_pages_reference_only_their_own_origin(api_as: Any, path: str, user: Any) -> None:
    client = Client()
    if user:
        assert client.login(username=user, password="demo-pass-2019")
    response = client.get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "leaflet" in html and "data-sc-map=" in html  # boot.js creates the map
    outside = [u for u in absolute_urls(html) if not u.startswith("http://127.0.0.1/")]
    assert outside == [], f"{path} names other origins: {outside}"
    refs = set(REF_RE.findall(html))
    scripts = {r for r in refs if r.endswith(".js")}
    styles = {r for r in refs if r.endswith(".css")}
    assert {
        "/static/vendor/leaflet/leaflet.js",
        "/static/map_ui/map.js",
        "/static/map_ui/boot.js",
    } <= scripts
    assert "/static/vendor/leaflet/leaflet.css" in styles
    for ref in sorted(scripts | styles):
        served = client.get(ref)
        assert served.status_code == 200, ref
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert len(body) > 100, ref


@pytest.mark.django_db
def test_vendor_files_are_the_npm_packages(client: Client) -> None:
    from map_ui import vendor

    for name, path in vendor.FILES.items():
        response = client.get(vendor.url(name))
        assert response.status_code == 200, (name, path)


@pytest.mark.django_db
def test_basemaps_offline_first_tianditu_only_with_a_key(client: Client, settings: Any) -> None:
    settings.TIANDITU_KEY = ""
    data = client.get("/map/basemaps.json", HTTP_ACCEPT_LANGUAGE="en").json()["basemaps"]
    ids = [b["id"] for b in data]
    assert ids == ["platform", "osm", "amap"]
    offline = data[0]
    assert offline["default"] and offline["kind"] == "vector" and offline["crs"] == "wgs84"
    parts = {p["code"]: p for p in offline["parts"]}
    assert list(parts) == list(basemaps.OFFLINE_LAYERS)
    assert parts["buildings"]["tiles"] == "/tiles/buildings/{z}/{x}/{y}.mvt"
    assert parts["roads"]["name"] == "Roads"
    amap = data[2]
    assert amap["crs"] == "gcj02" and amap["subdomains"] == "1234"

    settings.TIANDITU_KEY = "test-key-123"
    data = client.get("/map/basemaps.json").json()["basemaps"]
    tianditu = next(b for b in data if b["id"] == "tianditu")
    assert len(tianditu["tiles"]) == 2  # vector map + annotation
    assert all("tk=test-key-123" in t for t in tianditu["tiles"])
    assert "LAYER=vec" in tianditu["tiles"][0] and "LAYER=cva" in tianditu["tiles"][1]
    assert tianditu["name"] == "天地图"


@pytest.mark.django_db
def test_offline_basemap_leaves_out_layers_the_user_may_not_see(client: Client) -> None:
    from layers.models import Layer

    Layer.objects.filter(code="roads").update(is_public=False)
    data = client.get("/map/basemaps.json").json()["basemaps"]
    assert "roads" not in [p["code"] for p in data[0]["parts"]]
