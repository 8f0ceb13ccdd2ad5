"""Open311 GeoReport v2 at /open311/v2/ through a real HTTP server: read with the published
``georeport`` client (PyPI, 0.3.1) in JSON and XML; written with raw HTTP form posts, as
the spec describes them, because that client has no call to create a request (it only
reads services, definitions and requests). XML answers are also parsed with ElementTree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from georeport import GeoReport
from lxml import etree

from community.matters import privacy
from community.matters.models import ServiceRequest
from community.matters.open311 import keys
from community.matters.open311.models import ClientApplication, Open311Submission
from tests.components_helpers import inside

COMMUNITY = "330106001001"
# Fictitious reporter (placeholder name, a counting-sequence number): tests grep for it
# in every answer to prove it is masked.
PHONE = "13912345678"
EMAIL = "zhang.san@example.org"
TIMEOUT = 30
# A real XML parser that fetches nothing and expands no entity.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def xml(content: bytes) -> Any:
    return etree.fromstring(content, parser=PARSER)


@pytest.fixture(scope="module")
def site(live_url: str, django_db_blocker: Any) -> Any:
    """A client application with its key (committed), the live server's base and a point
    inside the demo community; afterwards the requests made here are deleted."""
    made_here: list[str] = []
    with django_db_blocker.unblock():
        app = ClientApplication(name="open311-test-app", contact="test")
        key = keys.issue(app)
        app.save()
        point = inside(COMMUNITY, 1)
    yield {
        "base": f"{live_url}/open311/v2",
        "live": live_url,
        "key": key,
        "lon": point[0],
        "lat": point[1],
        "rest_codes": made_here,
    }
    with django_db_blocker.unblock():
        ServiceRequest.objects.filter(open311__application=app).delete()
        ServiceRequest.objects.filter(tracking_code__in=made_here).delete()
        app.delete()


def post(site: dict[str, Any], fmt: str = "json", **fields: Any) -> requests.Response:
    body = {
        "api_key": site["key"],
        "service_code": "0505",
        "lat": site["lat"],
        "long": site["lon"],
        "description": "小区门口机动车乱停放，堵住消防通道",
        "attribute[vehicles]": "3",
        "first_name": "三",
        "last_name": "张",
        "phone": PHONE,
        "email": EMAIL,
        "device_id": "device-1",
        "media_url": "https://example.org/photo.jpg",
    }
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return requests.post(f"{site['base']}/requests.{fmt}", data=body, timeout=TIMEOUT)


def errors_of(response: requests.Response) -> list[dict[str, Any]]:
    """The spec's errors of a JSON or XML answer, parsed by format."""
    if response.headers["Content-Type"].startswith("text/xml"):
        root = xml(response.content)
        assert root.tag == "errors"
        return [
            {"code": int(e.findtext("code") or 0), "description": e.findtext("description")}
            for e in root.findall("error")
        ]
    data = response.json()
    assert isinstance(data, list)
    return list(data)


def count() -> int:
    return ServiceRequest.objects.count()


# --- services ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_and_definitions_through_the_client(site: dict[str, Any], fmt: str) -> None:
    client = GeoReport(site["base"], output_format=fmt)
    services = {s["service_code"]: s for s in client.get_service_list()}
    parking = services["0505"]
    assert parking["service_name"] == "机动车乱停放" and parking["group"] == "街面秩序"
    assert str(parking["metadata"]).lower() == "true"
    assert "0301-damaged" in services  # component problems are services too
    assert "0401" not in services and "04" not in services  # emergencies are not public
    definition = client.get_service_definition("0115")
    attributes = definition["attributes"]
    attribute = attributes["attribute"] if fmt == "xml" else attributes[0]
    assert attribute["code"] == "kind" and attribute["datatype"] == "singlevaluelist"
    values = attribute["values"]["value"] if fmt == "xml" else attribute["values"]
    assert [v["key"] for v in values] == ["生活污水", "工业废水", "其他"]
    raw = requests.get(f"{site['base']}/services/0505.{fmt}", timeout=TIMEOUT)
    expected = "text/xml" if fmt == "xml" else "application/json"
    assert raw.headers["Content-Type"].startswith(expected)


def test_names_and_errors_follow_the_callers_language(site: dict[str, Any]) -> None:
    english = {"Accept-Language": "en"}
    services = requests.get(f"{site['base']}/services.json", headers=english, timeout=TIMEOUT)
    parking = next(s for s in services.json() if s["service_code"] == "0505")
    assert parking["service_name"] == "Illegal car parking" and parking["group"] == "Street order"
    missing = requests.get(f"{site['base']}/services/9999.xml", headers=english, timeout=TIMEOUT)
    assert "is not a service" in errors_of(missing)[0]["description"]
    chinese = requests.get(f"{site['base']}/services/9999.json", timeout=TIMEOUT)
    assert errors_of(chinese)[0]["description"] == "service_code 9999 不是服务。"
    (answer,) = post(site).json()
    (fresh,) = requests.get(
        f"{site['base']}/requests/{answer['service_request_id']}.json", timeout=TIMEOUT
    ).json()
    assert fresh["status_notes"] == ""  # nothing has happened to it yet


def test_discovery_names_the_endpoint_and_formats(site: dict[str, Any]) -> None:
    data = requests.get(f"{site['base']}/discovery.json", timeout=TIMEOUT).json()
    (endpoint,) = data["endpoints"]
    assert endpoint["url"].endswith("/open311/v2/")
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = xml(requests.get(f"{site['base']}/discovery.xml", timeout=TIMEOUT).content)
    formats = [f.text for f in root.iter("format")]
    assert formats == ["application/json", "text/xml"]


# --- POST and read back ------------------------------------------------------------------


def test_post_json_then_read_with_the_client(site: dict[str, Any], django_db_blocker: Any) -> None:
    response = post(site)
    assert response.status_code == 201, response.content
    assert response.headers["Content-Type"].startswith("application/json")
    (answer,) = response.json()
    ident, token = answer["service_request_id"], answer["token"]
    with django_db_blocker.unblock():
        obj = ServiceRequest.objects.select_related("open311").get(tracking_code=token)
        contact = privacy.unseal(obj.contact_sealed, obj.tracking_code)
    assert obj.source == "open311" and obj.attributes == {"vehicles": 3}
    assert contact.phone == PHONE and contact.email == EMAIL and contact.name == "张三"
    assert ident != str(obj.pk) and ident != token and len(ident) == 20

    request = GeoReport(site["base"]).get_service_request(ident)
    assert request["service_request_id"] == ident and request["status"] == "open"
    assert request["service_code"] == "0505" and request["description"].startswith("小区门口")
    assert abs(request["lat"] - site["lat"]) < 1e-6 and abs(request["long"] - site["lon"]) < 1e-6
    assert request["media_url"] == "https://example.org/photo.jpg"
    assert request["agency_responsible"]  # the routed organization
    assert request["expected_datetime"] == obj.resolve_due.isoformat()
    xml_request = GeoReport(site["base"], output_format="xml").get_service_request(ident)
    assert xml_request["service_request_id"] == ident and xml_request["status"] == "open"

    by_token = requests.get(f"{site['base']}/tokens/{token}.json", timeout=TIMEOUT).json()
    assert by_token == [{"service_request_id": ident, "token": token}]


def test_post_xml_answers_xml(site: dict[str, Any]) -> None:
    response = post(site, "xml", service_code="0201", **{"attribute[vehicles]": None})
    assert response.status_code == 201, response.content
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = xml(response.content)
    assert root.tag == "service_requests"
    ident = root.findtext("request/service_request_id")
    assert ident and root.findtext("request/token")
    detail = xml(requests.get(f"{site['base']}/requests/{ident}.xml", timeout=TIMEOUT).content)
    assert detail.findtext("request/service_code") == "0201"
    assert detail.findtext("request/status") == "open"


def test_contact_is_in_no_answer(site: dict[str, Any]) -> None:
    posted = post(site)
    assert posted.status_code == 201
    (answer,) = posted.json()
    ident, token = answer["service_request_id"], answer["token"]
    urls = [
        f"requests/{ident}.json",
        f"requests/{ident}.xml",
        "requests.json",
        "requests.xml",
        f"requests.json?service_request_id={ident}",
        f"tokens/{token}.xml",
    ]
    texts = [posted.text] + [
        requests.get(f"{site['base']}/{u}", timeout=TIMEOUT).text for u in urls
    ]
    assert any(ident in t for t in texts[1:])
    for text in texts:
        for secret in (PHONE, "139****5678", "5678", EMAIL, "zhang.san", "张三", "张*", "device-1"):
            assert secret not in text


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("fields", "status", "word"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": ""}, 400, "service_code"),
        ({"lat": "91"}, 400, "lat"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "nan"}, 400, "lat"),
        ({"api_key": "o311_not-a-key"}, 403, "api_key"),
        ({"api_key": None}, 403, "api_key"),
        ({"service_code": "9999"}, 404, "9999"),
        ({"service_code": "0401"}, 404, "0401"),  # not public: not a service
        ({"lat": None, "long": None, "address_string": "西湖区北山街道"}, 400, "long"),
        ({"lat": None, "long": None}, 400, "long"),
        ({"phone": "call me"}, 400, "phone"),
        ({"attribute[vehicles]": "many"}, 400, "vehicles"),
        ({"attribute[vehicles]": "0"}, 400, "vehicles"),  # the class's schema: >= 1
        ({"description": "坏了\x00"}, 400, "description"),
        ({"description": "长" * 4001}, 400, "description"),
        ({"attribute[a][b][c]": "x"}, 400, "attribute[a][b][c]"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ],
)
def test_refusals_in_the_spec_format_change_nothing(
    site: dict[str, Any],
    django_db_blocker: Any,
    fmt: str,
    fields: dict[str, Any],
    status: int,
    word: str,
) -> None:
    with django_db_blocker.unblock():
        before = count()
    response = post(site, fmt, **fields)
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"].startswith("text/xml" if fmt == "xml" else "appl")
    (error,) = errors_of(response)
    assert error["code"] == status and word in error["description"]
    with django_db_blocker.unblock():
        assert count() == before


def test_oversized_posts_are_refused_in_the_spec_format(
    site: dict[str, Any], django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        before = count()
    many = post(site, "xml", **{f"extra{i}": "x" for i in range(150)})
    assert many.status_code == 400 and errors_of(many)[0]["code"] == 400
    huge = post(site, description="大" * (13 * 1024 * 1024 // 3 + 10))
    assert huge.status_code == 413 and errors_of(huge)[0]["code"] == 413
    with django_db_blocker.unblock():
        assert count() == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_service_and_token(site: dict[str, Any], fmt: str) -> None:
    client = GeoReport(site["base"], output_format=fmt)
    for call, arg in (
        (client.get_service_request, "0123456789abcdef0123"),
        (client.get_service_request, "1"),  # a database id is not a request id
        (client.get_service_definition, "9999"),
    ):
        with pytest.raises(requests.HTTPError) as caught:
            call(arg)
        assert caught.value.response.status_code == 404
        (error,) = errors_of(caught.value.response)
        assert error["code"] == 404
    missing = requests.get(f"{site['base']}/tokens/AAAA-BBBB.{fmt}", timeout=TIMEOUT)
    assert missing.status_code == 404 and errors_of(missing)[0]["code"] == 404


def test_xml_escapes_what_the_reporter_wrote(site: dict[str, Any]) -> None:
    text = '<b>门 & 窗</b> ]]> "引号"'
    (answer,) = post(site, description=text).json()
    detail = requests.get(
        f"{site['base']}/requests/{answer['service_request_id']}.xml", timeout=TIMEOUT
    )
    assert xml(detail.content).findtext("request/description") == text


# --- GET filters ---------------------------------------------------------------------------


def _token(live: str, username: str) -> str:
    response = requests.post(
        f"{live}/api/v1/auth/token/",
        data={"username": username, "password": "demo-pass-2019"},
        timeout=TIMEOUT,
    )
    return str(response.json()["token"])


def test_get_filters(site: dict[str, Any], django_db_blocker: Any) -> None:
    (parking,) = post(site, description="乱停放 filter").json()
    (poster,) = post(site, service_code="0201", description="小广告 filter").json()
    with django_db_blocker.unblock():
        pk = ServiceRequest.objects.get(tracking_code=poster["token"]).pk
    staff = _token(site["live"], "street_admin")
    rejected = requests.post(
        f"{site['live']}/api/v1/requests/{pk}/transitions/",
        json={"action": "reject", "version": 1, "note": "已由城管部门处理"},
        headers={"Authorization": f"Token {staff}"},
        timeout=TIMEOUT,
    )
    assert rejected.status_code == 200, rejected.content
    client = GeoReport(site["base"])
    both = f"{parking['service_request_id']},{poster['service_request_id']}"
    listed = {r["service_request_id"]: r for r in client.get_service_requests(both)}
    assert set(listed) == set(both.split(","))
    closed = listed[poster["service_request_id"]]
    assert closed["status"] == "closed" and closed["status_notes"] == "已由城管部门处理"
    assert closed["expected_datetime"] == ""

    def ids(**params: Any) -> set[str]:
        return {r["service_request_id"] for r in client.get_service_requests(**params)}

    assert poster["service_request_id"] in ids(status="closed")
    assert poster["service_request_id"] not in ids(status="open")
    assert parking["service_request_id"] in ids(status="open")
    assert parking["service_request_id"] not in ids(service_code="0201")
    assert poster["service_request_id"] in ids(service_code="0201,0505")
    assert not ids(start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00+08:00")
    yesterday = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parking["service_request_id"] in ids(start_date=yesterday)
    assert parking["service_request_id"] not in ids(end_date=yesterday)
    xml_rows = GeoReport(site["base"], output_format="xml").get_service_requests(status="closed")
    xml_rows = xml_rows if isinstance(xml_rows, list) else [xml_rows]
    assert poster["service_request_id"] in {r["service_request_id"] for r in xml_rows}
    for params, field in (
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2020-01-01T00:00:00Z", "end_date": "2021-01-01T00:00:00Z"}, "90"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": "1,2"}, "service_request_id"),
    ):
        response = requests.get(f"{site['base']}/requests.json", params=params, timeout=TIMEOUT)
        assert response.status_code == 400
        assert field in errors_of(response)[0]["description"]


def test_a_request_from_the_rest_api_is_visible_through_open311(site: dict[str, Any]) -> None:
    body = {
        "class": "0301-damaged",
        "place": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
        "text": "公厕门坏了 via REST",
        "contact": {"name": "张三", "phone": PHONE, "email": EMAIL},
    }
    made = requests.post(f"{site['live']}/api/v1/requests/", json=body, timeout=TIMEOUT)
    assert made.status_code == 201, made.content
    code = made.json()["tracking_code"]
    site["rest_codes"].append(code)
    (found,) = requests.get(f"{site['base']}/tokens/{code}.json", timeout=TIMEOUT).json()
    ident = found["service_request_id"]
    request = GeoReport(site["base"]).get_service_request(ident)
    assert request["description"] == "公厕门坏了 via REST" and request["status"] == "open"
    assert request["service_code"] == "0301-damaged"
    listed = GeoReport(site["base"]).get_service_requests(service_code="0301-damaged")
    assert ident in {r["service_request_id"] for r in listed}
    text = requests.get(f"{site['base']}/requests/{ident}.xml", timeout=TIMEOUT).text
    assert PHONE not in text and EMAIL not in text and "138****" not in text


# --- client applications in the admin ---------------------------------------------------


@pytest.mark.django_db
def test_city_admin_issues_a_key_shown_once_and_stored_hashed() -> None:
    admin = Client()
    assert admin.login(username="city_admin", password="demo-pass-2019")
    page = admin.post(
        "/admin/matters/clientapplication/add/",
        {"name": "街道小程序", "contact": "北山街道", "active": "on"},
    )
    assert page.status_code == 200, page.content
    app = ClientApplication.objects.get(name="街道小程序")
    text = page.content.decode()
    start = text.index('id="open311-api-key">') + len('id="open311-api-key">')
    key = text[start : text.index("<", start)]
    assert key.startswith("o311_") and app.key_digest == keys.digest(key)
    assert key not in str(ClientApplication.objects.filter(pk=app.pk).values().get())
    listing = admin.get(f"/admin/matters/clientapplication/{app.pk}/change/").content.decode()
    assert key not in listing and key[-4:] in listing
    assert keys.application_for(key) == app
    district = Client()
    assert district.login(username="district_admin", password="demo-pass-2019")
    assert "街道小程序" not in district.get("/admin/matters/clientapplication/").content.decode()
    assert district.get(f"/admin/matters/clientapplication/{app.pk}/change/").status_code != 200
    assert district.get("/admin/matters/clientapplication/add/").status_code == 403
    assert get_user_model().objects.filter(username="city_admin").exists()
    assert not Open311Submission.objects.filter(application=app).exists()
