"""The residents' finder and facility pages (map_ui): chips from the public catalog,
facility pages with photos and "open in Amap / Baidu Maps" links, hidden things 404."""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from component_catalog.models import Component
from layers.models import AdminArea, Layer
from map_ui import facilities
from tests.components_helpers import Api, inside
from tests.ogc_data import gas_cover, toilet

pytestmark = pytest.mark.django_db


# --- an independent GCJ-02 / BD-09 reference (the classic per-axis formulation) -------------
def _t_lat(x: float, y: float) -> float:
    r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
    r += (20 * math.sin(y * math.pi) + 40 * math.sin(y / 3 * math.pi)) * 2 / 3
    r += (160 * math.sin(y / 12 * math.pi) + 320 * math.sin(y * math.pi / 30)) * 2 / 3
    return r


def _t_lon(x: float, y: float) -> float:
    r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
    r += (20 * math.sin(x * math.pi) + 40 * math.sin(x / 3 * math.pi)) * 2 / 3
    r += (150 * math.sin(x / 12 * math.pi) + 300 * math.sin(x / 30 * math.pi)) * 2 / 3
    return r


def reference_gcj02(lon: float, lat: float) -> tuple[float, float]:
    a, ee = 6378245.0, 0.00669342162296594323
    d_lat = _t_lat(lon - 105, lat - 35)
    d_lon = _t_lon(lon - 105, lat - 35)
    rad = lat / 180 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180) / ((a * (1 - ee)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180) / (a / sqrt_magic * math.cos(rad) * math.pi)
    return lon + d_lon, lat + d_lat


def reference_bd09(lon: float, lat: float) -> tuple[float, float]:
    g_lon, g_lat = reference_gcj02(lon, lat)
    x_pi = math.pi * 3000 / 180
    z = math.sqrt(g_lon**2 + g_lat**2) + 0.00002 * math.sin(g_lat * x_pi)
    theta = math.atan2(g_lat, g_lon) + 0.000003 * math.cos(g_lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


@pytest.mark.parametrize("point", [(120.1551, 30.2741), (120.0871, 30.2866), (121.4737, 31.2304)])
def test_amap_and_baidu_links_carry_converted_coordinates(point: tuple[float, float]) -> None:
    lon, lat = point
    amap = parse_qs(urlsplit(facilities.amap_link(lon, lat, "公厕")).query)
    g_lon, g_lat = map(float, amap["position"][0].split(","))
    assert (g_lon, g_lat) == pytest.approx(reference_gcj02(lon, lat), abs=1.5e-6)  # ~0.15 m
    assert amap["coordinate"] == ["gaode"] and amap["name"] == ["公厕"]
    # The offset is real: several hundred metres in Hangzhou.
    assert abs(g_lon - lon) > 0.003 and abs(g_lat - lat) > 0.001

    baidu = parse_qs(urlsplit(facilities.baidu_link(lon, lat, "公厕", "文三路1号")).query)
    b_lat, b_lon = map(float, baidu["location"][0].split(","))  # Baidu: lat,lon
    assert (b_lon, b_lat) == pytest.approx(reference_bd09(lon, lat), abs=1.5e-6)
    assert baidu["coord_type"] == ["bd09ll"] and baidu["content"] == ["文三路1号"]


def test_known_published_offset_near_tiananmen() -> None:
    """A pyproj-free reference value: WGS 84 (116.397428, 39.90923) is widely quoted as
    GCJ-02 (116.403671, 39.910635) (rounded to 1e-6 degrees)."""
    amap = parse_qs(urlsplit(facilities.amap_link(116.397428, 39.90923, "x")).query)
    g_lon, g_lat = map(float, amap["position"][0].split(","))
    assert (g_lon, g_lat) == pytest.approx((116.403671, 39.910635), abs=2e-6)


def test_home_is_the_resident_finder_for_anonymous_users(client: Client) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Find public facilities" in html and "Nearest to me" in html
    chips = re.findall(r'data-chip="(\w+)"[^>]*>([^<]+)<', html)
    assert [key for key, _ in chips][:3] == ["toilet", "parking", "shelter"]
    assert dict(chips)["toilet"] == "Public toilets"
    assert "/api/docs/" in html  # the API docs stay linked from the home page
    zh = client.get("/").content.decode()
    assert "查找公共设施" in zh and "离我最近" in zh and ">公共厕所<" in zh


def test_chips_follow_what_the_user_may_see(client: Client) -> None:
    Layer.objects.filter(code="component-0502").update(is_public=False)
    keys = [c["key"] for c in facilities.chips_for(Client().get("/").wsgi_request.user)]
    assert "shelter" not in keys and "toilet" in keys
    html = client.get("/").content.decode()
    assert 'data-chip="shelter"' not in html


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_facility_page_shows_details_photos_and_map_links(client: Client) -> None:
    admin = Api("district_admin")
    at = inside("330106001001", 1)
    created = admin.create(toilet("文三路公厕", at), comment="公厕普查")
    assert created.status_code == 201, created.content
    ident = created.json()["id"]
    upload = admin.client.post(
        f"/api/v1/components/{ident}/photos/",
        {"image": SimpleUploadedFile("a.jpg", small_jpeg(), "image/jpeg"), "caption": "入口"},
    )
    assert upload.status_code == 201, upload.content

    response = client.get(f"/facilities/{ident}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "文三路公厕" in html and "Public toilet" in html and "Good" in html
    assert "Daily 05:30-23:00" in html and "Wheelchair-accessible WC" in html
    photo = re.search(r'<img src="([^"]+)"[^>]*alt="入口"', html)
    assert photo, "the photo is shown"
    assert client.get(photo.group(1)).status_code == 200
    amap = re.search(r'id="open-amap" href="([^"]+)"', html).group(1)
    g_lon, g_lat = map(
        float, parse_qs(urlsplit(amap.replace("&amp;", "&")).query)["position"][0].split(",")
    )
    assert (g_lon, g_lat) == pytest.approx(reference_gcj02(*at), abs=1.5e-6)
    baidu = re.search(r'id="open-baidu" href="([^"]+)"', html).group(1)
    b_lat, b_lon = map(
        float, parse_qs(urlsplit(baidu.replace("&amp;", "&")).query)["location"][0].split(",")
    )
    assert (b_lon, b_lat) == pytest.approx(reference_bd09(*at), abs=1.5e-6)
    # Resources still come from the platform only; the two links are plain anchors.
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert ref.startswith("/") or ref.startswith("#") or ref in (amap, baidu), ref

    zh = client.get(f"/facilities/{ident}/").content.decode()
    assert "在高德地图中打开" in zh and "在百度地图中打开" in zh and "开放时间" in zh


def test_hidden_or_unknown_facilities_are_404(client: Client) -> None:
    admin = Api("district_admin")
    created = admin.create(gas_cover(inside("330106001001", 2)), comment="燃气井盖")
    assert created.status_code == 201, created.content
    ident = created.json()["id"]
    assert client.get(f"/facilities/{ident}/").status_code == 404  # not public
    assert client.get("/facilities/3301069999999999/").status_code == 404
    staff = Client()
    assert staff.login(username="city_admin", password="demo-pass-2019")
    assert staff.get(f"/facilities/{ident}/").status_code == 200


# --- where the residents' map opens ----------------------------------------------------------
CONFIG_RE = re.compile(
    r'<script type="application/json" id="map_\w+-config">(\{.*?\})</script>', re.DOTALL
)


def home_config(client: Client) -> dict[str, Any]:
    found = CONFIG_RE.search(client.get("/").content.decode())
    assert found, "the page starts the common map with its configuration"
    return json.loads(found.group(1))["extra"]


def test_the_map_opens_on_the_public_facilities_not_a_fixed_point(client: Client) -> None:
    admin = Api("district_admin")
    toilets = [inside("330106001001", 1), inside("330106002001", 2)]
    for i, at in enumerate(toilets):
        assert admin.create(toilet(f"测试{i}路公厕", at)).status_code == 201
    # a gas cover (not public) elsewhere in the district does not widen the view
    far = inside("330106005001", 1)
    assert admin.create(gas_cover(far)).status_code == 201
    lons, lats = [p[0] for p in toilets], [p[1] for p in toilets]
    expected = [min(lons), min(lats), max(lons), max(lats)]
    assert home_config(client)["startBounds"] == pytest.approx(expected, abs=1e-7)
    # retired facilities are not framed either
    Component.objects.filter(component_class_id="0301").update(currency="retired")
    district = AdminArea.objects.get(code="330106").boundary.extent
    assert home_config(client)["startBounds"] == pytest.approx(list(district), abs=1e-6)


def test_without_public_data_the_map_opens_on_the_public_districts(client: Client) -> None:
    Component.objects.update(currency="retired")  # whatever committed tests left in use
    district = AdminArea.objects.get(code="330106").boundary.extent
    assert home_config(client)["startBounds"] == pytest.approx(list(district), abs=1e-6)
    AdminArea.objects.filter(level="district").update(is_public=False)
    assert home_config(client)["startBounds"] is None  # the city's centre, as before
