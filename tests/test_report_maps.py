"""The report map's classes (natural breaks, quantiles, rounded breaks, areas per class),
the PDF's title page (issuing office, summary and findings from the figures), its page
numbers and its basemap, and the component-class filter of the reports page.

The class breaks are checked on known data and against an exhaustive search; the report
figures come from the demo district (loaded by ``tests.test_reports``' module fixture,
rolled back after)."""

from __future__ import annotations

import io
import itertools
import random
import re
from pathlib import Path
from statistics import mean

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from PIL import ImageChops
from pypdf import PdfReader

from gis_app.models import Membership
from layers.models import AdminArea
from reports import classes, params, render, services
from tests.conftest import REPO
from tests.test_reports import areas_table, client_for, demo_data, download, report

__all__ = ["demo_data"]  # the module fixture (autouse), imported to load the demo data

# Densities per km2 like the demo district's communities: a few dense centres, many thin.
SKEWED = [7.46, 12, 15, 20, 22, 25, 30, 31, 33, 40, 45, 50, 55, 60, 80, 95, 110, 130, 150,
          200, 220, 260, 300, 420, 500, 800, 1200, 2500, 3900, 4111.3]  # fmt: skip


def artifacts_dir() -> Path:
    path = REPO / ".local" / "test-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ssd(groups: list[list[float]]) -> float:
    return sum(float(np.sum((np.array(g) - np.mean(g)) ** 2)) for g in groups)


def members(values: list[float], found: classes.Classes) -> list[list[float]]:
    out: list[list[float]] = [[] for _ in found.counts]
    for v in values:
        out[found.index(v)].append(v)  # type: ignore[index]
    return out


# --- class breaks --------------------------------------------------------------------------


def test_jenks_finds_the_natural_groups() -> None:
    groups = classes.jenks_groups([52, 1, 11, 2, 50, 3, 10, 12, 51], 3)
    assert groups == [[1, 2, 3], [10, 11, 12], [50, 51, 52]]
    found = classes.classify([1, 2, 3, 10, 11, 12, 50, 51, 52], classes.JENKS, k=3)
    assert found is not None
    assert found.breaks == [0, 10, 50, 60] and found.counts == [3, 3, 3]


def test_jenks_is_the_least_squared_deviation_of_all_partitions() -> None:
    rng = random.Random(16)
    for _round in range(5):
        values = sorted(round(rng.lognormvariate(3, 1.2), 2) for _ in range(12))
        best = min(
            ssd([values[a:b] for a, b in zip((0, *cuts), (*cuts, len(values)), strict=True)])
            for cuts in itertools.combinations(range(1, len(values)), 3)
        )
        assert ssd(classes.jenks_groups(values, 4)) == pytest.approx(best)


def test_quantiles_put_as_many_areas_in_each_class() -> None:
    found = classes.classify(SKEWED, classes.QUANTILE)
    assert found is not None and found.method == "quantile"
    assert found.counts == [6, 6, 6, 6, 6]
    groups = members(SKEWED, found)
    assert [len(g) for g in groups] == [6, 6, 6, 6, 6]
    # equal values never straddle two classes
    tied = classes.classify([1, 1, 1, 1, 2, 3, 4, 5, 6, 7], classes.QUANTILE, k=5)
    assert tied is not None and tied.counts[0] == 4


def test_skewed_figures_do_not_fall_in_one_colour() -> None:
    equal = classes.classify(SKEWED, classes.EQUAL)
    assert equal is not None and max(equal.counts) >= 25  # what the issue saw
    auto = classes.classify(SKEWED)
    assert auto is not None
    assert max(auto.counts) <= len(SKEWED) // 2
    assert sum(1 for c in auto.counts if c) >= 4
    assert sum(auto.counts) == len(SKEWED) and auto.no_data == 0


@pytest.mark.parametrize("method", ["jenks", "quantile"])
def test_breaks_are_round_and_keep_the_classes(method: str) -> None:
    rng = random.Random(6)
    values = [rng.uniform(0, 1000) ** 1.3 / 7 for _ in range(40)]
    found = classes.classify(values, method)
    assert found is not None
    groups = members(values, found)
    assert sum(len(g) for g in groups) == 40 and all(groups)
    for i in range(1, len(found.counts)):
        edge = found.breaks[i]
        assert max(groups[i - 1]) < edge <= min(groups[i])
        assert len(f"{edge:g}".replace(".", "").strip("0")) <= 3, edge
    assert found.breaks[0] <= min(values) and found.breaks[-1] >= max(values)
    shares = classes.classify([v / 10000 for v in values], method, share=True)
    assert shares is not None and shares.breaks[0] >= 0


def test_few_areas_get_few_classes() -> None:
    six = classes.classify([4.3, 4.31, 4.8, 5.4, 5.5, 5.8])
    assert six is not None and len(six.counts) == 3 and sum(six.counts) == 6


def test_no_values_and_too_few_distinct_values() -> None:
    assert classes.classify([None, None]) is None
    found = classes.classify([None, 3, 3, 5])
    assert found is not None and found.no_data == 1
    assert len(found.counts) == 2 and found.counts == [2, 1]


# --- the API -------------------------------------------------------------------------------


def test_report_classes_on_the_demo_district() -> None:
    client = client_for("planner")
    body = report(client, "coverage", level="community")
    cut = body["classes"][body["metric"]]
    assert sum(cut["counts"]) + cut["no_data"] == 30
    assert sum(1 for c in cut["counts"] if c) > 2
    assert len(cut["colours"]) == len(cut["counts"]) == len(cut["breaks"]) - 1
    rows = areas_table(body)
    for feature in body["map"]["features"]:
        assert feature["properties"]["name"] == rows[feature["id"]]["name"]
        assert len(feature["label"]) == 2
    density = report(client, "counts", level="community", classify="quantile")
    counts = density["classes"]["density"]["counts"]
    assert density["classify"] == "quantile" and max(counts) - min(counts) <= 1
    response = client.get("/api/v1/reports/counts/", {"classify": "pretty"})
    assert response.status_code == 400 and response.json()["field"] == "classify"


def test_the_reports_page_offers_the_class_filter_in_both_languages() -> None:
    for language, label in (("zh-hans", "公共厕所"), ("en", "Public toilet")):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.login(username="planner", password="demo-pass-2019")
        page = client.get("/reports/").content.decode()
        assert 'id="report-classes"' in page and 'name="classes" multiple' in page
        assert re.search(rf'<option value="0301">0301 {label}</option>', page)
        assert 'id="report-classify"' in page


# --- the PDF -------------------------------------------------------------------------------


def office_of(username: str, english: bool) -> str:
    membership = (
        Membership.objects.filter(user__username=username, active=True)
        .select_related("organization")
        .first()
    )
    assert membership is not None
    organization = membership.organization
    return (organization.name_en or organization.name) if english else organization.name


def test_pdf_title_page_findings_and_page_numbers_in_chinese() -> None:
    client = client_for("planner", language="zh-hans")
    body = report(client, "coverage", level="community")
    content = download(client, "coverage", "pdf", level="community").content
    (artifacts_dir() / "report-coverage-zh.pdf").write_bytes(content)
    pdf = PdfReader(io.BytesIO(content))
    pages = [page.extract_text() for page in pdf.pages]
    cover = pages[0]
    assert "服务覆盖" in cover and "西湖区" in cover
    assert office_of("planner", english=False) in cover
    assert "摘要" in cover and "主要发现" in cover
    assert "西湖区的 30 个社区" in cover
    # the findings name the best and the worst covered communities, from the figures
    rows = [r for r in body["tables"][0]["rows"] if r["share_toilet"] is not None]
    ranked = sorted(rows, key=lambda r: r["share_toilet"], reverse=True)
    flat = cover.replace("\n", "")
    assert f"最好的是：{ranked[0]['name']} ({ranked[0]['share_toilet'] * 100:.1f}%)" in flat
    worst = flat.split("最差的是：")[1].split("。")[0]
    lowest = ranked[-1]["share_toilet"]
    tied = [r["name"] for r in rows if r["share_toilet"] == lowest]
    if len(tied) > 3:  # many areas share the worst figure: the finding says how many
        assert worst.startswith(f"{len(tied)} 个区域均为 {lowest * 100:.1f}%")
        assert sum(1 for name in tied if name in worst) == min(8, len(tied))
    else:
        assert worst.startswith(ranked[-1]["name"])
    below = sum(1 for r in rows if r["share_toilet"] < 0.5)
    assert f"30 个区域中有 {below} 个的“公共厕所覆盖率”低于 50.0%" in flat
    under = sum(1 for r in rows if r["share_toilet"] < mean(x["share_toilet"] for x in rows))
    assert f"30 个区域中有 {under} 个低于平均值" in flat
    assert not pdf.pages[0].images  # the cover has text only; the map follows
    assert pdf.pages[1].images
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 共 {len(pages)} 页" in text


def test_pdf_in_english_says_page_x_of_y() -> None:
    client = client_for("planner", language="en")
    content = download(client, "condition", "pdf").content
    (artifacts_dir() / "report-condition-en.pdf").write_bytes(content)
    pdf = PdfReader(io.BytesIO(content))
    pages = [page.extract_text() for page in pdf.pages]
    assert "Summary" in pages[0] and "Findings" in pages[0]
    assert office_of("planner", english=True) in pages[0]
    assert re.search(r"Worst on “Share damaged or missing”: ", pages[0].replace("\n", " "))
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    assert not re.search(r"[\u4e00-\u9fff]", pages[0].split("Summary")[1].split("Findings")[0])


def test_the_pdf_map_is_drawn_on_the_platform_basemap() -> None:
    planner = get_user_model().objects.get(username="planner")
    with translation.override("zh-hans"):
        built = services.build(
            planner, params.ReportRequest(kind="coverage", area="330106", level="community")
        )
        with_basemap = render.map_image(built)
        built.viewer = None  # nobody to ask the base layers for: no basemap
        bare = render.map_image(built)
    with_basemap.save(artifacts_dir() / "report-pdf-map-basemap.png")
    bare.save(artifacts_dir() / "report-pdf-map-bare.png")
    difference = np.asarray(ImageChops.difference(with_basemap, bare).convert("L"))
    changed = float(np.mean(difference > 12))
    assert changed > 0.02, changed
    # roads are drawn white under the translucent colours: the basemap image has more
    # light pixels inside the district than the bare one
    light = lambda image: int(np.sum(np.asarray(image.convert("L")) > 235))  # noqa: E731
    assert light(with_basemap) != light(bare)


def test_basemap_shapes_are_the_users_base_layers() -> None:
    from reports import basemap

    planner = get_user_model().objects.get(username="planner")
    community = AdminArea.objects.get(code="330106001001").boundary.extent
    found = basemap.shapes(planner, community)
    kinds = {s.kind for s in found}
    assert {"road", "building"} <= kinds  # a community: footprints are drawn too
    district = AdminArea.objects.get(code="330106").boundary.extent
    assert {"road", "river", "green"} <= {s.kind for s in basemap.shapes(planner, district)}
    assert basemap.shapes(None, district) == []


@pytest.mark.parametrize("kind", ["counts", "quality", "edits", "parking"])
def test_every_kind_has_a_title_page_and_page_numbers(kind: str) -> None:
    client = client_for("street_admin", language="zh-hans")
    body = report(client, kind)
    pdf = PdfReader(io.BytesIO(download(client, kind, "pdf").content))
    pages = [page.extract_text() for page in pdf.pages]
    assert body["title"] in pages[0] and "北山街道" in pages[0]
    assert "摘要" in pages[0] and "主要发现" in pages[0]
    assert office_of("street_admin", english=False) in pages[0]
    assert pdf.pages[1].images
    assert all(f"第 {i} 页 共 {len(pages)} 页" in t for i, t in enumerate(pages, start=1))


def test_the_workbook_names_the_issuing_office() -> None:
    from openpyxl import load_workbook

    client = client_for("planner", language="zh-hans")
    book = load_workbook(io.BytesIO(download(client, "counts", "xlsx", classes="0301").content))
    about = {row[0]: row[1] for row in book["报告"].iter_rows(values_only=True)}
    assert about["出具单位"] == office_of("planner", english=False)
    assert about["部件类别"] == "0301 公共厕所"
