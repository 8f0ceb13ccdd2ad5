"""Planners' reports (``reports`` app) on the demo district: every figure is checked against
an independent computation (shapely and pyproj on the same rows, or plain Python over the
ORM), and every export is opened with a real reader (csv, openpyxl, GDAL via pyogrio,
pypdf).

The demo base layers and the demo component survey take about half a minute to load, so
they are loaded once for the module inside a transaction that is rolled back at the end;
each test runs in a savepoint inside it (pytest-django's usual per-test transaction).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import shapely
from django.db import connection, transaction
from django.test import Client
from openpyxl import load_workbook
from pyogrio import list_layers
from pyogrio.raw import read as read_gpkg
from pypdf import PdfReader
from pyproj import Geod, Transformer
from shapely import STRtree

from component_catalog import demo as component_demo
from component_catalog import quality
from component_catalog.models import Component, ComponentClass, ComponentHistory
from layers.basemap import demo as basemap_demo
from layers.models import AdminArea, Building, Layer
from tests.conftest import analyze_all, token_for

pytestmark = pytest.mark.django_db

DISTRICT = "330106"
GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid
TO_4549 = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)
SERVICES = {"toilet": ("0301",), "shelter": ("0502",), "parking": ("0201", "0215")}


@pytest.fixture(scope="module", autouse=True)
def demo_data(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The demo buildings and components, for this module only (rolled back after)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            basemap_demo.load()
            component_demo.load()
            # Statistics of the loaded rows, as autovacuum gives them in production (it
            # cannot see this uncommitted transaction): in the whole suite, with the
            # statistics earlier tests left, the edits report ran past the 5 s limit.
            analyze_all()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def planner(db: Any) -> Client:
    return Client(
        HTTP_AUTHORIZATION=f"Token {token_for(Client(), 'planner')}", HTTP_ACCEPT_LANGUAGE="en"
    )


def client_for(username: str, language: str = "en") -> Client:
    return Client(
        HTTP_AUTHORIZATION=f"Token {token_for(Client(), username)}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def report(client: Client, kind: str, **query: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/reports/{kind}/", query)
    assert response.status_code == 200, response.content
    return response.json()


def areas_table(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in body["tables"][0]["rows"]}


def table(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return next(t["rows"] for t in body["tables"] if t["key"] == key)


def boundaries(level: str) -> dict[str, Any]:
    return {
        a.code: shapely.from_wkb(bytes(a.boundary.wkb))
        for a in AdminArea.objects.filter(level=level, code__startswith=DISTRICT)
    }


def locate(geoms: list[Any], areas: dict[str, Any]) -> list[str | None]:
    """The area whose boundary covers each geometry's representative point (shapely)."""
    codes = list(areas)
    tree = STRtree([areas[c] for c in codes])
    found: list[str | None] = []
    for geom in geoms:
        point = geom.representative_point()
        hits = [codes[i] for i in tree.query(point, predicate="covered_by")]
        found.append(hits[0] if hits else None)
    return found


def geodesic_km2(geom: Any) -> float:
    area, _perimeter = GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


# --- counts, density, condition -----------------------------------------------------------


def in_use_components() -> list[tuple[str, str, Any]]:
    return [
        (klass, status, shapely.from_wkb(bytes(geom.wkb)))
        for klass, status, geom in Component.objects.filter(currency="in_use").values_list(
            "component_class_id", "status", "geometry"
        )
    ]


def test_counts_and_density_per_community_match_shapely_and_the_geodesic(
    planner: Client,
) -> None:
    body = report(planner, "counts", level="community")
    assert body["area"]["code"] == DISTRICT and body["level"] == "community"
    rows = areas_table(body)
    communities = boundaries("community")
    assert set(rows) == set(communities) and len(rows) == 30
    components = in_use_components()
    where = locate([g for _k, _s, g in components], communities)
    per_area: Counter[str | None] = Counter(where)
    per_area_class: Counter[tuple[str | None, str]] = Counter(
        (code, klass) for code, (klass, _s, _g) in zip(where, components, strict=True)
    )
    assert None not in per_area
    for code, shape in communities.items():
        km2 = geodesic_km2(shape)
        row = rows[code]
        assert row["area_km2"] == pytest.approx(km2, rel=1e-6)
        assert row["total"] == per_area[code]
        assert row["density"] == pytest.approx(per_area[code] / km2, rel=1e-5)
        assert row["n_0301"] == per_area_class[(code, "0301")]
        assert row["d_0402"] == pytest.approx(per_area_class[(code, "0402")] / km2, rel=1e-5)
    by_class = {r["code"]: r for r in table(body, "classes")}
    district_km2 = sum(geodesic_km2(s) for s in communities.values())
    for klass, n in Counter(k for k, _s, _g in components).items():
        assert by_class[klass]["count"] == n
        assert by_class[klass]["density"] == pytest.approx(n / district_km2, rel=1e-5)
    assert by_class["0301"]["name"] == "Public toilet"
    # The map: one feature per community, its properties the row, its geometry the boundary.
    features = {f["id"]: f for f in body["map"]["features"]}
    assert features.keys() == rows.keys()
    some = features["330106001001"]
    assert shapely.geometry.shape(some["geometry"]).equals_exact(
        communities["330106001001"], tolerance=1e-7
    )
    assert some["properties"]["total"] == rows["330106001001"]["total"]


def test_counts_narrowed_to_classes_and_streets(planner: Client) -> None:
    body = report(planner, "counts", classes="0301,0502")
    assert body["level"] == "street"
    rows = areas_table(body)
    streets = boundaries("street")
    assert set(rows) == set(streets) and len(rows) == 6
    chosen = [c for c in in_use_components() if c[0] in ("0301", "0502")]
    where = Counter(locate([g for _k, _s, g in chosen], streets))
    assert {code: row["total"] for code, row in rows.items()} == {c: where[c] for c in streets}
    assert {c["key"] for c in body["tables"][0]["columns"]} >= {"n_0301", "n_0502"}
    assert "n_0101" not in rows["330106001"]


def test_condition_shares_match_the_statuses(planner: Client) -> None:
    body = report(planner, "condition", level="community")
    assert body["metric"] == "share_bad"
    rows = areas_table(body)
    communities = boundaries("community")
    components = in_use_components()
    where = locate([g for _k, _s, g in components], communities)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    for code, (_k, status, _g) in zip(where, components, strict=True):
        assert code is not None
        statuses[code][status] += 1
    some_bad = 0
    for code in communities:
        counts = statuses[code]
        total = sum(counts.values())
        row = rows[code]
        assert (row["total"], row["damaged"], row["missing"]) == (
            total,
            counts["damaged"],
            counts["missing"],
        )
        bad = (counts["damaged"] + counts["missing"]) / total
        assert row["share_bad"] == pytest.approx(bad, abs=1e-6)
        assert row["share_missing"] == pytest.approx(counts["missing"] / total, abs=1e-6)
        some_bad += bad > 0
    assert some_bad > 5  # the demo has damaged and missing components in many communities
    by_class = {r["code"]: r for r in table(body, "classes")}
    per_class = Counter((k, s) for k, s, _g in components)
    total_0101 = sum(n for (k, _s), n in per_class.items() if k == "0101")
    assert by_class["0101"]["damaged"] == per_class[("0101", "damaged")]
    assert by_class["0101"]["share_damaged"] == pytest.approx(
        per_class[("0101", "damaged")] / total_0101, abs=1e-6
    )


# --- data quality --------------------------------------------------------------------------


def test_quality_per_street_matches_a_python_count_and_lists_stewards_and_maintainers(
    planner: Client,
) -> None:
    as_of = dt.date(2024, 6, 30)
    body = report(planner, "quality", as_of=as_of.isoformat())
    rows = areas_table(body)
    intervals = dict(
        Layer.objects.filter(kind="component").values_list("source", "update_interval_days")
    )
    required = {}
    for code, schema in ComponentClass.objects.values_list("code", "attribute_schema"):
        required[code] = set(schema.get("required") or (schema.get("properties") or {}).keys())
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for klass, community, change_date, attributes in Component.objects.filter(
        currency="in_use"
    ).values_list("component_class_id", "community_id", "change_date", "attributes"):
        street = counts[community[:9]]
        street["count"] += 1
        street["timely"] += change_date >= as_of - dt.timedelta(days=intervals[klass])
        street["complete"] += required[klass] <= set(attributes)
    assert set(rows) == set(counts)
    for code, c in counts.items():
        assert rows[code]["count"] == c["count"]
        assert rows[code]["timeliness"] == pytest.approx(c["timely"] / c["count"], abs=1e-6)
        assert rows[code]["completeness"] == pytest.approx(c["complete"] / c["count"], abs=1e-6)
    # Stewards and maintainers: the platform's quality measures, grouped by organization.
    maintainers = {r["code"]: r for r in table(body, "maintainers")}
    expected = Counter(
        Component.objects.filter(currency="in_use").values_list("maintainer__code", flat=True)
    )
    assert {k: r["count"] for k, r in maintainers.items()} == dict(expected)
    stewards = table(body, "stewards")
    assert sum(r["count"] for r in stewards) == sum(expected.values())
    measured = {
        r.key: r for r in quality.measure(quality.SYSTEM_USER, area_code=DISTRICT,
                                          group_by="steward", as_of=as_of)
    }  # fmt: skip
    for row in stewards:
        assert row["timeliness"] == pytest.approx(measured[row["code"]].timeliness, abs=1e-6)
    assert [c["title"] for c in body["charts"]] == [
        "Data quality by steward",
        "Data quality by maintainer",
    ]


# --- service coverage ----------------------------------------------------------------------


def to_metric(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_4549.transform(*xy.T)))


def expected_coverage(n: float) -> tuple[dict[str, Counter[str]], dict[str, int]]:
    """Per community: buildings, and buildings within ``n`` m of each service (EPSG:4549
    distances in shapely); also how many buildings are within 1 cm of the threshold."""
    buildings = [
        (community, to_metric(shapely.from_wkb(bytes(geom.wkb))))
        for community, geom in Building.objects.values_list("community_id", "geometry")
    ]
    result: dict[str, Counter[str]] = defaultdict(Counter)
    borderline: dict[str, int] = Counter()
    for key, classes in SERVICES.items():
        facilities = [
            to_metric(shapely.from_wkb(bytes(g.wkb)))
            for g in Component.objects.filter(currency="in_use", component_class_id__in=classes)
            .exclude(status="missing")
            .values_list("geometry", flat=True)
        ]
        tree = STRtree(facilities)
        for community, footprint in buildings:
            if key == "toilet":
                result[community]["buildings"] += 1
            near = tree.query(footprint, predicate="dwithin", distance=n + 0.01)
            distances = [footprint.distance(facilities[i]) for i in near]
            result[community][key] += any(d <= n for d in distances)
            borderline[key] += any(abs(d - n) < 0.01 for d in distances)
    return result, borderline


@pytest.mark.parametrize("n", [150, 600])
def test_coverage_matches_shapely_distances_in_epsg_4549(planner: Client, n: int) -> None:
    body = report(planner, "coverage", level="community", n=n)
    assert body["parameters"] == {"n": n}
    rows = areas_table(body)
    expected, borderline = expected_coverage(n)
    assert set(rows) == set(expected)
    for code, counts in expected.items():
        row = rows[code]
        assert row["buildings"] == counts["buildings"]
        for key in SERVICES:
            assert abs(row[f"covered_{key}"] - counts[key]) <= borderline[key], (code, key)
            assert row[f"share_{key}"] == pytest.approx(
                row[f"covered_{key}"] / counts["buildings"], abs=1e-6
            )
    services = {r["service"]: r for r in table(body, "services")}
    assert (
        services["toilet"]["facilities"]
        == Component.objects.filter(currency="in_use", component_class_id="0301")
        .exclude(status="missing")
        .count()
    )
    assert services["parking"]["covered"] == sum(r["covered_parking"] for r in rows.values())


def test_coverage_grows_with_n_and_n_is_validated(planner: Client) -> None:
    near = report(planner, "coverage", n=100)["tables"][1]["rows"]
    far = report(planner, "coverage", n=1000)["tables"][1]["rows"]
    for a, b in zip(near, far, strict=True):
        assert a["covered"] <= b["covered"]
    assert sum(a["covered"] for a in near) < sum(b["covered"] for b in far)
    for bad in ("20", "5001", "abc", "nan"):
        response = planner.get("/api/v1/reports/coverage/", {"n": bad})
        assert response.status_code == 400, bad
        assert response.json()["field"] == "n"
        assert "n" in response.json()["detail"]


# --- edits per month -----------------------------------------------------------------------


def test_edits_per_month_follow_the_history(planner: Client) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    now = dt.datetime.now(tz)
    this_month = now.replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    two_back = (this_month - dt.timedelta(days=40)).replace(day=1)
    long_ago = (this_month - dt.timedelta(days=800)).replace(day=1)
    ids = list(ComponentHistory.objects.order_by("id").values_list("id", flat=True))
    # Spread the demo's history: a third two months back, a tenth long ago (outside 12 months).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE component_catalog_componenthistory SET time = %s WHERE id = ANY(%s)",
            [two_back, ids[::3]],
        )
        cursor.execute(
            "UPDATE component_catalog_componenthistory SET time = %s WHERE id = ANY(%s)",
            [long_ago, ids[1::10]],
        )
    community_of = dict(Component.objects.values_list("identifier", "community_id"))
    year, month = now.year, now.month - 11  # the 12-month window starts 11 months back
    if month <= 0:
        year, month = year - 1, month + 12
    start = dt.datetime(year, month, 1, tzinfo=tz)
    expected_months: Counter[str] = Counter()
    expected_streets: Counter[str] = Counter()
    for identifier, time in ComponentHistory.objects.values_list("identifier", "time"):
        local = time.astimezone(tz)
        if local < start:
            continue
        expected_months[local.strftime("%Y-%m")] += 1
        expected_streets[community_of[identifier][:9]] += 1
    assert expected_months[two_back.strftime("%Y-%m")] > 500
    body = report(planner, "edits")
    months = {r["month"]: r for r in table(body, "months")}
    assert len(months) == 12 and list(months)[-1] == now.strftime("%Y-%m")
    assert {m: r["total"] for m, r in months.items() if r["total"]} == dict(expected_months)
    assert (
        months[two_back.strftime("%Y-%m")]["create"] == expected_months[two_back.strftime("%Y-%m")]
    )
    rows = areas_table(body)
    assert {c: r["total"] for c, r in rows.items() if r["total"]} == dict(expected_streets)
    # A longer window takes the old edits in.
    longer = report(planner, "edits", months=36)
    assert sum(r["total"] for r in table(longer, "months")) == ComponentHistory.objects.count()


# --- exports -------------------------------------------------------------------------------


def download(client: Client, kind: str, fmt: str, **query: Any) -> Any:
    response = client.get(f"/api/v1/reports/{kind}.{fmt}", query)
    assert response.status_code == 200, response.content[:500]
    return response


def test_coverage_exports_open_in_real_readers(tmp_path: Any) -> None:
    client = client_for("planner", language="zh-hans")
    body = report(client, "coverage", level="community", n=400)
    rows = areas_table(body)
    names = {code: row["name"] for code, row in rows.items()}

    # CSV: UTF-8 with BOM, labels in the header, one row per community.
    response = download(client, "coverage", "csv", level="community", n=400)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="coverage-330106-community-n400.csv"' in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, data = records[0], records[1:]
    assert header[:3] == ["代码", "区域", "建筑物"]
    assert len(data) == 30
    first = {r[0]: r for r in data}["330106001001"]
    assert first[1] == names["330106001001"] == "保俶社区"
    assert int(first[2]) == rows["330106001001"]["buildings"]
    assert float(first[4]) == pytest.approx(rows["330106001001"]["share_toilet"], abs=1e-6)
    services_csv = download(client, "coverage", "csv", n=400, table="services").content
    assert len(list(csv.reader(io.StringIO(services_csv.decode("utf-8-sig"))))) == 4

    # XLSX: an about sheet and one sheet per table, typed cells.
    book = load_workbook(
        io.BytesIO(download(client, "coverage", "xlsx", level="community", n=400).content)
    )
    assert book.sheetnames == ["报告", "按区域", "按服务设施"]
    sheet = book["按区域"]
    assert sheet.max_row == 31
    xlsx_rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert xlsx_rows["330106001001"][2] == rows["330106001001"]["buildings"]
    assert sheet["E2"].number_format == "0.0%"
    about = [r for r in book["报告"].iter_rows(values_only=True)]
    assert about[0][0] == "服务覆盖"
    assert ("距离 N", "400 m") in [(r[0], r[1]) for r in about]

    # GeoPackage: the areas as polygons (EPSG:4490) with the figures, plus the services table.
    path = tmp_path / "coverage.gpkg"
    path.write_bytes(download(client, "coverage", "gpkg", level="community", n=400).content)
    layers = dict(list_layers(path))
    assert layers == {"coverage_community": "MultiPolygon", "coverage_services": None}
    meta, _fids, geometries, fields = read_gpkg(path, layer="coverage_community")
    assert meta["crs"] == "EPSG:4490"
    assert len(geometries) == 30
    columns = dict(zip(meta["fields"], fields, strict=True))
    by_code = {code: i for i, code in enumerate(columns["code"])}
    i = by_code["330106001001"]
    assert columns["name"][i] == "保俶社区"
    assert columns["buildings"][i] == rows["330106001001"]["buildings"]
    assert columns["share_toilet"][i] == pytest.approx(rows["330106001001"]["share_toilet"])
    community = AdminArea.objects.get(code="330106001001").boundary
    assert shapely.from_wkb(geometries[i]).equals_exact(
        shapely.from_wkb(bytes(community.wkb)), tolerance=1e-9
    )
    meta, _f, geometries, fields = read_gpkg(path, layer="coverage_services")
    assert geometries is None and len(fields[0]) == 3

    # PDF: the map page, the chart and the tables, Chinese text embedded and extractable.
    pdf = PdfReader(
        io.BytesIO(download(client, "coverage", "pdf", level="community", n=400).content)
    )
    assert len(pdf.pages) >= 3
    first_page = pdf.pages[0].extract_text()
    assert "服务覆盖" in first_page and "西湖区" in first_page and "400 m" in first_page
    assert pdf.pages[1].images, "the map is an image on the page after the title page"
    text = "".join(page.extract_text() for page in pdf.pages)
    assert all(name in text for name in names.values())
    assert pdf.metadata is not None and pdf.metadata.title == "服务覆盖"


@pytest.mark.parametrize("kind", ["counts", "condition", "quality", "edits"])
def test_every_report_exports_a_pdf_and_a_geopackage(kind: str, tmp_path: Any) -> None:
    client = client_for("street_admin", language="zh-hans")
    body = report(client, kind)
    assert body["area"]["code"] == "330106001" and body["level"] == "community"
    path = tmp_path / f"{kind}.gpkg"
    path.write_bytes(download(client, kind, "gpkg").content)
    layers = dict(list_layers(path))
    assert layers[f"{kind}_community"] == "MultiPolygon"
    assert len(layers) == len(body["tables"])
    _meta, _f, geometries, _fields = read_gpkg(path, layer=f"{kind}_community")
    assert len(geometries) == len(body["tables"][0]["rows"]) == 5
    pdf = PdfReader(io.BytesIO(download(client, kind, "pdf").content))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert body["title"] in text and "北山街道" in text
    assert len(pdf.pages) >= 2


def test_metric_picks_the_mapped_column_and_is_checked() -> None:
    client = client_for("planner")
    body = report(client, "condition", metric="share_missing")
    assert body["metric"] == "share_missing"
    pdf = PdfReader(
        io.BytesIO(download(client, "condition", "pdf", metric="share_missing").content)
    )
    assert len(pdf.pages) >= 2
    response = client.get("/api/v1/reports/condition/", {"metric": "buildings"})
    assert response.status_code == 400 and response.json()["field"] == "metric"
