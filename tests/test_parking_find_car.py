"""Reverse car finding: the right lot, floor and space while parked, 404 after exit,
audited with the masked plate, rate-limited per address and per plate."""

from __future__ import annotations

import pytest

from community.parking.findcar import ACTION
from gis_app.models import AuditEvent
from tests.components_helpers import Api
from tests.parking_support import event, make_lot, send

pytestmark = pytest.mark.django_db

URL = "/api/v1/parking/find-car/"
PLATE = "浙A3F57K"


@pytest.fixture
def parked():
    lot = make_lot("寻车测试停车场")
    assert send(lot.gate, event("fc-1", "in", 40, PLATE)).status_code == 200
    assert send(lot.camera, event("fc-2", "in", 38, PLATE, space="B1-009")).status_code == 200
    return lot


def test_finds_the_space_while_parked_and_nothing_after_exit(parked):
    kiosk = Api(None)
    found = kiosk.post(URL, {"plate": "浙a 3f57k"})  # as typed on a phone
    assert found.status_code == 200, found.content
    body = found.json()
    assert body["lot"]["id"] == parked.identifier
    assert body["floor"] == {"code": "B1", "name": "地下一层"}
    assert body["space"]["code"] == "B1-009" and body["space"]["kind"] == "charging"
    assert body["space"]["geometry"]["type"] == "Polygon"
    assert body["spaces_url"].endswith(f"/lots/{parked.identifier}/spaces/?floor=B1")
    assert found["Cache-Control"] == "no-store"
    spaces = kiosk.get(body["spaces_url"]).json()["features"]
    highlighted = [f for f in spaces if f["id"] == "B1-009"]
    assert highlighted and highlighted[0]["properties"]["occupied"] is True
    assert sum(f["properties"]["occupied"] for f in spaces) == 1

    assert send(parked.gate, event("fc-3", "out", 5, PLATE, gate="G2")).status_code == 200
    after = kiosk.post(URL, {"plate": PLATE})
    assert after.status_code == 404
    assert "space" not in after.json()


def test_every_search_is_audited_with_the_masked_plate(parked):
    Api(None).post(URL, {"plate": PLATE}, REMOTE_ADDR="10.1.2.3")
    Api(None).post(URL, {"plate": "浙B00000"}, REMOTE_ADDR="10.1.2.3")
    rows = list(AuditEvent.objects.filter(action=ACTION).order_by("id"))[-2:]
    assert [r.result for r in rows] == ["success", "failure"]
    assert rows[0].detail == {"plate": "浙A·***7K", "lot": parked.identifier}
    assert rows[1].detail == {"plate": "浙B·***00"}
    assert {r.source_address for r in rows} == {"10.1.2.3"}
    assert rows[0].object_id != rows[1].object_id  # a key per plate, not the plate


def test_searches_are_rate_limited_per_address(parked, settings):
    settings.PARKING_FIND_CAR_PER_ADDRESS = 3
    kiosk = Api(None)
    codes = [
        kiosk.post(URL, {"plate": f"浙A{n:05d}"}, REMOTE_ADDR="10.9.9.9").status_code
        for n in range(4)
    ]
    assert codes == [404, 404, 404, 429]
    elsewhere = kiosk.post(URL, {"plate": PLATE}, REMOTE_ADDR="10.9.9.10")
    assert elsewhere.status_code == 200


def test_searches_are_rate_limited_per_plate(parked, settings):
    settings.PARKING_FIND_CAR_PER_PLATE = 2
    codes = [
        Api(None).post(URL, {"plate": PLATE}, REMOTE_ADDR=f"10.8.0.{n}").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    limited = Api(None).post(
        URL, {"plate": PLATE}, REMOTE_ADDR="10.8.1.1", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "Too many car searches" in limited.json()["detail"]


def test_a_malformed_plate_names_the_field(parked):
    response = Api(None).post(URL, {"plate": "12345"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["field"] == "plate"
    assert "12345" not in response.content.decode()


def test_the_find_car_page_is_in_everyones_menu(client):
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    nav = home.split('class="topnav"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/parking/find/"' in nav and "反向寻车" in nav
    page = client.get("/parking/find/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
