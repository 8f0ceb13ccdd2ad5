"""Read-only roles write nothing: every write endpoint of the API, called by a planner or an
auditor (roles that may view and report, never edit), is refused and changes nothing.

The list of write endpoints is checked against the URL configuration, so a new write
endpoint that this test does not call makes it fail."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from community.matters.models import EventClass, RequestPhoto, ServiceRequest
from component_catalog.models import Changeset, Component, ComponentHistory, ComponentPhoto
from gis_app.models import AuditEvent
from importers.models import ImportJob
from layers.basemap import demo as basemap_demo
from layers.basemap.models import BaseFeature, BaseHistory, Building
from layers.models import Layer, Stewardship
from tests.components_helpers import Api, inside, manhole

pytestmark = pytest.mark.django_db

# Write endpoints that are not a role's edit: logins, the public reverse car finding (a
# rate-limited, audited lookup) and signed device messages (no user at all).
NOT_EDITS = {
    ("api/v1/auth/token/", "post"),
    ("api/v1/parking/find-car/", "post"),
    ("api/v1/parking/events/", "post"),
    ("api/v1/devices/events/", "post"),
    # queues a background export of a report: reading, for the roles that may report
    # (tests/test_report_jobs.py checks who may and what they get)
    ("api/v1/reports/<slug:kind>.<slug:fmt>", "post"),
    # a citizen's acts, open to anyone with or without an account (a planner may report a
    # broken cover like any resident): filing a request, following one, and the reporter's
    # own steps by tracking code (tests/test_matters_*.py check who may and what changes)
    ("api/v1/requests/", "post"),
    ("api/v1/requests/<int:pk>/follow/", "post"),
    ("api/v1/requests/track/<str:code>/transitions/", "post"),
    ("api/v1/requests/track/<str:code>/photos/", "post"),
    ("api/v1/requests/track/<str:code>/rating/", "post"),
}

WRITE_METHODS = ("post", "put", "patch", "delete")


def bare(pattern: Any) -> str:
    return str(pattern).removeprefix("^").removesuffix("$")


def api_write_endpoints() -> set[tuple[str, str]]:
    """(route, method) of every DRF view under api/v1/ that accepts a write method."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: Any, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + bare(p.pattern))
                continue
            assert isinstance(p, URLPattern)
            route = prefix + bare(p.pattern)
            if not route.startswith("api/v1/"):
                continue
            actions = getattr(p.callback, "actions", None)
            cls = getattr(p.callback, "cls", None)
            if actions:
                methods = [m for m in actions if m in WRITE_METHODS]
            elif cls is not None:
                methods = [m for m in WRITE_METHODS if hasattr(cls, m)]
            else:
                methods = []
            found.update((route, m) for m in methods)

    walk(get_resolver().url_patterns, "")
    return found


def png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(data, format="PNG")
    data.seek(0)
    data.name = "cover.png"
    return data


def state() -> dict[str, Any]:
    """What a write could change."""
    return {
        "changesets": list(Changeset.objects.values_list("id", "closed_at").order_by("id")),
        "components": list(
            Component.objects.values_list("identifier", "version", "currency").order_by("id")
        ),
        "history": ComponentHistory.objects.count(),
        "photos": ComponentPhoto.objects.count(),
        "buildings": list(Building.objects.values_list("id", "version").order_by("id")),
        "features": list(BaseFeature.objects.values_list("id", "version").order_by("id")),
        "base_history": BaseHistory.objects.count(),
        "layers": list(Layer.objects.values_list("code", "name_zh", "is_public").order_by("code")),
        "stewardships": list(Stewardship.objects.values_list("id", flat=True).order_by("id")),
        "imports": ImportJob.objects.count(),
        "requests": list(
            ServiceRequest.objects.values_list("id", "state", "version").order_by("id")
        ),
        "request_photos": RequestPhoto.objects.count(),
        "event_classes": list(EventClass.objects.values_list("code", "version").order_by("code")),
        "successes": AuditEvent.objects.filter(result="success")
        .exclude(action="auth.login")
        .count(),
    }


@pytest.fixture
def objects() -> dict[str, Any]:
    """One of each object a write endpoint acts on, made by those who may."""
    basemap_demo.load()
    water = Api("surveyor_water")
    created = water.create(manhole(), comment="新增井盖")
    assert created.status_code == 201, created.content
    identifier = created.json()["id"]
    changeset = water.post("/api/v1/changesets/", {"comment": "巡查"})
    assert changeset.status_code == 201
    building = Building.objects.order_by("id").first()
    feature = BaseFeature.objects.order_by("id").first()
    steward = Stewardship.objects.order_by("id").first()
    layer = Layer.objects.order_by("code").first()
    assert building and feature and steward and layer
    filed = Api(None).post(
        "/api/v1/requests/",
        {
            "class": "0301-damaged",
            "place": {"type": "Point", "coordinates": inside("330106001001", 2)},
            "text": "厕所门坏了",
        },
    )
    assert filed.status_code == 201, filed.content
    return {
        "request": filed.json()["id"],
        "component": identifier,
        "changeset": changeset.json()["id"],
        "building": building.pk,
        "feature": feature.pk,
        "stewardship": steward.pk,
        "layer": layer.code,
    }


def calls(o: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(route pattern, method, URL, body) for every write endpoint."""
    c = f"api/v1/components/{o['component']}/"
    edit = {"properties": {"status": "damaged"}, "version": 1, "comment": "改"}
    whole = manhole()
    properties = {**whole["properties"], "status": "damaged"}
    replace = {**whole, "properties": properties, "version": 1, "comment": "改"}
    square = {
        "type": "Polygon",
        "coordinates": [[[120.13, 30.26], [120.131, 30.26], [120.131, 30.261], [120.13, 30.26]]],
    }
    return [
        ("api/v1/changesets/", "post", "/api/v1/changesets/", {"comment": "规划调研"}),
        (
            "api/v1/changesets/<int:pk>/close/",
            "post",
            f"/api/v1/changesets/{o['changeset']}/close/",
            None,
        ),
        ("api/v1/components/", "post", "/api/v1/components/", {**manhole(), "comment": "新增"}),
        (
            "api/v1/components/batch/",
            "post",
            "/api/v1/components/batch/",
            {"features": [manhole(at=inside("330106001001", 3))], "comment": "批量"},
        ),
        ("api/v1/components/(?P<identifier>\\d{16})/", "put", "/" + c, replace),
        ("api/v1/components/(?P<identifier>\\d{16})/", "patch", "/" + c, edit),
        (
            "api/v1/components/(?P<identifier>\\d{16})/",
            "delete",
            "/" + c,
            {"version": 1, "comment": "删"},
        ),
        (
            "api/v1/components/(?P<identifier>\\d{16})/retire/",
            "post",
            f"/{c}retire/",
            {"version": 1, "comment": "作废"},
        ),
        ("api/v1/components/<str:identifier>/photos/", "post", f"/{c}photos/", "photo"),
        (
            "api/v1/buildings/",
            "post",
            "/api/v1/buildings/",
            {"geometry": square, "comment": "新建"},
        ),
        (
            "api/v1/buildings/<int:pk>/",
            "patch",
            f"/api/v1/buildings/{o['building']}/",
            {"properties": {"name": "x", "version": 1}, "comment": "改"},
        ),
        (
            "api/v1/base-features/",
            "post",
            "/api/v1/base-features/",
            {"geometry": square, "properties": {"kind": "green"}, "comment": "新建"},
        ),
        (
            "api/v1/base-features/<int:pk>/",
            "patch",
            f"/api/v1/base-features/{o['feature']}/",
            {"properties": {"name": "x", "version": 1}, "comment": "改"},
        ),
        (
            "api/v1/layers/(?P<code>[^/.]+)/",
            "put",
            f"/api/v1/layers/{o['layer']}/",
            {"code": o["layer"], "name_zh": "改名", "is_public": True},
        ),
        (
            "api/v1/layers/(?P<code>[^/.]+)/",
            "patch",
            f"/api/v1/layers/{o['layer']}/",
            {"name_zh": "改名"},
        ),
        (
            "api/v1/stewardships/",
            "post",
            "/api/v1/stewardships/",
            {"layer": o["layer"], "area": "330106", "organization": "HZ-SW", "role": "collect"},
        ),
        (
            "api/v1/stewardships/(?P<pk>[^/.]+)/",
            "delete",
            f"/api/v1/stewardships/{o['stewardship']}/",
            None,
        ),
        ("api/v1/imports/", "post", "/api/v1/imports/", "csv"),
        ("api/v1/imports/<int:pk>/commit/", "post", "/api/v1/imports/1/commit/", None),
        (
            "api/v1/requests/<int:pk>/transitions/",
            "post",
            f"/api/v1/requests/{o['request']}/transitions/",
            {"action": "accept", "version": 1, "note": "受理"},
        ),
        (
            "api/v1/requests/<int:pk>/route/",
            "post",
            f"/api/v1/requests/{o['request']}/route/",
            {"organization": "XH-CGJ", "reason": "改派", "version": 1},
        ),
        (
            "api/v1/requests/<int:pk>/photos/",
            "post",
            f"/api/v1/requests/{o['request']}/photos/",
            "photo",
        ),
        (
            "api/v1/requests/classes/<str:code>/",
            "patch",
            "/api/v1/requests/classes/0102/",
            {"sla_resolve_hours": 1, "version": 1},
        ),
    ]


def send(api: Api, method: str, url: str, body: Any) -> Any:
    if body == "photo":
        return api.client.post(url, {"image": png()})
    if body == "csv":
        upload = io.BytesIO(b"name,lon,lat\nx,120.13,30.26\n")
        upload.name = "points.csv"
        return api.client.post(url, {"file": upload, "class_code": "0101", "dry_run": "false"})
    return api.send(method, url, body)


def test_the_write_endpoint_list_is_complete(objects):
    covered = {(route, method) for route, method, _, _ in calls(objects)}
    assert api_write_endpoints() - NOT_EDITS == covered


@pytest.mark.parametrize("username", ["planner", "auditor"])
def test_read_only_roles_are_refused_by_every_write_endpoint(objects, username):
    api = Api(username)
    before = state()
    answers = {}
    for route, method, url, body in calls(objects):
        response = send(api, method, url, body)
        body = response.json()
        answers[f"{method.upper()} {route}"] = (response.status_code, body.get("error"), body)
    refused = {(403, "permission_denied"), (404, "not_found")}
    wrong = {k: v for k, v in answers.items() if v[:2] not in refused}
    assert not wrong, wrong
    assert state() == before
    # the attempts are on record
    assert AuditEvent.objects.filter(
        action="changeset.open", actor_username=username, result="denied"
    ).exists()
