"""The import page, reached from the surveyors' editor: a surveyor uploads a small CSV with
longitude/latitude columns (written at test time), watches the dry run's progress live
(the job waits in the queue until a real procrastinate worker starts, then the page moves on
by itself), reads the report, commits, and sees the committed count. The worker is
``manage.py procrastinate worker --queues imports`` in a subprocess on the test database."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from component_catalog.models import Component
from importers.models import ImportJob
from tests.browser.conftest import artifacts_dir, db_access, shot
from tests.browser.test_survey import log_in, wait_text
from tests.components_helpers import inside
from tests.conftest import REPO, stop_process

ORGANIZATIONS = (
    '{"owner": {"value": "HZ-SW"}, "maintainer": {"value": "HZ-SW"}, '
    '"competent_department": {"value": "XH-CGJ"}}'
)


@contextmanager
def import_worker() -> Iterator[subprocess.Popen[bytes]]:
    """A real worker process on the test database, with the live server's media folder
    (where uploads wait for it); stopped afterwards."""
    db = connection.settings_dict
    url = "postgis://{user}:{password}@{host}:{port}/{name}".format(
        user=quote(db["USER"], safe=""),
        password=quote(db["PASSWORD"], safe=""),
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        name=db["NAME"],
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_SETTINGS_MODULE": "gis_app.settings",
    }
    log = (artifacts_dir() / "import-worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "imports"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        stop_process(process)
        log.close()


@pytest.fixture
def jobs_cleaned(django_db_blocker: Any) -> Iterator[None]:
    with db_access(django_db_blocker):
        first = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
    yield
    with db_access(django_db_blocker):
        ImportJob.objects.filter(id__gt=first).delete()


def covers_csv(path: Path, points: list[list[float]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "lon", "lat"])
        for i, (lon, lat) in enumerate(points, start=1):
            writer.writerow([f"导入井盖 {i}", f"{lon:.8f}", f"{lat:.8f}"])
    return path


def progress_values(page: Any) -> list[int]:
    return page.evaluate("window.__progress || []")


def test_surveyor_imports_a_csv_with_live_progress_and_commits(
    open_page: Any,
    committed: None,
    jobs_cleaned: None,
    django_db_blocker: Any,
    tmp_path: Path,
) -> None:
    with db_access(django_db_blocker):
        points = [inside("330106001001", 1, shift=s) for s in (0.0003, 0.0006, 0.0009)]
    page = open_page("/survey/", viewport=(1280, 800))
    log_in(page, "surveyor_water")
    page.click("#sv-import-link")
    page.wait_for_url("**/imports/")
    page.set_input_files("#id_file", str(covers_csv(tmp_path / "covers.csv", points)))
    page.select_option("#id_class", "0101")
    page.fill("#id_name_field", "name")
    page.select_option("#id_crs", "EPSG:4490")
    page.locator("details summary").click()
    page.fill("#id_mapping", ORGANIZATIONS)
    page.fill("#id_lon", "lon")
    page.fill("#id_lat", "lat")
    page.get_by_role("button", name="上传并检查").click()

    # The job page: queued at 0 % while no worker runs; record every progress the page shows.
    page.wait_for_url("**/imports/*/")
    page.evaluate(
        """() => {
          const bar = document.getElementById('job-progress');
          window.__progress = [Number(bar.value)];
          new MutationObserver(() => window.__progress.push(Number(bar.value)))
            .observe(bar, {attributes: true, attributeFilter: ['value']});
        }"""
    )
    wait_text(page, "job-stage", "排队")
    shot(page, "import-1-queued")
    dry_run_url = page.url
    with db_access(django_db_blocker), import_worker():
        page.wait_for_selector("#job-report:not([hidden])", timeout=60_000)
        values = progress_values(page)
        assert values[0] == 0 and values[-1] == 100 and values == sorted(values)
        assert page.locator("#job-status").inner_text() == "试运行"
        facts = page.locator("#job-source").inner_text()
        assert "CSV" in facts and "EPSG:4490" in facts
        row = page.locator("#job-classes tr").nth(1)
        assert row.locator("td").nth(0).inner_text() == "0101"
        assert row.locator("td").nth(1).inner_text() == "3"  # to insert
        assert Component.objects.filter(name__startswith="导入井盖").count() == 0
        shot(page, "import-2-dry-run-report", full_page=True)

        page.click("#job-commit")
        page.wait_for_url(lambda url: url != dry_run_url and "/imports/" in url)
        page.wait_for_selector("#job-report:not([hidden])", timeout=60_000)
        assert page.locator("#job-status").inner_text() == "已提交"
        row = page.locator("#job-classes tr").nth(1)
        assert row.locator("td").nth(1).inner_text() == "3"  # inserted
        shot(page, "import-3-committed", full_page=True)
    with db_access(django_db_blocker):
        made = Component.objects.filter(name__startswith="导入井盖").order_by("name")
        assert [c.name for c in made] == ["导入井盖 1", "导入井盖 2", "导入井盖 3"]
        for component, (lon, lat) in zip(made, points, strict=True):
            assert (component.geometry.x, component.geometry.y) == pytest.approx(
                (lon, lat), abs=1e-8
            )
            assert component.component_class_id == "0101" and component.owner.code == "HZ-SW"
    assert page.js_errors == []
