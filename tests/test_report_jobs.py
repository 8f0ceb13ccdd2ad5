"""Report exports as background jobs (issue 15, finding 7): ``POST`` on an export URL queues
a job on the ``reports`` queue; a procrastinate worker (run in-process here, on the real
queue of the test database) makes the file and records its progress; the owner then
downloads it. Too large a report for the request itself is refused there with this way
out. The worker has its own connection, so these tests commit and clean up."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from pypdf import PdfReader

from gis_app.db_roles import as_owner
from reports.models import ReportJob
from tests.conftest import token_for


@pytest.fixture
def real_db(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Real commits (the worker cannot see a test transaction); every update of a report
    job's progress is logged by a trigger, so the test sees each step the worker made."""
    with django_db_blocker.unblock():
        with as_owner(), connection.cursor() as cursor:  # the application's role has no DDL
            cursor.execute(
                """
                CREATE TABLE test_report_progress (job bigint, stage text, percent int,
                                                   status text, seen serial);
                CREATE FUNCTION test_report_progress_log() RETURNS trigger AS $$
                BEGIN
                    INSERT INTO test_report_progress (job, stage, percent, status)
                    VALUES (NEW.id, NEW.stage, NEW.percent, NEW.status);
                    RETURN NEW;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER test_report_progress AFTER UPDATE ON reports_reportjob
                    FOR EACH ROW EXECUTE FUNCTION test_report_progress_log();
                """
            )
        first = ReportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
        try:
            yield
        finally:
            ReportJob.objects.filter(id__gt=first).delete()
            with as_owner(), connection.cursor() as cursor:
                cursor.execute(
                    "DROP TRIGGER test_report_progress ON reports_reportjob;"
                    "DROP FUNCTION test_report_progress_log(); DROP TABLE test_report_progress"
                )


def progress_seen(job_id: int) -> list[tuple[str, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stage, percent, status FROM test_report_progress WHERE job = %s ORDER BY seen",
            [job_id],
        )
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


def work() -> None:
    """Run a procrastinate worker on the reports queue until it is empty."""
    from procrastinate.contrib.django import app

    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(
            wait=False, install_signal_handlers=False, listen_notify=False, queues=["reports"]
        )


def client_for(username: str, language: str = "zh-hans") -> Client:
    return Client(
        HTTP_AUTHORIZATION=f"Token {token_for(Client(), username)}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_pdf_made_in_the_background_with_its_progress(real_db: None) -> None:
    owner = client_for("street_admin")
    queued = owner.post("/api/v1/reports/quality.pdf?level=community&as_of=2024-06-30")
    assert queued.status_code == 202, queued.content[:300]
    job = queued.json()
    assert queued["Location"] == job["url"] == f"/api/v1/report-jobs/{job['id']}/"
    assert (job["status"], job["percent"], job["download"]) == ("queued", 0, None)
    assert job["parameters"] == {"level": "community", "as_of": "2024-06-30"}
    not_yet = owner.get(f"/api/v1/report-jobs/{job['id']}/file")
    assert not_yet.status_code == 409 and not_yet.json()["status"] == "queued"

    work()

    seen = [step for step in progress_seen(job["id"]) if step[2] != "queued"]
    stages = [stage for stage, _percent, _status in seen]
    assert stages[0] == "data" and stages[-1] == "done"
    assert {"map", "charts", "layout"} <= set(stages)
    percents = [percent for _stage, percent, _status in seen]
    assert percents == sorted(percents) and percents[-1] == 100 and len(set(percents)) >= 4

    done = owner.get(job["url"]).json()
    assert done["status"] == "done" and done["percent"] == 100
    assert done["download"] == f"/api/v1/report-jobs/{job['id']}/file"
    assert done["filename"] == "quality-330106001-community.pdf"
    response = owner.get(done["download"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="quality-330106001-community.pdf"' in response["Content-Disposition"]
    pdf = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "数据质量" in text and "北山街道" in text and "2024-06-30" in text  # in Chinese
    assert pdf.pages[1].images  # the map, after the title page

    # Nobody else sees the job or its file.
    for other in ("planner", "district_admin"):
        stranger = client_for(other)
        assert stranger.get(job["url"]).status_code == 404
        assert stranger.get(done["download"]).status_code == 404


def test_bad_requests_are_refused_when_queued_and_failures_are_reported(
    real_db: None,
) -> None:
    owner = client_for("planner", language="en")
    assert owner.post("/api/v1/reports/counts.docx").json()["field"] == "format"
    assert owner.post("/api/v1/reports/counts.pdf?n=1").json()["field"] == "n"
    hidden = owner.post("/api/v1/reports/counts.pdf?area=330105")
    assert hidden.status_code == 404 and hidden.json()["field"] == "area"
    assert Client().post("/api/v1/reports/counts.pdf").status_code == 401
    assert client_for("surveyor_water").post("/api/v1/reports/counts.pdf").status_code == 403
    assert not ReportJob.objects.exists()

    # A metric is known only once the report is built: the job fails, saying why.
    job = owner.post("/api/v1/reports/counts.xlsx?metric=nothing").json()
    work()
    failed = owner.get(job["url"]).json()
    assert failed["status"] == "failed" and "metric" in failed["error"]
    assert owner.get(f"{job['url']}file").status_code == 409


@override_settings(REPORTS_SYNC_MAX_AREAS=5)
def test_too_large_for_the_request_is_refused_with_the_background_way(real_db: None) -> None:
    owner = client_for("planner", language="en")
    refused = owner.get("/api/v1/reports/counts.gpkg?level=community")
    assert refused.status_code == 400, refused.content[:200]
    assert refused.json()["field"] == "area" and "background export" in refused.json()["detail"]
    small = owner.get("/api/v1/reports/counts.csv?area=330106001&level=community")
    assert small.status_code == 200

    job = owner.post("/api/v1/reports/counts.csv?level=community").json()
    work()
    done = owner.get(job["url"]).json()
    assert done["status"] == "done"
    rows = owner.get(done["download"]).content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 1 + 30  # the header and the 30 communities of the district
