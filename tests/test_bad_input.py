"""Bad input is a 400 naming the field or parameter, never a 500 (nor a silent default):
dates that do not exist, forged or altered paging cursors, control characters in query
strings, JSON strings and form fields, JSON nested too deep (also in the signed parking
ingest and the import mapping), numbers out of bounds. Every API error has the
``{"error", "detail", "field"}`` shape; an oversized body is a 413."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from component_catalog.models import Component
from layers.models import Stewardship
from tests.components_helpers import Api, inside, manhole
from tests.ogc_data import toilet
from tests.parking_support import URL as PARKING_URL
from tests.parking_support import event, headers_for, make_lot, send
from tests.test_tiles_fastpath import Apps, call

pytestmark = pytest.mark.django_db

URL = "/api/v1/components/"
ITEMS = "/ogc/collections/component-0301/items"


DEEP = "DEEP-PLACEHOLDER"


def nested(body: Any, levels: int) -> str:
    """``body`` as JSON text with its ``DEEP`` string replaced by a value nested ``levels``
    lists deep (json.dumps itself could not write it)."""
    return json.dumps(body, ensure_ascii=False).replace(
        json.dumps(DEEP), "[" * levels + '"x"' + "]" * levels
    )


def content(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def refused(response: Any, field: str, status: int = 400) -> dict[str, Any]:
    """A JSON error of ``status`` naming ``field`` (REST shape, or OGC's ``parameter``)."""
    assert response.status_code == status, (response.status_code, content(response)[:300])
    body = json.loads(content(response))
    assert body.get("field", body.get("parameter")) == field, body
    assert body.get("detail") or body.get("description")
    return dict(body)


@pytest.fixture
def water() -> Api:
    return Api("surveyor_water")


@pytest.fixture
def made(water: Api) -> str:
    response = water.create(manhole())
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


# --- dates that do not exist --------------------------------------------------------------


def test_dates_that_do_not_exist_are_400_naming_the_field(water: Api, made: str) -> None:
    before = Component.objects.count()
    refused(water.create(manhole(change_date="2024-02-30")), "properties.change_date")
    assert Component.objects.count() == before
    patch = water.patch(
        f"{URL}{made}/",
        {"properties": {"change_date": "2024-02-30"}, "comment": "x"},
        HTTP_IF_MATCH='"1"',
    )
    refused(patch, "properties.change_date")
    gnss = {"fix": "rtk_fixed", "time": "2024-13-01T00:00:00+08:00"}
    refused(water.create(manhole(gnss=gnss)), "properties.gnss.time")
    refused(water.get(f"{URL}?updated_since=2024-02-30T00:00:00%2B08:00"), "updated_since")
    refused(Client().get(f"{ITEMS}?datetime=2024-02-30"), "datetime")
    refused(Client().get(f"{ITEMS}?datetime=2024-01-01/2024-02-30T00:00:00Z"), "datetime")
    # offsets no zone has (PostgreSQL refuses them), times that leave the calendar in UTC
    refused(Client().get(f"{ITEMS}?datetime=2024-01-01T00:00:00-23:59"), "datetime")
    refused(water.get(f"{URL}?updated_since=9999-12-31T23:59:59-14:00"), "updated_since")
    assert Client().get(f"{ITEMS}?datetime=2024-02-29").status_code == 200


# --- paging cursors -----------------------------------------------------------------------


def test_forged_or_altered_cursors_are_400(water: Api) -> None:
    for _ in range(2):
        assert water.create(manhole()).status_code == 201
    refused(water.get(f"{URL}?cursor=cD1hYmM="), "cursor")
    first = water.get(f"{URL}?limit=1").json()
    assert first["next"]
    following = water.get(first["next"])
    assert following.status_code == 200 and following.json()["features"]
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    altered = first["next"].replace(cursor, cursor[:-1] + ("A" if cursor[-1] != "A" else "B"))
    refused(water.get(altered), "cursor")
    refused(Client().get(f"{ITEMS}?cursor=YWJj"), "cursor")
    admin = Api("district_admin")
    for i in range(2):
        assert admin.create(toilet(f"公厕 {i}", inside(shift=i * 1e-4))).status_code == 201
    page = json.loads(content(Client().get(f"{ITEMS}?limit=1")))
    next_link = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert Client().get(next_link).status_code == 200


# --- control characters -------------------------------------------------------------------


def test_control_characters_are_refused_in_every_text_input(water: Api, made: str) -> None:
    refused(water.get(f"{URL}?q=%00"), "q")
    refused(water.get(f"{URL}?q=a%01b"), "q")
    assert water.get(f"{URL}?q=a%09b").status_code == 200  # a tab is text
    before = Component.objects.count()
    refused(water.create(manhole(name="x\u0000y")), "properties.name")
    escape = manhole(attributes={"material": "铸\u001b铁"})
    refused(water.create(escape), "properties.attributes.material")
    assert Component.objects.count() == before
    steward = {
        "layer": "component-0301",
        "area": "330106001",
        "organization": "XH-JD-001\u0000",
        "role": "collect",
    }
    stewards = Stewardship.objects.count()
    refused(Api("street_admin").post("/api/v1/stewardships/", steward), "organization")
    assert Stewardship.objects.count() == stewards
    # forms: a multipart API form (JSON error), a plain page's form (a plain 400)
    photo = water.client.post(f"{URL}{made}/photos/", {"caption": "a\u0000b"})
    refused(photo, "caption")
    page = Client().post("/i18n/setlang/", {"language": "en\u0000", "next": "/"})
    assert page.status_code == 400
    assert not page["Content-Type"].startswith("application/json")
    # anonymous tile requests too: the tile fast path hands them to Django
    refused(Client().get("/tiles/components/14/13700/6700.mvt?x=%00"), "x")
    apps = Apps()
    tile = "/tiles/components/14/13700/6700.mvt"
    by_fast = call(apps.fast, tile, QUERY_STRING="x=%00")
    assert apps.passed == 1 and by_fast == call(apps.django, tile, QUERY_STRING="x=%00")
    assert by_fast[0].startswith("400") and json.loads(by_fast[2])["field"] == "x"


# --- nesting depth ------------------------------------------------------------------------


def test_json_nested_too_deep_is_400_at_every_entry_point(water: Api, made: str) -> None:
    def send(method: str, url: str, body: Any, levels: int, **headers: Any) -> Any:
        text = nested(body, levels)
        return getattr(water.client, method)(
            url, data=text, content_type="application/json", **headers
        )

    before = Component.objects.count()
    feature = {**manhole(attributes={"material": DEEP}), "comment": "x"}
    refused(send("post", URL, feature, 1000), "body")
    refused(send("post", URL, feature, 40), "body")
    assert send("post", URL, {**manhole(), "comment": "x"}, 0).status_code == 201
    assert Component.objects.count() == before + 1
    body = {"properties": {"name": DEEP}, "comment": "x"}
    refused(send("patch", f"{URL}{made}/", body, 1000, HTTP_IF_MATCH='"1"'), "body")
    refused(send("post", f"{URL}batch/", {"features": DEEP, "comment": "x"}, 5000), "body")
    # the import mapping (a text field of a multipart upload)
    client = Client()
    assert client.login(username="surveyor_water", password="demo-pass-2019")
    upload = {
        "file": SimpleUploadedFile("a.geojson", b'{"type": "FeatureCollection", "features": []}'),
        "class": "0101",
        "mapping": nested({"owner": DEEP}, 1000),
    }
    refused(client.post("/api/v1/imports/", upload), "mapping")


def test_the_signed_parking_body_is_parsed_with_the_same_limits() -> None:
    lot = make_lot()
    too_deep = nested({"events": DEEP}, 1000).encode()
    signed = headers_for(lot.gate, too_deep)
    refused(
        Client().post(PARKING_URL, data=too_deep, content_type="application/json", **signed),
        "body",
    )
    with_nul = event("nul-1", "in", 5, plate="浙A\u000012345")
    refused(send(lot.gate, with_nul), "credential")
    bad_day = event("day-1", "in", 5)
    bad_day["time"] = "2024-02-30T08:00:00+08:00"
    refused(send(lot.gate, bad_day), "time")
    huge = json.dumps(event("big-1", "in", 5)).encode()
    stamped = headers_for(lot.gate, huge, timestamp=10**400)
    late = Client().post(PARKING_URL, data=huge, content_type="application/json", **stamped)
    assert refused(late, "X-Timestamp", status=401)["error"] == "invalid_signature"
    ok = send(lot.gate, event("ok-1", "in", 5))  # the signature still covers the bytes
    assert ok.status_code == 200 and ok.json()["stored"] == 1


# --- wrong shapes and numbers -------------------------------------------------------------


def test_properties_that_are_not_an_object_are_400(water: Api, made: str) -> None:
    body = {"properties": "x", "comment": "x"}
    refused(water.post(f"{URL}{made}/retire/", body), "properties")
    refused(Api("district_admin").send("delete", f"{URL}{made}/", body), "properties")
    assert Component.objects.get(identifier=made).currency == "in_use"


def test_numbers_out_of_bounds_are_400_naming_them(water: Api, made: str) -> None:
    refused(Client().get("/tiles/components/99999999999999999999/1/1.mvt"), "z")
    refused(Client().get("/tiles/component-0301/14/99999999999999999999/1.mvt"), "x")
    refused(water.get("/tiles/components/99999999999999999999/1/1.mvt"), "z")  # via Django
    ogc_tile = "/ogc/collections/component-0301/tiles/WebMercatorQuad/99999999999/0/0"
    refused(Client().get(ogc_tile), "tileMatrix")
    refused(Client().get(f"{ITEMS}?offset={10**24}"), "offset")
    refused(Client().get(f"{ITEMS}?limit={10**24}"), "limit")
    assert Client().get(f"{ITEMS}?limit=20000").status_code == 200  # lowered to the maximum
    refused(water.patch(f"{URL}{made}/", {"comment": "x"}, HTTP_IF_MATCH='"²"'), "If-Match")
    refused(water.patch(f"{URL}{made}/", {"version": 10**30, "comment": "x"}), "version")
    refused(water.post(f"{URL}{made}/retire/", {"changeset": 10**30, "version": 1}), "changeset")
    refused(water.get(f"{URL}?limit=abc"), "limit")
    refused(water.get(f"{URL}?limit=0"), "limit")
    refused(water.get("/api/v1/nearest/?classes=0101&lon=120.1&lat=30.2&limit=²"), "limit")
    refused(water.get("/api/v1/areas/?page=abc"), "page")
    refused(water.get("/api/v1/areas/?page_size=99999999999999999999"), "page_size")
    refused(water.get("/api/v1/stewardships/?page=abc"), "page")
    refused(water.get("/api/v1/reports/edits/?months=²"), "months")


# --- one error shape; 413 -----------------------------------------------------------------


def test_every_api_error_has_the_documented_shape(water: Api) -> None:
    missing = water.get("/api/v1/layers/no-such-layer/")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found" and missing.json()["detail"]
    method = water.send("put", "/api/v1/areas/", {})
    assert method.status_code == 405 and method.json()["error"] == "method_not_allowed"
    media = water.client.post(URL, data="x", content_type="text/plain")
    assert media.status_code == 415 and media.json()["error"] == "unsupported_media_type"
    broken = water.client.post(URL, data="{", content_type="application/json")
    assert refused(broken, "body")["error"] == "invalid"
    steward = {"layer": "component-0301", "area": "330106001", "role": "collect"}
    invalid = Api("street_admin").post("/api/v1/stewardships/", steward)
    assert refused(invalid, "organization")["error"] == "invalid"
    many = "&".join(f"p{i}=1" for i in range(1200))  # above DATA_UPLOAD_MAX_NUMBER_FIELDS
    refused(water.get(f"{URL}?{many}"), "query")
    fields = {f"f{i}": "1" for i in range(1200)}
    refused(water.client.post("/api/v1/stewardships/", fields), "body")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000)
def test_an_oversized_body_is_413_with_json(water: Api) -> None:
    before = Component.objects.count()
    response = water.create(manhole(notes="x" * 3000))
    assert refused(response, "body", status=413)["error"] == "too_large"
    assert Component.objects.count() == before
