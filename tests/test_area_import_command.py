"""``manage.py import_areas``: the readable per-feature report, exit status, dry run, code
map, and the refusals that change nothing (issue 18, item 1)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from layers.models import AdminArea, AreaHistory, GridCell
from tests.conftest import SHARED_DATA
from tests.test_area_import import (
    DATAV,
    STREET_TOLERANCE_M,
    XIACHENG,
    counts,
    need,
    real_city_outline,
)

pytestmark = pytest.mark.django_db

CITIES_GBK = SHARED_DATA / "china_cities_shp_gbk_nocpg" / "res2_4m.shp"


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def root() -> Any:
    return get_user_model().objects.create_superuser("area_cmd", "cmd@example.org", "x-pass-2019")


def run(*args: Any) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_areas", *[str(a) for a in args], stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
        out.write(f"\nCommandError: {exc}")
    return code, out.getvalue() + err.getvalue()


def districts(user: str) -> tuple[int, str]:
    real_city_outline(get_user_model().objects.get(username=user))
    return run(
        need(DATAV), "--level", "district", "--code-field", "adcode", "--name-field", "name",
        "--crs", "GCJ02", "--user", user, "--comment", "DataV districts",
    )  # fmt: skip


def test_the_gbk_points_are_refused_with_their_names_decoded(root: Any) -> None:
    before = counts()
    code, out = run(
        need(CITIES_GBK), "--level", "city", "--code-field", "ADCODE99", "--name-field", "NAME",
        "--user", "area_cmd",
    )  # fmt: skip
    assert code == 1 and counts() == before
    assert "crs" in out and "EPSG:4490" in out  # no .prj: the CRS is asked for, not guessed
    code, out = run(
        CITIES_GBK, "--level", "city", "--code-field", "ADCODE99", "--name-field", "NAME",
        "--crs", "EPSG:4326", "--user", "area_cmd",
    )  # fmt: skip
    assert code == 1 and counts() == before
    assert "row 85, code 330101, 杭州: REFUSED" in out
    assert "row 85 is a Point, not an area" in out
    assert "encoding GB18030 (detected)" in out
    assert "Nothing was stored." in out


def test_streets_with_the_default_tolerance_then_a_stated_one(root: Any) -> None:
    code, out = districts("area_cmd")
    assert code == 0, out  # the generated 西湖区 of the test database is replaced
    streets = XIACHENG / "xiacheng_streets.geojson"
    args = [
        need(streets), "--level", "street", "--code-field", "街道编码", "--name-field", "街道",
        "--parent", "330103", "--codes-by-name", "--user", "area_cmd",
    ]  # fmt: skip
    code, out = run(*args)
    assert code == 1
    assert "code WH, 文晖街道: REFUSED" in out and "m2 outside" in out
    before = counts()
    code, out = run(*args, "--tolerance", STREET_TOLERANCE_M, "--dry-run")
    assert code == 0 and counts() == before
    assert "Dry run: nothing was stored." in out
    assert "code SQ, 石桥街道: new -> 330103009 (code mapped by name)" in out
    code, out = run(*args, "--tolerance", STREET_TOLERANCE_M)
    assert code == 0, out
    assert AdminArea.objects.filter(parent_id="330103").count() == 8


def test_a_code_map_and_the_history(root: Any, tmp_path: Path) -> None:
    code, out = districts("area_cmd")
    assert code == 0, out
    streets = need(XIACHENG / "xiacheng_streets.geojson")
    code_map = tmp_path / "codes.csv"
    rows = ["source_code,standard_code"] + [
        f"{s},{c}"
        for s, c in [
            ("SQ", "330103009"), ("DX", "330103008"), ("CM", "330103005"), ("ZH", "330103006"),
            ("CQ", "330103001"), ("WL", "330103002"), ("TS", "330103003"), ("WH", "330103007"),
        ]
    ]  # fmt: skip
    code_map.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = [
        streets, "--level", "street", "--code-field", "街道编码", "--name-field", "街道",
        "--parent", "330103", "--code-map", code_map, "--tolerance", STREET_TOLERANCE_M,
        "--user", "area_cmd", "--comment", "streets of 2019",
    ]  # fmt: skip
    code, out = run(*args)
    assert code == 0, out
    assert "(code mapped by the code map)" in out
    assert AdminArea.objects.get(code="330103007").name == "文晖街道"
    history = AreaHistory.objects.get(code="330103007")
    assert (history.version, history.action, history.comment) == (1, "create", "streets of 2019")
    # the same again: unchanged, no new version
    code, out = run(*args)
    assert code == 0 and "8 unchanged" in out
    assert AreaHistory.objects.filter(code="330103007").count() == 1
    # a map line that is not a code is refused naming the map and the line
    code_map.write_text("SQ,3301030X9\n", encoding="utf-8")
    code, out = run(*args)
    assert code == 1 and "(code_map)" in out and "line 1" in out


def test_a_user_is_required_and_unknown_fields_are_named(root: Any) -> None:
    before = counts()
    code, out = run(need(DATAV), "--level", "district", "--code-field", "adcode",
                    "--name-field", "name", "--crs", "GCJ02")  # fmt: skip
    assert code == 1 and "--user" in out
    code, out = run(DATAV, "--level", "district", "--code-field", "code", "--name-field", "name",
                    "--crs", "GCJ02", "--user", "area_cmd")  # fmt: skip
    assert code == 1 and "(code_field)" in out and "no field code" in out and "adcode" in out
    assert counts() == before and GridCell.objects.count() == before[1]
