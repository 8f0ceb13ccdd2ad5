"""The reports page in Chromium: the demo planner logs in, opens the coverage report,
changes N, sees the figures change, and downloads the PDF and the GeoPackage, which are
then opened (pages and text; layers, feature counts and figures). The PDF is made by a
background job, which a real procrastinate worker (``--queues reports``, a subprocess on the
test database) runs while the page shows its progress. No request leaves 127.0.0.1;
screenshots are saved as artifacts.

The live server reads the committed test database, so the demo buildings and the demo
facilities (public toilets, shelters, parking lots, through the component service) are
committed for this module and removed again afterwards, leaving the tables as they were.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from pyogrio import list_layers
from pyogrio.raw import read as read_gpkg
from pypdf import PdfReader

from component_catalog import demo as component_demo
from component_catalog import services as component_services
from layers.basemap import demo as basemap_demo
from layers.models import Layer
from reports import params, services
from reports.models import ReportJob
from tests.browser.conftest import RequestWatcher, artifacts_dir, in_thread, shot
from tests.conftest import REPO, stop_process
from tiles import cache as tile_cache

FACILITY_CLASSES = ("0201", "0301", "0502")
# Tables the fixture adds rows to; rows with a larger id than before are removed after.
TABLES = (
    "component_catalog_componenthistory",
    "component_catalog_component",
    "component_catalog_changeset",
    "component_catalog_identifiercounter",
    "layers_basehistory",
    "layers_building",
    "layers_basefeature",
    "layers_stewardship",
)


# Tables whose existing rows the fixture may change: their values are restored after.
MUTABLE = {"component_catalog_identifiercounter": "last_serial"}


def _snapshot() -> tuple[dict[str, int], dict[str, list[tuple[int, int]]]]:
    """The largest id of every table, and the mutable values of existing rows."""
    with connection.cursor() as cursor:
        ids = {}
        for table in TABLES:
            cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # noqa: S608
            ids[table] = cursor.fetchone()[0]
        values = {}
        for table, column in MUTABLE.items():
            cursor.execute(f"SELECT {column}, id FROM {table}")  # noqa: S608
            values[table] = cursor.fetchall()
    return ids, values


def _load() -> tuple[dict[str, int], dict[str, list[tuple[int, int]]]]:
    snapshot = _snapshot()
    basemap_demo.load()
    facilities = [
        f for f in component_demo.features() if f["properties"]["class"] in FACILITY_CLASSES
    ]
    user = get_user_model().objects.get(username=component_demo.USERNAME)
    context = component_services.EditContext(user=user, comment="reports browser test")
    with transaction.atomic():
        component_services.batch(context, facilities, crs="CRS84")
    return snapshot


def _remove(ids: dict[str, int], values: dict[str, list[tuple[int, int]]]) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table in TABLES:  # children first
                cursor.execute(f"DELETE FROM {table} WHERE id > %s", [ids[table]])  # noqa: S608
            for table, column in MUTABLE.items():
                cursor.executemany(
                    f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                    values[table],
                )
        # Tiles the live server cached meanwhile show the removed rows: invalidate every
        # layer (generation counters only grow, so this is always safe).
        for code in [*Layer.objects.values_list("code", flat=True), tile_cache.COMBINED]:
            tile_cache.invalidate_layer(code)


@pytest.fixture(scope="module")
def coverage_data(live_url: str, django_db_blocker: Any) -> Iterator[None]:
    """The demo buildings and facilities, committed for this module and removed after
    (rows added are deleted; counters the service bumped are set back)."""
    with django_db_blocker.unblock():
        ids, values = in_thread(_load)
        try:
            yield
        finally:
            in_thread(lambda: _remove(ids, values))


@pytest.fixture(scope="module")
def report_worker(live_url: str, django_db_blocker: Any) -> Iterator[None]:
    """A real worker process for the report exports, on the test database; stopped after,
    and the jobs it made deleted."""
    db = connection.settings_dict
    with django_db_blocker.unblock():
        first = in_thread(lambda: ReportJob.objects.order_by("-id").values("id").first())
    env = {
        **os.environ,
        "DATABASE_URL": "postgis://{}:{}@{}:{}/{}".format(
            quote(db["USER"], safe=""),
            quote(db["PASSWORD"], safe=""),
            db["HOST"] or "127.0.0.1",
            db["PORT"] or 5432,
            db["NAME"],
        ),
        "DJANGO_SETTINGS_MODULE": "gis_app.settings",
    }
    log = (artifacts_dir() / "report-worker.log").open("wb")
    command = [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "reports"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        stop_process(process)
        log.close()
        with django_db_blocker.unblock():
            since = first["id"] if first else 0
            in_thread(lambda: ReportJob.objects.filter(id__gt=since).delete())


def login(page: Any, username: str = "planner") -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", "demo-pass-2019")
    page.locator("form:has(#id_username) button[type=submit]").click()


def table_cell(page: Any, table: str, row: int, column: int) -> str:
    return (
        page.locator(f"#report-tables section:has(#table-{table}) tbody tr")
        .nth(row)
        .locator("td")
        .nth(column)
        .inner_text()
    )


def wait_until_idle(page: Any) -> None:
    page.wait_for_function(
        "() => document.querySelector('.report-main').getAttribute('aria-busy') === 'false'"
    )


def expected_shares(n: float) -> dict[str, float | None]:
    """The services table of the coverage report for the planner, from the service."""

    def work() -> dict[str, float | None]:
        planner = get_user_model().objects.get(username="planner")
        request = params.ReportRequest(
            kind="coverage", area="330106", level="community", distance_m=n
        )
        table = services.build(planner, request).table("services")
        assert table is not None
        return {row["service"]: row["share"] for row in table.rows}

    result: dict[str, float | None] = in_thread(work)
    return result


def percent(value: float | None) -> str:
    assert value is not None
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def test_planner_changes_n_and_downloads_pdf_and_geopackage(
    coverage_data: None,
    report_worker: None,
    open_page: Any,
    requests_seen: RequestWatcher,
    tmp_path: Path,
) -> None:
    page = open_page("/reports/?kind=coverage&level=community")
    assert "/accounts/login/" in page.url
    login(page)
    page.wait_for_url(re.compile(r"/reports/"))
    # The report is built in the request; under a loaded CI machine that can pass 15 s.
    page.wait_for_selector("#table-services", timeout=60_000)
    wait_until_idle(page)
    assert page.locator("#report-title").inner_text() == "服务覆盖"
    assert page.locator("#report-kind").input_value() == "coverage"
    assert page.locator("#report-level").input_value() == "community"
    assert page.locator("#report-tables section:has(#table-areas) tbody tr").count() == 30
    # 30 communities on the map, coloured, with a legend.
    assert page.locator(".report-map path.choropleth-area").count() == 30
    assert "公共厕所覆盖率" in page.locator(".choropleth-legend").inner_text()
    assert page.locator(".report-chart canvas").count() == 1
    first = expected_shares(300)
    toilet_300 = table_cell(page, "services", 0, 6)
    assert toilet_300 == percent(first["toilet"])
    shot(page, "reports-coverage-n300", full_page=True)

    # Change N with the keyboard: type in the field, Enter submits the form.
    field = page.locator("#report-n")
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("1000")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#report-facts').textContent.includes('1000 m')"
    )
    wait_until_idle(page)
    second = expected_shares(1000)
    toilet_1000 = table_cell(page, "services", 0, 6)
    assert toilet_1000 == percent(second["toilet"])
    assert toilet_1000 != toilet_300
    assert second["toilet"] > first["toilet"]  # type: ignore[operator]
    assert "n=1000" in page.url
    shot(page, "reports-coverage-n1000", full_page=True)

    # PDF, by keyboard as well: focus the button, press Enter; the background job's
    # progress shows, then the file downloads.
    with page.expect_download() as pdf_info:
        page.locator("button[data-format=pdf]").focus()
        page.keyboard.press("Enter")
    pdf_download = pdf_info.value
    assert pdf_download.suggested_filename == "coverage-330106-community-n1000.pdf"
    pdf_path = tmp_path / pdf_download.suggested_filename
    pdf_download.save_as(pdf_path)
    pdf = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    assert len(pdf.pages) >= 3
    first_page = pdf.pages[0].extract_text()
    assert "服务覆盖" in first_page and "1000 m" in first_page and "西湖区" in first_page
    assert pdf.pages[1].images  # the choropleth map, after the title page
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "保俶社区" in text and "停车场" in text
    wait_until_idle(page)
    assert "coverage-330106-community-n1000.pdf" in page.locator("#report-message").inner_text()

    # GeoPackage: the communities with their figures, plus the services table.
    with page.expect_download() as gpkg_info:
        page.locator("button[data-format=gpkg]").click()
    gpkg_path = tmp_path / gpkg_info.value.suggested_filename
    gpkg_info.value.save_as(gpkg_path)
    assert gpkg_path.name == "coverage-330106-community-n1000.gpkg"
    assert dict(list_layers(gpkg_path)) == {
        "coverage_community": "MultiPolygon",
        "coverage_services": None,
    }
    meta, _fids, geometries, fields = read_gpkg(gpkg_path, layer="coverage_community")
    assert len(geometries) == 30 and meta["crs"] == "EPSG:4490"
    columns = dict(zip(meta["fields"], fields, strict=True))
    shown = page.locator("#report-tables section:has(#table-areas) tbody tr").first.locator("td")
    row = list(columns["code"]).index(shown.nth(0).inner_text())
    assert columns["name"][row] == shown.nth(1).inner_text()
    assert str(columns["buildings"][row]) == shown.nth(2).inner_text().replace(",", "")
    _meta, _f, none, service_fields = read_gpkg(gpkg_path, layer="coverage_services")
    assert none is None and len(service_fields[0]) == 3
    shot(page, "reports-coverage-downloaded")

    assert page.js_errors == []
    assert requests_seen.outside() == []
    assert requests_seen.matching(r"/static/vendor/chart\.js/")
    assert requests_seen.matching(r"/api/v1/reports/coverage\.pdf\?.*n=1000")
    assert requests_seen.matching(r"/api/v1/report-jobs/\d+/file$")


def test_bad_n_is_explained_in_chinese_and_focused(
    coverage_data: None, open_page: Any, requests_seen: RequestWatcher
) -> None:
    page = open_page("/reports/?kind=coverage")
    page.allow_failures(r"^400 .*/api/v1/reports/coverage/\?")  # the bad n, refused
    login(page)
    # The report is built in the request; under a loaded CI machine that can pass 15 s.
    page.wait_for_selector("#table-services", timeout=60_000)
    wait_until_idle(page)
    page.fill("#report-n", "20")
    page.locator("#report-run").click()
    alert = page.locator("#report-error")
    alert.wait_for(state="visible")
    assert "参数 n 必须在 50 到 5000 之间" in alert.inner_text()
    assert page.evaluate("document.activeElement.id") == "report-n"
    assert page.locator("#report-n").get_attribute("aria-invalid") == "true"
    # The last good report stays on screen.
    assert page.locator("#report-tables section:has(#table-areas) tbody tr").count() == 6
    shot(page, "reports-coverage-bad-n")
    assert requests_seen.outside() == []
