"""Service requests through /api/v1/requests/: routing, every step of the standard flow per
role, stale steps, masking of the reporter's contact, idempotent submissions, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from community.matters.models import RoutingDecision, ServiceRequest, TimelineEntry
from gis_app import coords
from gis_app.models import Membership, Organization
from layers.models import Layer, Stewardship
from tests.components_helpers import Api, inside
from tests.conftest import DEMO_ACCOUNTS

pytestmark = pytest.mark.django_db

COMMUNITY = "330106001001"
# Fictitious reporter (placeholder name, a counting-sequence number): tests grep for it
# in every answer to prove it is masked.
PHONE = "13812345678"
NAME = "张三丰"
MAINTAINER = "matters_maintainer"  # maintainer at 绿城物业 (XH-LCWY), the district
RESIDENT = "matters_resident"  # a resident of the community with an account
ACTORS = [*DEMO_ACCOUNTS, MAINTAINER, RESIDENT, None]  # None: anonymous


def _member(username: str, organization: str, role: str, area: str) -> None:
    user = get_user_model().objects.create(username=username)
    user.set_password("demo-pass-2019")
    user.save()
    Membership.objects.create(
        user=user,
        organization=Organization.objects.get(code=organization),
        role=role,
        area_id=area,
    )


@pytest.fixture
def maintainer(db: Any) -> None:
    """The maintainer of the routed organization, and a resident with an account."""
    _member(MAINTAINER, "XH-LCWY", "maintainer", "330106")
    _member(RESIDENT, "XH-SG-ZYZ", "resident", COMMUNITY)


def toilet(api: Api, maintainer: str = "XH-LCWY", cell: int = 1) -> str:
    """A public toilet in the grid worker's cell, maintained by ``maintainer``."""
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": inside(COMMUNITY, cell)},
        "properties": {
            "class": "0301",
            "competent_department": "XH-CGJ",
            "owner": "XH-CGJ",
            "maintainer": maintainer,
            "attributes": {},
        },
    }
    response = api.create(feature)
    assert response.status_code == 201, response.content
    return str(response.json()["properties"]["identifier"])


def report(
    api: Api, klass: str = "0301-damaged", headers: dict[str, str] | None = None, **extra: Any
) -> Any:
    body = {
        "class": klass,
        "place": {"type": "Point", "coordinates": inside(COMMUNITY, 1)},
        "text": "厕所门坏了",
        "contact": {"name": NAME, "phone": PHONE},
        **extra,
    }
    return api.post("/api/v1/requests/", body, **(headers or {}))


def submitted(klass: str = "0301-damaged", **extra: Any) -> dict[str, Any]:
    response = report(Api(None), klass, **extra)
    assert response.status_code == 201, response.content
    return dict(response.json())


# --- routing --------------------------------------------------------------------------------


def test_a_component_with_a_maintainer_routes_to_the_maintainer() -> None:
    identifier = toilet(Api("street_admin"), "XH-LCWY")
    made = submitted(component=identifier)
    decision = RoutingDecision.objects.get(request_id=made["id"])
    assert decision.organization.code == "XH-LCWY"
    assert decision.rule == "maintainer" and identifier in decision.reason
    routed = ServiceRequest.objects.filter(pk=made["id"]).values_list("organization__code")
    assert routed.get() == ("XH-LCWY",)


def test_without_a_component_the_steward_of_the_class_layer_for_the_community() -> None:
    layer = Layer.objects.get(kind="component", source="0301")
    Stewardship.objects.create(
        layer=layer,
        area_id="330106001",
        organization=Organization.objects.get(code="XH-LCWY"),
        role="maintain",
    )
    made = submitted()
    decision = RoutingDecision.objects.get(request_id=made["id"])
    assert (decision.organization.code, decision.rule) == ("XH-LCWY", "steward")
    assert layer.code in decision.reason and "330106001" in decision.reason


def test_without_a_steward_the_community_office() -> None:
    assert not Stewardship.objects.filter(layer__source="0301").exists()
    made = submitted()
    decision = RoutingDecision.objects.get(request_id=made["id"])
    # the demo has no office at home in the community: its street's office (街道办事处)
    assert (decision.organization.code, decision.rule) == ("XH-JD-001", "community_office")


def test_a_dispatcher_reroutes_with_a_reason_and_a_maintainer_cannot(maintainer: None) -> None:
    made = submitted()
    url = f"/api/v1/requests/{made['id']}/route/"
    refused = Api(MAINTAINER).post(url, {"organization": "XH-LCWY", "note": "x", "version": 1})
    assert refused.status_code in (403, 404)
    done = Api("community_worker").post(
        url, {"organization": "XH-LCWY", "note": "物业负责", "version": 1}
    )
    assert done.status_code == 200, done.content
    assert done.json()["organization"]["code"] == "XH-LCWY"
    rules = [r["rule"] for r in done.json()["routing"]]
    assert rules == ["community_office", "dispatcher"]
    assert done.json()["routing"][1]["reason"] == "物业负责"


# --- the flow, per role ---------------------------------------------------------------------

DESK = {"community_worker", "street_admin", "district_admin", "city_admin"}
# action, the state it starts from, who may take it (on a toilet routed to XH-LCWY)
STEPS = [
    ("accept", "submitted", DESK),
    ("reject", "submitted", DESK),
    ("dispatch", "accepted", DESK),
    ("start", "dispatched", {MAINTAINER}),
    ("resolve", "in_progress", {MAINTAINER}),
    ("verify", "resolved", DESK),
    ("send_back", "resolved", DESK),
    ("close", "verified", DESK),
    ("reopen", "closed", set()),  # the reporter's step, by tracking code only
]


def _in_state(state: str) -> ServiceRequest:
    identifier = toilet(Api("city_admin"), "XH-LCWY")
    made = submitted(component=identifier)
    obj = ServiceRequest.objects.get(pk=made["id"])
    ServiceRequest.objects.filter(pk=obj.pk).update(state=state)  # the state under test
    obj.refresh_from_db()
    return obj


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a or "anonymous")
@pytest.mark.parametrize("step", STEPS, ids=lambda s: s[0])
def test_each_step_is_taken_by_its_roles_only(
    step: tuple[str, str, set[str]], actor: str | None, maintainer: None
) -> None:
    action, start, allowed = step
    obj = _in_state(start)
    body = {"action": action, "version": obj.version, "note": "理由"}
    response = Api(actor).post(f"/api/v1/requests/{obj.pk}/transitions/", body)
    after = ServiceRequest.objects.get(pk=obj.pk)
    if actor in allowed:
        assert response.status_code == 200, response.content
        assert after.state != start and after.version == obj.version + 1
        entry = TimelineEntry.objects.filter(request=obj).latest("version")
        assert (entry.action, entry.from_state, entry.to_state) == (action, start, after.state)
        assert entry.actor_username == actor
    else:
        assert response.status_code in (403, 404), (response.status_code, response.content)
        assert (after.state, after.version) == (start, obj.version)
        assert TimelineEntry.objects.filter(request=obj).count() == 1  # the submission only


def test_a_hidden_request_answers_404_and_a_visible_one_403() -> None:
    made = submitted("0401")  # road collapse: an emergency, not public
    url = f"/api/v1/requests/{made['id']}/"
    assert Api(None).get(url).status_code == 404
    assert Api("surveyor_water").get(url).status_code == 404  # classes 01xx only
    body = {"action": "accept", "version": 1}
    assert Api(None).post(url + "transitions/", body).status_code == 404
    assert Api("planner").get(url).status_code == 200  # the district, read-only
    assert Api("planner").post(url + "transitions/", body).status_code == 403
    assert ServiceRequest.objects.get(pk=made["id"]).state == "submitted"


def test_the_whole_standard_flow_and_the_reporter_reopens_and_rates(maintainer: None) -> None:
    obj = _in_state("submitted")
    steps = [
        ("community_worker", "accept"),
        ("street_admin", "dispatch"),
        (MAINTAINER, "start"),
        (MAINTAINER, "resolve"),
        ("community_worker", "verify"),
        ("community_worker", "close"),
    ]
    version = obj.version
    for actor, action in steps:
        body = {"action": action, "version": version}
        answer = Api(actor).post(f"/api/v1/requests/{obj.pk}/transitions/", body)
        assert answer.status_code == 200, (action, answer.content)
        version = answer.json()["version"]
    assert answer.json()["state"] == "closed"
    track = f"/api/v1/requests/track/{obj.tracking_code}/"
    tracked = Api(None).get(track).json()
    assert [e["action"] for e in tracked["timeline"]] == ["submit", *[a for _, a in steps]]
    assert all(e["by"] in ("staff", "reporter") for e in tracked["timeline"])  # no staff names
    bad = Api(None).post(track + "rating/", {"rating": 6, "version": version})
    assert bad.status_code == 400 and bad.json()["field"] == "rating"
    rated = Api(None).post(track + "rating/", {"rating": 4, "version": version})
    assert rated.status_code == 200 and rated.json()["rating"] == 4
    again = Api(None).post(track + "transitions/", {"action": "reopen", "version": version + 1})
    assert again.status_code == 200, again.content
    assert again.json()["state"] == "reopened"


def test_a_reporter_cannot_reopen_after_the_days_allowed() -> None:
    obj = _in_state("closed")
    from datetime import timedelta

    from django.utils import timezone

    ServiceRequest.objects.filter(pk=obj.pk).update(closed_at=timezone.now() - timedelta(days=8))
    track = f"/api/v1/requests/track/{obj.tracking_code}/transitions/"
    refused = Api(None).post(track, {"action": "reopen", "version": obj.version})
    assert refused.status_code == 403
    assert ServiceRequest.objects.get(pk=obj.pk).state == "closed"


def test_a_stale_step_answers_409_with_the_current_state() -> None:
    obj = _in_state("submitted")
    url = f"/api/v1/requests/{obj.pk}/transitions/"
    first = Api("community_worker").post(url, {"action": "accept", "version": obj.version})
    assert first.status_code == 200
    stale = Api("street_admin").post(url, {"action": "reject", "version": obj.version, "note": "x"})
    assert stale.status_code == 409, stale.content
    assert stale.json()["field"] == "version"
    assert stale.json()["current"]["state"] == "accepted"
    assert ServiceRequest.objects.get(pk=obj.pk).state == "accepted"


def test_merge_needs_a_target_and_the_reporter_follows_it() -> None:
    target = submitted()
    dup = submitted()
    url = f"/api/v1/requests/{dup['id']}/transitions/"
    worker = Api("community_worker")
    missing = worker.post(url, {"action": "merge", "version": 1})
    assert missing.status_code == 400 and missing.json()["field"] == "merge_into"
    merged = worker.post(url, {"action": "merge", "version": 1, "merge_into": target["id"]})
    assert merged.status_code == 200 and merged.json()["state"] == "merged"
    tracked = Api(None).get(f"/api/v1/requests/track/{dup['tracking_code']}/").json()
    assert tracked["merged_into"]["state"] == "submitted"


# --- the reporter's contact -----------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    ["grid_worker", "surveyor_water", "surveyor_green", "planner", "auditor", MAINTAINER, None],
    ids=lambda a: a or "anonymous",
)
def test_the_contact_is_masked_in_every_answer_without_clearance(
    actor: str | None, maintainer: None
) -> None:
    identifier = toilet(Api("city_admin"), "XH-LCWY")
    made = submitted(component=identifier)
    api = Api(actor)
    answers = [
        api.get("/api/v1/requests/"),
        api.get(f"/api/v1/requests/{made['id']}/"),
        api.get(f"/api/v1/requests/track/{made['tracking_code']}/"),
    ]
    refused = api.get(f"/api/v1/requests/{made['id']}/?reveal_reason=x")
    assert refused.status_code in (401, 403) and PHONE not in refused.content.decode()
    for answer in answers:
        assert answer.status_code == 200, answer.content
        text = answer.content.decode()
        assert PHONE not in text and PHONE[3:] not in text and NAME[1:] not in text
    detail = answers[1].json()
    assert detail["contact"] == {"name": "张**", "phone": "138****5678"}
    stored = ServiceRequest.objects.get(pk=made["id"])
    assert PHONE not in stored.contact_sealed and NAME not in json.dumps(stored.contact_sealed)


def test_a_handling_role_of_the_area_reveals_the_contact_with_a_reason_audited() -> None:
    from gis_app.models import AuditEvent

    made = submitted()
    url = f"/api/v1/requests/{made['id']}/"
    masked = Api("community_worker").get(url).json()
    assert masked["contact"]["phone"] == "138****5678"  # masked by default
    detail = Api("community_worker").get(url + "?reveal_reason=回访核实").json()
    assert detail["contact"]["phone"] == PHONE and detail["contact"]["name"] == NAME
    event = AuditEvent.objects.filter(action="request.contact_view").latest("id")
    assert event.object_id == str(made["id"]) and event.detail["reason"] == "回访核实"
    assert PHONE not in json.dumps(event.detail)
    refused = Api("grid_worker").get(url + "?reveal_reason=好奇")
    assert refused.status_code == 403
    listed = Api("community_worker").get("/api/v1/requests/").content.decode()
    assert PHONE not in listed  # lists stay masked


# --- submissions ----------------------------------------------------------------------------


KEY = {"HTTP_IDEMPOTENCY_KEY": "matters-key-0001"}


def test_a_submission_is_idempotent_by_key() -> None:
    api = Api(None)
    before = ServiceRequest.objects.count()
    first = report(api, headers=KEY)
    again = report(api, headers=KEY)
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    other = report(api, text="另一件事", headers=KEY)
    assert other.status_code == 409 and other.json()["field"] == "Idempotency-Key"
    assert ServiceRequest.objects.count() == before + 1


def test_a_grid_worker_enters_a_patrol_finding_and_sees_it() -> None:
    made = report(Api("grid_worker"), "0102", source="grid_patrol")
    assert made.status_code == 201, made.content
    assert made.json()["source"] == "grid_patrol" and made.json()["grid_cell"].startswith(COMMUNITY)


def test_gcj02_input_is_stored_in_cgcs2000() -> None:
    lon, lat = inside(COMMUNITY, 1)
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    body = {"class": "0102", "place": {"type": "Point", "coordinates": [g_lon, g_lat]}}
    made = Api(None).post("/api/v1/requests/?crs=GCJ02", body)
    assert made.status_code == 201, made.content
    place = ServiceRequest.objects.get(pk=made.json()["id"]).place
    assert abs(place.x - lon) < 1e-6 and abs(place.y - lat) < 1e-6


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"place": None}, "place"),
        ({"place": {"type": "Point", "coordinates": [100.0, 30.0]}}, "place"),
        ({"class": "9999"}, "class"),
        ({"class": "01"}, "class"),  # a major class groups; nobody reports under it
        ({"text": "门坏了\u0000"}, "text"),
        ({"contact": {"phone": "call me"}}, "contact.phone"),
        ({"source": "hotline"}, "source"),  # staff only
    ],
)
def test_bad_input_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    before = ServiceRequest.objects.count()
    body = {
        "class": "0301-damaged",
        "place": {"type": "Point", "coordinates": inside(COMMUNITY, 1)},
        **change,
    }
    if change.get("place", "") is None:
        del body["place"]
    response = Api(None).post("/api/v1/requests/", body)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert ServiceRequest.objects.count() == before


def test_list_filters_and_visibility_by_area() -> None:
    made = submitted("0401")  # not public
    worker = Api("grid_worker").get("/api/v1/requests/?state=submitted&class=0401").json()
    assert made["id"] in [r["id"] for r in worker["results"]]
    anonymous = Api(None).get("/api/v1/requests/?class=0401").json()
    assert anonymous["results"] == []
    overdue = Api("community_worker").get("/api/v1/requests/?overdue=true").json()
    assert made["id"] not in [r["id"] for r in overdue["results"]]
    ServiceRequest.objects.filter(pk=made["id"]).update(accept_due="2020-01-01T00:00:00Z")
    overdue = Api("community_worker").get("/api/v1/requests/?overdue=true").json()
    assert made["id"] in [r["id"] for r in overdue["results"]]
    bad = Api(None).get("/api/v1/requests/?state=nonsense")
    assert bad.status_code == 400 and bad.json()["field"] == "state"


def test_the_schema_documents_the_requests_api() -> None:
    schema = Api(None).get("/api/schema/?format=json").json()
    assert "/api/v1/requests/" in schema["paths"]
    assert "/api/v1/requests/{id}/transitions/" in schema["paths"]
    assert "/api/v1/requests/track/{code}/" in schema["paths"]


def _streamed(response: Any) -> str:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content).decode()


def test_requests_are_an_ogc_collection_without_personal_data() -> None:
    public = submitted()
    hidden = submitted("0401")
    url = "/ogc/collections/matters-requests/items?f=json&limit=1000"
    text = _streamed(Api(None).get(url))
    ids = [f["id"] for f in json.loads(text)["features"]]
    assert public["id"] in ids and hidden["id"] not in ids
    assert "contact" not in text and NAME not in text and "厕所门坏了" not in text
    staff = json.loads(_streamed(Api("community_worker").get(url)))
    assert hidden["id"] in [f["id"] for f in staff["features"]]


def test_errors_speak_the_users_language() -> None:
    body = {"class": "0102", "place": {"type": "Point", "coordinates": [100.0, 30.0]}}
    zh = Api(None).post("/api/v1/requests/", body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.json()["detail"] == "place 不在平台的任何社区内。"
    en = Api(None).post("/api/v1/requests/", body, HTTP_ACCEPT_LANGUAGE="en")
    assert en.json()["detail"] == "place lies outside every community of the platform."


def test_the_nearest_component_of_the_class_within_30_m_is_suggested() -> None:
    identifier = toilet(Api("city_admin"), "XH-LCWY")
    lon, lat = inside(COMMUNITY, 1)
    metre = 1 / 96_400  # degrees of longitude per metre near 30° N

    def suggested(dx_m: float) -> Any:
        url = f"/api/v1/requests/suggest/?class=0301-damaged&lon={lon + dx_m * metre}&lat={lat}"
        response = Api(None).get(url)
        assert response.status_code == 200, response.content
        return response.json()["component"]

    near = suggested(25)
    assert near is not None and near["identifier"] == identifier
    assert 24 <= near["distance_m"] <= 26
    far = suggested(35)
    assert far is None or far["identifier"] != identifier
    assert (
        Api(None).get("/api/v1/requests/suggest/?class=0301-damaged&lon=x&lat=1").json()["field"]
        == "lon"
    )
