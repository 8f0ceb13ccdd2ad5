"""Duplicate reports (issue 19, item 6): open requests of the same class within 50 geodesic
metres reported in the last 14 days are offered before submitting (``/api/v1/requests/
nearby/``) and in the submit answer; a resident follows one instead (own tracking code,
contact sealed and masked); staff merge a new one into an existing one, and the merged
request's reporter and followers then follow the target."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pyproj import Geod

from community.matters.models import ServiceRequest
from gis_app import coords
from tests.components_helpers import Api, inside

pytestmark = pytest.mark.django_db

COMMUNITY = "330106001001"
CLASS = "0301-damaged"  # a damaged public toilet
# Fictitious reporter (placeholder name, a counting-sequence number): tests grep for it
# in every answer to prove it is masked.
PHONE = "13812345678"
NAME = "张三丰"
FOLLOWER_PHONE = "13987654321"
FOLLOWER_NAME = "李四"
GEOD = Geod(ellps="WGS84")


def here() -> list[float]:
    return inside(COMMUNITY, 1)


def moved(point: list[float], metres: float, azimuth: float = 37.0) -> list[float]:
    """The point ``metres`` away on the WGS 84 ellipsoid (geodesic, not degrees)."""
    lon, lat, _back = GEOD.fwd(point[0], point[1], azimuth, metres)
    return [lon, lat]


def report(
    at: list[float], klass: str = CLASS, actor: str | None = None, crs: str = ""
) -> dict[str, Any]:
    body = {
        "class": klass,
        "place": {"type": "Point", "coordinates": at},
        "text": f"厕所门坏了，请联系 {PHONE}",
        "contact": {"name": NAME, "phone": PHONE},
    }
    url = "/api/v1/requests/" + (f"?crs={crs}" if crs else "")
    response = Api(actor).post(url, body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def nearby(
    at: list[float], klass: str = CLASS, actor: str | None = None, crs: str = ""
) -> list[dict[str, Any]]:
    url = f"/api/v1/requests/nearby/?class={klass}&lon={at[0]}&lat={at[1]}"
    response = Api(actor).get(url + (f"&crs={crs}" if crs else ""))
    assert response.status_code == 200, response.content
    return list(response.json()["requests"])


def ids(found: list[dict[str, Any]]) -> list[int]:
    return [c["id"] for c in found]


def track(code: str) -> dict[str, Any]:
    response = Api(None).get(f"/api/v1/requests/track/{code}/")
    assert response.status_code == 200, response.content
    return dict(response.json())


def step(pk: int, action: str, actor: str = "community_worker", **extra: Any) -> Any:
    version = ServiceRequest.objects.get(pk=pk).version
    body = {"action": action, "version": version, **extra}
    return Api(actor).post(f"/api/v1/requests/{pk}/transitions/", body)


# --- what is offered ---------------------------------------------------------------------


def test_a_request_49_m_away_is_offered_and_51_m_is_not() -> None:
    first = report(here())
    near = nearby(moved(here(), 49.0))
    assert ids(near) == [first["id"]]
    assert near[0]["distance_m"] == pytest.approx(49.0, abs=0.3)
    assert near[0]["state"] == "submitted" and near[0]["age_days"] < 1
    assert nearby(moved(here(), 51.0)) == []
    assert nearby(moved(here(), 51.0, azimuth=200.0)) == []
    # the same list comes with the answer of a submission
    second = report(moved(here(), 49.0))
    assert ids(second["duplicates"]) == [first["id"]]
    third = report(moved(here(), 51.0))
    assert ids(third["duplicates"]) == [second["id"]]  # 2 m from the second, 51 m from the first


def test_an_offered_request_shows_no_contact_and_no_code_to_the_public() -> None:
    first = report(here())
    found = nearby(here())
    assert ids(found) == [first["id"]]
    text = json.dumps(found, ensure_ascii=False)
    assert PHONE not in text and PHONE[3:] not in text and NAME[1:] not in text
    assert "contact" not in found[0] and "tracking_code" not in found[0]
    assert "138****5678" in found[0]["text"]  # the number in the text is masked too
    # staff who handle the area get the tracking code
    (staff,) = nearby(here(), actor="community_worker")
    assert staff["tracking_code"] == first["tracking_code"]


def test_another_class_is_not_offered() -> None:
    other = report(here(), klass="0102")
    assert nearby(here()) == []
    assert ids(nearby(here(), klass="0102")) == [other["id"]]


@pytest.mark.parametrize("state", ["closed", "rejected", "merged"])
def test_a_closed_rejected_or_merged_request_is_not_offered(state: str) -> None:
    first = report(here())
    assert ids(nearby(here())) == [first["id"]]
    ServiceRequest.objects.filter(pk=first["id"]).update(state=state)  # the state under test
    assert nearby(here()) == []


def test_a_request_older_than_14_days_is_not_offered() -> None:
    first = report(here())
    row = ServiceRequest.objects.filter(pk=first["id"])
    row.update(created_at=timezone.now() - timedelta(days=13, hours=23))
    assert ids(nearby(here())) == [first["id"]]
    row.update(created_at=timezone.now() - timedelta(days=15))
    assert nearby(here()) == []


def test_a_hidden_request_is_not_offered() -> None:
    hidden = report(here(), klass="0401")  # road collapse: an emergency, not public
    assert nearby(here(), klass="0401") == []  # anonymous
    assert nearby(here(), klass="0401", actor="surveyor_water") == []  # classes 01xx only
    again = report(here(), klass="0401")
    assert again["duplicates"] == []
    # the area's desk sees both
    found = nearby(here(), klass="0401", actor="community_worker")
    assert sorted(ids(found)) == sorted([hidden["id"], again["id"]])


def test_gcj02_and_bd09_input_is_offset_to_the_same_place() -> None:
    first = report(here())
    g_lon, g_lat = coords.wgs84_to_gcj02(*here())
    (found,) = nearby([g_lon, g_lat], crs="GCJ02")
    assert found["id"] == first["id"] and found["distance_m"] < 0.5
    # the same numbers read as CRS84 are hundreds of metres off: nothing near
    assert nearby([g_lon, g_lat]) == []
    b_lon, b_lat = coords.wgs84_to_bd09(*here())
    assert ids(nearby([b_lon, b_lat], crs="BD09")) == [first["id"]]
    made = report([g_lon, g_lat], crs="GCJ02")
    assert ids(made["duplicates"]) == [first["id"]]
    assert made["duplicates"][0]["distance_m"] < 0.5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lon=120.1&lat=30.2", "class"),
        ("class=9999&lon=120.1&lat=30.2", "class"),
        ("class=0301-damaged&lon=120.1", "lat"),
        ("class=0301-damaged&lon=120.1&lat=95", "lat"),
        ("class=0301-damaged&lon=120.1&lat=30.2&crs=EPSG:99999", "crs"),
    ],
)
def test_bad_nearby_queries_name_the_field(query: str, field: str) -> None:
    response = Api(None).get(f"/api/v1/requests/nearby/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field


# --- following instead of reporting --------------------------------------------------------


def follow(pk: int, actor: str | None = None, **body: Any) -> Any:
    return Api(actor).post(f"/api/v1/requests/{pk}/follow/", body)


def test_a_resident_follows_an_offered_request_and_sees_its_state_change() -> None:
    first = report(here())
    (offered,) = nearby(moved(here(), 20.0))
    answer = follow(
        offered["id"], contact={"name": FOLLOWER_NAME, "phone": FOLLOWER_PHONE}, note="我也遇到了"
    )
    assert answer.status_code == 201, answer.content
    code = answer.json()["tracking_code"]
    assert code != first["tracking_code"]
    assert FOLLOWER_PHONE not in answer.content.decode()
    assert track(code)["merged_into"]["state"] == "submitted"
    # the followed request counts its follower and is still the one offered
    target = track(first["tracking_code"])
    assert target["followers"] == 1 and target["merged"][0]["how"] == "follow"
    assert ids(nearby(here())) == [first["id"]]
    assert nearby(here())[0]["followers"] == 1
    # staff accept the followed request: the follower sees it through their own code
    assert step(first["id"], "accept").status_code == 200
    followed = track(code)
    assert followed["merged_into"]["state"] == "accepted"
    assert [e["action"] for e in followed["merged_into"]["timeline"]] == ["submit", "accept"]
    # the follower's contact: sealed at rest, masked for staff without reveal
    stored = ServiceRequest.objects.get(tracking_code=code)
    assert FOLLOWER_PHONE not in stored.contact_sealed
    staff = Api("community_worker").get(f"/api/v1/requests/{stored.pk}/").json()
    assert staff["contact"] == {"name": "李*", "phone": "139****4321"}
    assert staff["merged_into"] == first["id"] and staff["timeline"][0]["action"] == "follow"
    for actor in (None, "planner", "grid_worker"):
        text = Api(actor).get(f"/api/v1/requests/?class={CLASS}").content.decode()
        assert FOLLOWER_PHONE not in text and FOLLOWER_PHONE[3:] not in text


def test_one_cannot_follow_a_hidden_a_closed_or_with_bad_contact() -> None:
    hidden = report(here(), klass="0401")
    assert follow(hidden["id"]).status_code == 404
    closed = report(here())
    ServiceRequest.objects.filter(pk=closed["id"]).update(state="closed")
    refused = follow(closed["id"])
    assert refused.status_code == 409, refused.content
    zh = Api(None).post(
        f"/api/v1/requests/{closed['id']}/follow/", {}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert zh.json()["detail"] == "工单当前状态为 closed：不能关注，请重新上报。"
    open_one = report(here())
    before = ServiceRequest.objects.count()
    bad = follow(open_one["id"], contact={"phone": "call me"})
    assert bad.status_code == 400 and bad.json()["field"] == "contact.phone"
    assert ServiceRequest.objects.count() == before


def test_following_is_idempotent_by_key() -> None:
    first = report(here())
    body = {"contact": {"phone": FOLLOWER_PHONE}}
    url = f"/api/v1/requests/{first['id']}/follow/"
    one = Api(None).post(url, body, HTTP_IDEMPOTENCY_KEY="follow-key-1")
    two = Api(None).post(url, body, HTTP_IDEMPOTENCY_KEY="follow-key-1")
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json()["tracking_code"] == two.json()["tracking_code"]
    assert track(first["tracking_code"])["followers"] == 1


# --- merging ---------------------------------------------------------------------------------


def test_a_merged_request_and_its_followers_follow_the_target() -> None:
    target = report(here())
    duplicate = report(moved(here(), 10.0))
    assert ids(duplicate["duplicates"]) == [target["id"]]
    follower = follow(duplicate["id"], contact={"phone": FOLLOWER_PHONE}).json()
    merged = step(duplicate["id"], "merge", merge_into=target["id"])
    assert merged.status_code == 200, merged.content
    # the target's tracking page shows the merged request and its follower
    page = track(target["tracking_code"])
    assert page["followers"] == 2
    assert sorted(m["how"] for m in page["merged"]) == ["follow", "merge"]
    assert FOLLOWER_PHONE not in json.dumps(page)
    assert all(set(m) == {"created_at", "how"} for m in page["merged"])  # no text, contact, code
    staff = Api("community_worker").get(f"/api/v1/requests/{target['id']}/").json()
    assert sorted(staff["merged"]) == sorted([duplicate["id"], follower["id"]])
    # a state change of the target reaches both through their own codes
    assert step(target["id"], "accept").status_code == 200
    assert track(duplicate["tracking_code"])["merged_into"]["state"] == "accepted"
    assert track(follower["tracking_code"])["merged_into"]["state"] == "accepted"
    # neither is offered any more; the target still is
    assert ids(nearby(here())) == [target["id"]]
    # one who follows the merged request now follows the target
    late = follow(duplicate["id"])
    assert late.status_code == 201, late.content
    assert late.json()["merged_into"]["state"] == "accepted"
    assert track(target["tracking_code"])["followers"] == 3


def test_a_target_merged_later_carries_its_followers_along() -> None:
    first = report(here())
    second = report(here())
    third = report(here())
    assert step(first["id"], "merge", merge_into=second["id"]).status_code == 200
    assert step(second["id"], "merge", merge_into=third["id"]).status_code == 200
    assert step(third["id"], "accept").status_code == 200
    assert track(first["tracking_code"])["merged_into"]["state"] == "accepted"
    assert track(third["tracking_code"])["followers"] == 2
