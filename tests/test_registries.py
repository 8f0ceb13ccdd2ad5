"""An app plugs into the platform through registries, without editing core code: a made-up
"noise monitoring" app (``tests/registry_app``) registered in the test adds a panel to the
residents' map and a report kind that the report API, the page, the exports and the jobs
offer; removed after the test, it is gone. Parking itself comes in the same way, and
``map_ui`` and ``reports`` name no community app."""

from __future__ import annotations

import ast
import csv
import dataclasses
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import translation

from gis_app import navigation
from layers.models import AdminArea
from map_ui import plugins
from reports import kinds
from tests.components_helpers import Api, inside
from tests.conftest import token_for
from tests.ogc_data import toilet
from tests.registry_app import TEMPLATE_DIR, extension, report_kind

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parent.parent


def client_for(username: str, language: str = "en") -> Client:
    return Client(
        HTTP_AUTHORIZATION=f"Token {token_for(Client(), username)}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def signed_in(username: str) -> Client:
    """A browser-like client signed in through the login page (the reports page's way)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/login/", {"username": username, "password": "demo-pass-2019"})
    assert response.status_code == 302
    return client


def page_config(html: str) -> dict[str, Any]:
    """The map's configuration (the JSON data block boot.js reads) of a map page."""
    found = re.search(
        r'<script type="application/json" id="[^"]+-config">(.*?)</script>', html, re.S
    )
    assert found, "the page has no map configuration"
    return json.loads(found.group(1))


def test_an_app_adds_a_panel_and_a_layer_to_the_residents_map_and_leaves_with_no_trace() -> None:
    before = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/").content.decode()
    assert "registry_app/noise.js" not in before
    with plugins.registered(extension()):
        chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/")
        english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/")
        other_page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/map/").content.decode()
    after = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/").content.decode()

    assert chinese.status_code == english.status_code == 200
    html = chinese.content.decode()
    # its files after the page's own, its configuration in the visitor's language
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts.index("/static/registry_app/noise.js") > scripts.index(
        "/static/map_ui/resident.js"
    )
    assert '<link rel="stylesheet" href="/static/registry_app/noise.css"' in html
    assert page_config(html)["extra"]["noise"]["title"] == "噪声监测"
    assert page_config(english.content.decode())["extra"]["noise"]["title"] == "Noise monitoring"
    # parking, registered the same way, is still there
    assert "parking" in page_config(html)["extra"]
    # its link in the finder's footer, among the platform's
    footer = re.search(r'<footer class="sheet-footer">(.*?)</footer>', html, re.S)
    assert footer and '<a href="/healthz">Noise sensors status</a>' in footer.group(1)
    # only on the pages it names
    assert "registry_app/noise.js" not in other_page
    assert "noise" not in page_config(other_page)["extra"]
    assert "registry_app/noise.js" not in after and "Noise sensors status" not in after


def test_parking_comes_in_through_the_registries() -> None:
    """Parking's map extension, menu entry and report kind are registered by parking."""
    by_key = {e.key: e for e in plugins.extensions()}
    assert by_key["parking"].pages == {plugins.RESIDENT, plugins.MAP}
    assert "parking" in [k.code for k in kinds.all_kinds()]
    with translation.override("en"):
        links = [
            (link["url"], str(link["label"])) for link in navigation.links(AnonymousUser(), "/")
        ]
    assert ("/parking/find/", "Find my car") in links
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get("/map/").content.decode()
    assert "/static/parking/parking.js" in html
    assert page_config(html)["extra"]["parking"]["show"] is True


def test_an_app_adds_a_report_kind_to_the_api_the_page_the_exports_and_the_jobs() -> None:
    admin = client_for("district_admin")
    assert "noise" not in admin.get("/api/v1/reports/").json()["kinds"]
    assert admin.get("/api/v1/reports/noise/").status_code == 404

    with kinds.registered(report_kind()):
        index = admin.get("/api/v1/reports/").json()
        assert index["kinds"] == [
            "counts", "condition", "quality", "coverage", "edits", "parking", "noise"
        ]  # fmt: skip
        response = admin.get("/api/v1/reports/noise/", {"area": "330106", "level": "street"})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["title"] == "Noise monitoring" and body["metric"] == "sites"
        rows = {r["code"]: r["sites"] for r in body["tables"][0]["rows"]}
        streets = AdminArea.objects.filter(level="street", code__startswith="330106")
        assert sorted(rows) == sorted(streets.values_list("code", flat=True))
        communities = AdminArea.objects.filter(level="community")
        for code, n in rows.items():
            assert n == communities.filter(code__startswith=code).count()
        assert sum(rows.values()) > 0
        assert len(body["map"]["features"]) == len(rows)

        # the page offers it, with the field of the one parameter it reads
        page = signed_in("district_admin").get("/reports/?kind=noise")
        assert page.status_code == 200
        html = page.content.decode()
        assert '<option value="noise" selected>Noise monitoring</option>' in html
        months = re.search(
            r'<div class="kind-only" data-kinds="([^"]*)">\s*<label for="report-months"', html
        )
        assert months and months.group(1).split() == ["edits", "noise"]

        # its formats: CSV yes, PDF refused naming the format (in the request and as a job)
        csv_file = admin.get("/api/v1/reports/noise.csv", {"area": "330106", "level": "street"})
        assert csv_file.status_code == 200
        table = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
        assert table[0] == ["Code", "Area", "Sensor sites"]
        assert {r[0]: int(r[2]) for r in table[1:]} == rows
        for answer in (
            admin.get("/api/v1/reports/noise.pdf", {"area": "330106"}),
            admin.post("/api/v1/reports/noise.pdf?area=330106"),
        ):
            assert answer.status_code == 400
            assert answer.json()["field"] == "format"
            assert "csv, xlsx" in answer.json()["detail"]

        # who may see it: a planner (read-only) gets what an unknown kind gets
        planner = client_for("planner")
        assert "noise" not in planner.get("/api/v1/reports/").json()["kinds"]
        hidden = planner.get("/api/v1/reports/noise/", {"area": "330106"})
        assert hidden.status_code == 404 and hidden.json()["field"] == "kind"
        assert "noise" not in hidden.json()["detail"].split("reports are")[1]
        assert planner.post("/api/v1/reports/noise.csv?area=330106").status_code == 404
        # and learns nothing of its formats either
        assert planner.get("/api/v1/reports/noise.pdf", {"area": "330106"}).status_code == 404
        planner_page = signed_in("planner").get("/reports/?kind=noise").content.decode()
        assert 'value="noise"' not in planner_page
        assert '<option value="counts" selected>' in planner_page

    # removed after: unknown again everywhere
    assert "noise" not in admin.get("/api/v1/reports/").json()["kinds"]
    assert admin.get("/api/v1/reports/noise/", {"area": "330106"}).status_code == 404
    assert 'value="noise"' not in signed_in("district_admin").get("/reports/").content.decode()


def test_a_kind_names_only_known_parameters_and_formats() -> None:
    with pytest.raises(ValueError, match="unknown parameters"):
        kinds.ReportKind("x", "X", report_kind().build, params=("radius",))
    with pytest.raises(ValueError, match="formats"):
        kinds.ReportKind("x", "X", report_kind().build, formats=("docx",))


def imported_modules(path: Path) -> set[str]:
    """Every module a Python file imports, at any depth, and those it names to Django as
    strings (``include("...")``, ``import_module("...")``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            in ("include", "import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("package", ["map_ui", "reports"])
def test_map_pages_and_reports_import_no_community_app(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert len(files) > 10
    offending = {
        f"{path.relative_to(REPO)}: {module}"
        for path in files
        for module in imported_modules(path)
        if module == "community" or module.startswith("community.")
    }
    assert not offending
    # nor do their templates and scripts name parking's pages or files
    for path in (REPO / package).rglob("*"):
        if path.suffix in {".html", ".js"}:
            text = path.read_text(encoding="utf-8")
            assert "parking-find" not in text and "parking/parking" not in text, path


def test_registering_a_key_again_replaces_it_and_a_block_puts_the_original_back() -> None:
    original = next(e for e in plugins.extensions() if e.key == "parking")
    order = [e.key for e in plugins.extensions()]
    with plugins.registered(dataclasses.replace(original, pages=frozenset({plugins.RESIDENT}))):
        assert [e.key for e in plugins.extensions()].count("parking") == 1
        html = Client(HTTP_ACCEPT_LANGUAGE="en").get("/map/").content.decode()
        assert "/static/parking/parking.js" not in html
    assert [e.key for e in plugins.extensions()] == order
    assert next(e for e in plugins.extensions() if e.key == "parking") is original


def test_an_app_extends_the_survey_editor_and_its_files_join_the_offline_shell() -> None:
    surveyor = signed_in("surveyor_water")
    worker_before = surveyor.get("/survey/sw.js").content.decode()
    on_survey = dataclasses.replace(extension(), pages=frozenset({plugins.SURVEY}))
    with plugins.registered(on_survey):
        html = surveyor.get("/survey/").content.decode()
        worker = surveyor.get("/survey/sw.js").content.decode()
        resident = Client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert '<script src="/static/registry_app/noise.js"' in html
    assert page_config(html)["extra"]["noise"]["title"] == "Noise monitoring"
    assert "registry_app/noise.js" not in resident
    # the service worker stores the extension's files, under a new version
    version = re.compile(r'"version": "([0-9a-f]+)"')
    assert '"/static/registry_app/noise.js"' in worker
    assert '"/static/registry_app/noise.css"' in worker
    assert version.findall(worker) != version.findall(worker_before)
    after = surveyor.get("/survey/sw.js").content.decode()
    assert "registry_app" not in after
    assert version.findall(after) == version.findall(worker_before)


def test_an_app_adds_a_section_to_a_facility_page(settings: Any) -> None:
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(TEMPLATE_DIR)]}
    ]
    feature = toilet("马塍路公厕", inside("330106001001", 1))
    created = Api("district_admin").create(feature)
    assert created.status_code == 201, created.content
    url = f"/facilities/{created.json()['id']}/"
    with plugins.registered(extension()):
        zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url).content.decode()
        en = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    after = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    # after the map, before the details; its style sheet and configuration with the page's
    assert zh.index('id="facility-distance"') < zh.index('<h2 id="noise-title">噪声</h2>')
    assert zh.index('id="noise-level"') < zh.index('id="facility-details"')
    assert '<p id="noise-level">58 dB</p>' in en and '<h2 id="noise-title">Noise</h2>' in en
    assert '<link rel="stylesheet" href="/static/registry_app/noise.css"' in en
    assert page_config(en)["extra"]["noise"] == {"db": 58}
    # the page's own map configuration is intact
    assert page_config(en)["extra"]["facility"]["name"] == "马塍路公厕"
    assert "noise-level" not in after and "registry_app" not in after
