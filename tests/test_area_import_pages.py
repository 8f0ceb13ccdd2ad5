"""The area import in the admin ("Import from file" on areas and grid cells) and on the
import page (/imports/areas/): the same form and service, a report per feature, nothing
stored on refusal, and only for users who manage areas (issue 18, item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from shapely.geometry import box, mapping

from gis_app.models import AuditEvent, AuditResult
from layers.models import AdminArea, AreaHistory
from tests.conftest import SHARED_DATA
from tests.test_admin_grants import admin_client
from tests.test_area_import import counts, need

pytestmark = pytest.mark.django_db

DATAV = SHARED_DATA / "hangzhou_admin" / "330100_full.json"


def page_client(username: str) -> Client:
    client = Client()
    client.login(username=username, password="demo-pass-2019")
    return client


def geojson(rows: list[tuple[str, str, Any]]) -> bytes:
    features = [
        {"type": "Feature", "properties": {"code": c, "name": n}, "geometry": mapping(g)}
        for c, n, g in rows
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def form(file: SimpleUploadedFile, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file": file,
        "level": "community",
        "code_field": "code",
        "name_field": "name",
        "tolerance": "30",
        "dry_run": "on",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_the_admin_changelists_offer_an_import_that_reports_and_stores() -> None:
    client = admin_client("city_admin")
    for model in ("adminarea", "gridcell"):
        page = client.get(f"/admin/layers/{model}/")
        assert page.status_code == 200
        assert f"/admin/layers/{model}/import/" in page.content.decode()
    ours = AdminArea.objects.get(code="330106001001")
    shifted = box(*ours.boundary.extent)  # a boundary of its own: the bounding box
    upload = SimpleUploadedFile("one.geojson", geojson([(ours.code, ours.name, shifted)]))
    before = counts()
    answer = client.post(
        "/admin/layers/adminarea/import/",
        {**form(upload), "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    text = answer.content.decode()
    assert answer.status_code == 200
    # the box reaches out of the street and over the neighbours: refused, nothing stored
    # (the admin speaks the user's language: Chinese first)
    assert "部分位于上级 330106001 北山街道 之外" in text and "与同级" in text
    assert "已拒绝" in text or "拒绝" in text
    assert ours.name in text
    assert counts() == before


def test_the_import_page_runs_a_dry_run_and_then_stores(tmp_path: Path) -> None:
    client = page_client("street_admin")  # 北山街道 330106001
    upload_page = client.get("/imports/")
    assert "/imports/areas/" in upload_page.content.decode()
    ours = AdminArea.objects.get(code="330106001001")
    from shapely import from_wkb

    same = from_wkb(bytes(ours.boundary.wkb))
    data = geojson([(ours.code, "保俶新名社区", same)])
    before = counts()
    dry = client.post("/imports/areas/", form(SimpleUploadedFile("a.geojson", data)))
    assert dry.status_code == 200
    assert "待更新" in dry.content.decode() and "试运行：未保存任何内容。" in dry.content.decode()
    assert counts() == before
    done = client.post(
        "/imports/areas/",
        form(SimpleUploadedFile("a.geojson", data), dry_run=None, comment="renamed"),
    )
    assert done.status_code == 200, done.content.decode()[-2000:]
    ours.refresh_from_db()
    assert (ours.name, ours.version) == ("保俶新名社区", 2)
    assert AreaHistory.objects.get(code=ours.code).comment == "renamed"


def test_the_page_refuses_other_streets_and_readers() -> None:
    client = page_client("street_admin")
    other = AdminArea.objects.get(code="330106002001")
    from shapely import from_wkb

    data = geojson([(other.code, "改名", from_wkb(bytes(other.boundary.wkb)))])
    before = counts()
    answer = client.post(
        "/imports/areas/", form(SimpleUploadedFile("b.geojson", data), dry_run=None)
    )
    body = answer.content.decode()
    assert answer.status_code == 200 and "330106002" in body
    assert counts() == before
    assert AuditEvent.objects.filter(
        action="adminarea.import", object_id=other.code, result=AuditResult.DENIED
    ).exists()
    assert page_client("surveyor_water").get("/imports/areas/").status_code == 403
    assert page_client("planner").get("/imports/areas/").status_code == 403


def test_a_file_without_the_named_field_is_an_error_on_that_field() -> None:
    client = page_client("city_admin")
    upload = SimpleUploadedFile("330100_full.json", need(DATAV).read_bytes())
    answer = client.post(
        "/imports/areas/",
        form(upload, level="district", code_field="no_such", crs="GCJ02"),
    )
    assert answer.status_code == 400
    assert "no_such" in answer.content.decode() and "adcode" in answer.content.decode()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(monkeypatch: Any) -> None:
    from importers.areas import reading

    monkeypatch.setattr(reading, "MAX_UPLOAD_BYTES", 1024 * 1024)
    client = page_client("city_admin")
    big = SimpleUploadedFile("big.geojson", b" " * (1024 * 1024 + 1))
    before = counts()
    answer = client.post("/imports/areas/", form(big))
    assert answer.status_code == 400
    assert "big.geojson 超过 1 MB" in answer.content.decode()
    assert counts() == before
