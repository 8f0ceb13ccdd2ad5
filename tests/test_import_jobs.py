"""Imports as background jobs (issue 5, item 8): the API queues a procrastinate job, a worker
(run in-process here, on the real queue in the test database) runs the pipeline; dry run,
commit, visibility, the rejected-rows CSV and the upload page.

The worker has its own database connection, so these tests commit for real and clean up
what they made (audit rows stay: they are append-only and die with the test database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import translation

from component_catalog.models import Component
from importers import jobs
from importers.models import ImportJob, ImportStatus
from importers.report import read_rejected
from tests.components_helpers import inside, last_component_id, remove_components_after

PASSWORD = "demo-pass-2019"
URL = "/api/v1/imports/"
ORGS = {
    "owner": {"value": "HZ-SW"},
    "maintainer": {"value": "HZ-SW"},
    "competent_department": {"value": "XH-CGJ"},
}


@pytest.fixture
def real_db(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Real commits (the worker cannot see a test transaction), cleaned up afterwards."""
    with django_db_blocker.unblock(), translation.override("en"):
        start = last_component_id()
        first_job = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
        yield
        ImportJob.objects.filter(id__gt=first_job).delete()
        remove_components_after(start)


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def work() -> None:
    """Run a procrastinate worker until the queue is empty (what `manage.py procrastinate
    worker` does, without waiting for more)."""
    from procrastinate.contrib.django import app

    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(
            wait=False, install_signal_handlers=False, listen_notify=False, queues=["imports"]
        )


def geojson(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def point(name: str, xy: list[float]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": xy},
        "properties": {"NAME": name},
    }


def upload(client: Client, content: bytes, name: str = "wells.geojson", **extra: Any) -> Any:
    data = {
        "file": SimpleUploadedFile(name, content, content_type="application/geo+json"),
        "class": "0101",
        "name_field": "NAME",
        "crs": "EPSG:4490",
        "mapping": json.dumps(ORGS),
        **extra,
    }
    return client.post(URL, data)


def test_dry_run_in_the_worker_then_commit(real_db: None) -> None:
    surveyor = login("surveyor_water")
    a, b = inside(shift=0.0), inside(shift=0.00005)
    response = upload(surveyor, geojson(point("上水井盖 A", a), point("上水井盖 B", b)))
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "running" and body["state"] == "queued"
    assert body["progress"]["percent"] == 0 and body["dry_run"] is True
    job = ImportJob.objects.get(pk=body["id"])
    stored = jobs.upload_path(job)
    assert stored.is_file() and stored.parent.name == str(job.pk)
    assert stored.parent.parent.name == "imports"

    work()
    detail = surveyor.get(f"{URL}{job.pk}/").json()
    assert detail["status"] == ImportStatus.DRY_RUN, detail
    assert detail["progress"]["percent"] == 100 and detail["state"] == "finished"
    report = detail["report"]
    assert report["counts"]["rows"] == 2 and report["counts"]["insert"] == 2
    assert report["by_class"]["0101"]["insert"] == 2
    assert report["source"]["crs"] == "EPSG:4490" and report["source"]["crs_source"]
    assert detail["urls"]["commit"].endswith(f"/imports/{job.pk}/commit/")
    assert not Component.objects.filter(source_name="wells.geojson").exists()

    commit = surveyor.post(f"{URL}{job.pk}/commit/")
    assert commit.status_code == 202, commit.content
    commit_id = commit.json()["id"]
    assert commit.json()["commit_of"] == job.pk and commit.json()["dry_run"] is False
    again = surveyor.post(f"{URL}{job.pk}/commit/")
    assert again.status_code == 409 and again.json()["job"] == commit_id

    work()
    done = surveyor.get(f"{URL}{commit_id}/").json()
    assert done["status"] == ImportStatus.COMMITTED, done
    assert done["counts"]["inserted"] == 2
    made = Component.objects.filter(source_name="wells.geojson")
    assert sorted(made.values_list("name", flat=True)) == ["上水井盖 A", "上水井盖 B"]
    assert set(made.values_list("component_class_id", flat=True)) == {"0101"}
    assert all(c.community_id == "330106001001" for c in made)

    listed = surveyor.get(URL).json()["results"]
    assert {job.pk, commit_id} <= {j["id"] for j in listed}
    assert "address" not in listed[0]["options"] and "upload" not in listed[0]["options"]


def test_other_users_jobs_are_hidden(real_db: None) -> None:
    response = upload(login("surveyor_water"), geojson(point("井盖", inside())))
    job_id = response.json()["id"]
    other = login("surveyor_green")
    for url in (f"{URL}{job_id}/", f"{URL}{job_id}/rejected.csv"):
        assert other.get(url).status_code == 404
    assert other.post(f"{URL}{job_id}/commit/").status_code == 404
    assert job_id not in {j["id"] for j in other.get(URL).json()["results"]}
    assert Client().get(f"{URL}{job_id}/").status_code == 401
    # an admin whose area holds the surveyor's membership sees the job
    assert login("district_admin").get(f"{URL}{job_id}/").status_code == 200


def test_rejected_csv_neutralises_formulas(real_db: None) -> None:
    surveyor = login("surveyor_water")
    x, y = inside()
    content = geojson(
        point('=HYPERLINK("http://evil.example","x")', [x + 1000, y]),  # lon 1120.x
        point("+SUM(1,2)", [x, y + 100]),
        point("ok", [x, y]),
    )
    job_id = upload(surveyor, content, skip_invalid="true").json()["id"]
    work()
    detail = surveyor.get(f"{URL}{job_id}/").json()
    assert detail["counts"]["rejected"] == 2, detail
    assert detail["urls"]["commit"]  # skip_invalid: the valid row can be committed
    errors = detail["report"]["errors"]
    assert [e["row"] for e in errors] == [1, 2] and all(e["field"] for e in errors)
    response = surveyor.get(f"{URL}{job_id}/rejected.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_rejected(response.content)
    names = [r["NAME"] for r in rows]
    assert names == ['\'=HYPERLINK("http://evil.example","x")', "'+SUM(1,2)"]
    refused = upload(surveyor, content).json()["id"]  # the same rows without skip_invalid
    work()
    assert surveyor.get(f"{URL}{refused}/").json()["urls"]["commit"] is None
    assert surveyor.post(f"{URL}{refused}/commit/").status_code == 409
    for r in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in r.values())
    assert jobs.neutralise("-1") == "'-1" and jobs.neutralise("@cmd") == "'@cmd"
    assert jobs.neutralise("杭州") == "杭州"


@override_settings(IMPORT_MAX_UPLOAD_BYTES=100)
def test_oversize_upload_is_refused_naming_the_field(real_db: None) -> None:
    before = ImportJob.objects.count()
    response = upload(login("surveyor_water"), b" " * 101 + geojson())
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "file" and "100 bytes" in body["detail"]  # the limit, named
    bad = upload(login("surveyor_water"), geojson(), mapping="{not json")
    assert bad.status_code == 400 and bad.json()["field"] == "mapping"
    wrong = upload(login("surveyor_water"), b"abc", name="data.exe")
    assert wrong.status_code == 400 and wrong.json()["field"] == "file"
    assert ImportJob.objects.count() == before


def test_upload_needs_an_importing_role(real_db: None) -> None:
    assert Client().post(URL, {}).status_code == 401
    response = upload(login("planner"), geojson(point("x", inside())))
    assert response.status_code == 403


def test_pages(real_db: None) -> None:
    anonymous = Client().get("/imports/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    surveyor = login("surveyor_water")
    page = surveyor.get("/imports/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="file"' in html and "GCJ02" in html and "BD09" in html
    assert "导入部件" in html and "上传并检查" in html  # Chinese first
    assert "EPSG:4326" in html and "EPSG:4490" in html and "0101" in html
    assert "importers/imports.js" in html and "//cdn" not in html
    job_id = upload(surveyor, geojson(point("井盖", inside()))).json()["id"]
    job_page = surveyor.get(f"/imports/{job_id}/")
    assert job_page.status_code == 200 and f"/api/v1/imports/{job_id}/" in job_page.content.decode()
    assert login("surveyor_green").get(f"/imports/{job_id}/").status_code == 404
    assert login("planner").get("/imports/").status_code == 403


def test_a_job_whose_worker_died_is_failed_not_left_running(real_db: None) -> None:
    """A worker killed mid-run leaves its procrastinate job 'doing' under a worker that no
    longer sends heartbeats; whoever looks at the import then sees it failed, with the
    advice to run it again (and the audit log records it). A queued job, or one whose
    worker is alive, stays running."""
    from django.db import connection

    surveyor = login("surveyor_water")
    made = [upload(surveyor, geojson(point(f"井盖 {i}", inside(shift=i * 1e-5)))) for i in (1, 2)]
    dead, alive = (ImportJob.objects.get(pk=r.json()["id"]) for r in made)
    with connection.cursor() as cursor:
        for job, minutes in ((dead, 10), (alive, 0)):
            cursor.execute(
                "INSERT INTO procrastinate_workers (last_heartbeat) "
                "VALUES (now() - make_interval(mins => %s)) RETURNING id",
                [minutes],
            )
            (worker,) = cursor.fetchone()
            cursor.execute(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
                [worker, job.options[jobs.TASK_KEY]],
            )
    queued = upload(surveyor, geojson(point("井盖 3", inside(shift=3e-5)))).json()

    failed = surveyor.get(f"{URL}{dead.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert failed["status"] == ImportStatus.FAILED and failed["state"] == "finished"
    assert "worker stopped" in failed["error"] and "Run it again" in failed["error"]
    assert surveyor.get(f"{URL}{alive.pk}/").json()["status"] == "running"
    assert surveyor.get(f"{URL}{queued['id']}/").json()["state"] == "queued"
    assert "task" not in failed["options"]
    assert surveyor.get(f"/imports/{dead.pk}/").status_code == 200  # (its script reads the API)
    from gis_app.models import AuditEvent

    assert AuditEvent.objects.filter(
        action="import.dry_run", object_id=str(dead.pk), result="failure"
    ).exists()
    with connection.cursor() as cursor:  # leave no half-done jobs for the other tests
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE id = ANY(%s)",
            [[dead.options[jobs.TASK_KEY], alive.options[jobs.TASK_KEY]]],
        )
    work()  # runs the queued one
