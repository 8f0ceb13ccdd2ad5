"""OGC collections an app registers without a registry layer (``register_collection``): a
made-up source, registered here as a community app would in its ``AppConfig.ready``, read
through real clients (OWSLib, GDAL's OAPIF driver) with the access rules of its source,
then removed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.db.models import QuerySet

from gis_app import access
from gis_app.types import User
from layers.models import AdminArea, AreaLevel, Layer
from layers.ogc import sources
from layers.ogc.sources import Collection, FeatureSource, Queryable

OPEN = "test-community-offices"  # listed for everyone; items filtered by the source
STAFF = "test-staff-notes"  # listed for signed-in callers only


class CommunityOfficeSource(FeatureSource):
    """Made up for this test: one office per community, drawn as the community's area."""

    id_field = "code"
    key_field = "code"
    geometry_field = "boundary"

    def queryset(self, layer: Layer, user: User) -> QuerySet[Any]:
        return access.visible(user, AdminArea.objects.filter(level=AreaLevel.COMMUNITY))

    def properties(self, layer: Layer) -> dict[str, str]:
        return {"office": "name", "street": "parent_id"}

    def queryables(self, layer: Layer) -> dict[str, Queryable]:
        return {"street": Queryable("parent_id", title="街道 street")}


def signed_in_features(url: str, token: str) -> Any:
    """An OWSLib client that sends ``token``. OWSLib 0.35 keeps the headers of every OGC API
    client in one module dict (``owslib.ogcapi.REQUEST_HEADERS``) and adds a client's own
    headers to it, so a token given to one client would be sent by every later one, in
    other tests too. This client gets a copy of its own; the module's dict stays as it was."""
    from owslib import ogcapi
    from owslib.ogcapi.features import Features

    saved = dict(ogcapi.REQUEST_HEADERS)
    try:
        client = Features(url, headers={"Authorization": f"Token {token}"})
        client.headers = dict(ogcapi.REQUEST_HEADERS)
    finally:
        ogcapi.REQUEST_HEADERS.clear()
        ogcapi.REQUEST_HEADERS.update(saved)
    return client


def token(live_url: str, username: str) -> str:
    response = requests.post(
        f"{live_url}/api/v1/auth/token/",
        data={"username": username, "password": "demo-pass-2019"},
        timeout=30,
    )
    return str(response.json()["token"])


@pytest.fixture
def registered(live_url: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The two collections registered in this process (the live server's), and what the
    street administrator may see of them; unregistered afterwards."""
    from django.contrib.auth.models import User as Account

    source = CommunityOfficeSource()
    sources.register_collection(
        Collection(
            OPEN,
            source,
            name_zh="社区服务站（测试）",
            name_en="Community offices (test)",
            geometry_kind="polygon",
        )
    )
    sources.register_collection(
        Collection(
            STAFF,
            source,
            name_zh="工作笔记（测试）",
            geometry_kind="polygon",
            visible=lambda user: user.is_authenticated,
        )
    )
    try:
        with django_db_blocker.unblock():
            admin = Account.objects.get(username="street_admin")
            offices = source.queryset(Layer(), admin)
            seen = dict(offices.values_list("code", "name"))
        assert seen  # the demo's street administrator has communities
        yield {"offices": seen, "token": token(live_url, "street_admin")}
    finally:
        sources.unregister_collection(OPEN)
        sources.unregister_collection(STAFF)


def test_owslib_lists_and_reads_a_registered_collection(
    live_url: str, registered: dict[str, Any]
) -> None:
    from owslib.ogcapi.features import Features

    anonymous = Features(f"{live_url}/ogc")
    ids = {c["id"] for c in anonymous.collections()["collections"]}
    assert OPEN in ids and STAFF not in ids
    assert "component-0301" in ids  # the registry's layers are still there
    # communities are for staff: an anonymous caller lists the collection but gets none
    assert anonymous.collection_items(OPEN, limit=100)["features"] == []

    staff = signed_in_features(f"{live_url}/ogc", registered["token"])
    ids = {c["id"] for c in staff.collections()["collections"]}
    assert {OPEN, STAFF} <= ids
    described = staff.collection(OPEN)
    assert described["title"] == "社区服务站（测试）"
    assert described["description"] == "Community offices (test)"
    assert not [x for x in described["links"] if x["rel"].endswith("tilesets-vector")]
    assert staff.collection_queryables(OPEN)["properties"]["street"]["title"] == "街道 street"
    page = staff.collection_items(OPEN, limit=100)
    offices = registered["offices"]
    assert page["numberMatched"] == len(offices)
    assert {f["id"]: f["properties"]["office"] for f in page["features"]} == offices
    code = sorted(offices)[0]
    one = staff.collection_item(OPEN, code)
    assert one["properties"] == {"office": offices[code], "street": code[:9]}
    assert one["geometry"]["type"] == "MultiPolygon"
    street = staff.collection_items(OPEN, street=code[:9], limit=100)
    assert {f["id"] for f in street["features"]} == {c for c in offices if c[:9] == code[:9]}


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="GDAL's ogr2ogr is not installed")
def test_gdal_reads_a_registered_collection(live_url: str, registered: dict[str, Any]) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GDAL_HTTP_TIMEOUT": "30",
        "GDAL_HTTP_HEADERS": f"Authorization: Token {registered['token']}",
    }
    read = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{live_url}/ogc", OPEN],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert read.returncode == 0, read.stderr
    features = json.loads(read.stdout)["features"]
    assert {f["properties"]["office"] for f in features} == set(registered["offices"].values())


def test_a_removed_collection_is_gone(live_url: str, registered: dict[str, Any]) -> None:
    assert requests.get(f"{live_url}/ogc/collections/{OPEN}", timeout=30).status_code == 200
    page = requests.get(f"{live_url}/ogc/collections/{OPEN}/items", {"f": "html"}, timeout=30)
    assert page.status_code == 200 and "社区服务站（测试）" in page.text
    sources.unregister_collection(OPEN)
    assert requests.get(f"{live_url}/ogc/collections/{OPEN}", timeout=30).status_code == 404
    items = requests.get(f"{live_url}/ogc/collections/{OPEN}/items", timeout=30)
    assert items.status_code == 404
    listing = requests.get(f"{live_url}/ogc/collections", timeout=30).json()
    assert OPEN not in {c["id"] for c in listing["collections"]}
    # a collection for signed-in callers is hidden from anonymous ones on every route
    assert requests.get(f"{live_url}/ogc/collections/{STAFF}", timeout=30).status_code == 404
    api = requests.get(f"{live_url}/ogc/api", timeout=30).json()
    assert f"/collections/{STAFF}/items" not in api["paths"]


def test_a_collection_id_is_registered_once() -> None:
    collection = Collection("test-once", CommunityOfficeSource(), name_zh="一次")
    sources.register_collection(collection)
    try:
        with pytest.raises(ValueError, match="test-once"):
            sources.register_collection(collection)
    finally:
        sources.unregister_collection("test-once")
