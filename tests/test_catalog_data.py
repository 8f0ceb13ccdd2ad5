"""The component catalog data module: agreement with the shared CSV and valid attribute schemas.

Plain tests: no database.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from component_catalog.catalog_data import (
    CLASSES,
    GEOMETRY_TYPES,
    MAJOR_CLASSES,
    class_by_code,
)

CSV_PATH = Path(__file__).resolve().parents[2] / "shared/data/catalog/component_classes.csv"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _csv_rows() -> list[dict[str, str]]:
    if not CSV_PATH.exists():
        pytest.skip(f"shared catalog CSV not found at {CSV_PATH} (shared data not mounted)")
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _validator(code: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(class_by_code()[code]["attributes"])


def _errors(code: str, attributes: dict[str, Any]) -> list[str]:
    return [error.message for error in _validator(code).iter_errors(attributes)]


# ---- structure ---------------------------------------------------------------------------


def test_six_major_classes() -> None:
    assert len(MAJOR_CLASSES) == 6
    assert [major["code"] for major in MAJOR_CLASSES] == ["01", "02", "03", "04", "05", "06"]
    for major in MAJOR_CLASSES:
        assert set(major) == {"code", "name_zh", "name_en"}
        assert CJK.search(major["name_zh"])
        assert major["name_en"]


def test_codes_unique_and_well_formed() -> None:
    codes = [cls["code"] for cls in CLASSES]
    assert len(codes) == len(set(codes))
    assert len(class_by_code()) == len(CLASSES)
    majors = {major["code"] for major in MAJOR_CLASSES}
    for cls in CLASSES:
        assert re.fullmatch(r"\d{4}", cls["code"]), cls["code"]
        assert cls["major"] in majors
        assert cls["code"][:2] == cls["major"]


def test_class_keys_and_value_types() -> None:
    expected = {
        "code",
        "major",
        "name_zh",
        "name_en",
        "geometry",
        "public",
        "accuracy_m",
        "attributes",
    }
    for cls in CLASSES:
        assert set(cls) == expected, cls["code"]
        assert cls["geometry"] in GEOMETRY_TYPES
        assert cls["geometry"] in {"point", "line", "polygon"}
        assert isinstance(cls["public"], bool)
        assert isinstance(cls["accuracy_m"], float)
        assert 0 < cls["accuracy_m"] <= 5


def test_class_by_code_lookup() -> None:
    lookup = class_by_code()
    assert lookup["0301"]["name_zh"] == "公共厕所"
    assert lookup["0101"]["geometry"] == "point"


# ---- agreement with the shared CSV -------------------------------------------------------


def test_every_csv_minor_class_is_present_with_same_facts() -> None:
    rows = [row for row in _csv_rows() if row["major_code"]]
    assert rows, "the CSV has no minor classes"
    lookup = class_by_code()
    for row in rows:
        cls = lookup.get(row["code"])
        assert cls is not None, f"minor class {row['code']} missing from CLASSES"
        assert cls["major"] == row["major_code"]
        assert cls["name_zh"] == row["name_zh"]
        assert cls["name_en"] == row["name_en"]
        assert cls["geometry"] == row["geometry"]
    assert {row["code"] for row in rows} == set(lookup)


def test_every_csv_major_class_is_present_with_same_names() -> None:
    rows = [row for row in _csv_rows() if not row["major_code"]]
    by_code = {major["code"]: major for major in MAJOR_CLASSES}
    assert {row["code"] for row in rows} == set(by_code)
    for row in rows:
        assert by_code[row["code"]]["name_zh"] == row["name_zh"]
        assert by_code[row["code"]]["name_en"] == row["name_en"]


# ---- public flag and accuracy ------------------------------------------------------------

# Manhole covers 0101-0112 and 0114; 0104 is the storm-drain grate, 0113 the fire facilities.
MANHOLE_CODES = [f"01{n:02d}" for n in range(1, 13) if n != 4] + ["0114"]


def test_public_flags() -> None:
    lookup = class_by_code()
    for code in MANHOLE_CODES + ["0104", "0115", "0116", "0210", "0302", "0503", "0602"]:
        assert lookup[code]["public"] is False, code
    for code in ["0201", "0215", "0301", "0401", "0402", "0405", "0407", "0126", "0501"]:
        assert lookup[code]["public"] is True, code
    for code in ["0502", "0305", "0212", "0113", "0118", "0203", "0121", "0123", "0124"]:
        assert lookup[code]["public"] is True, code


def test_accuracy_thresholds() -> None:
    lookup = class_by_code()
    for code in MANHOLE_CODES + ["0104", "0113"]:
        assert lookup[code]["accuracy_m"] == 0.5, code
    for code in ["0401", "0402", "0407", "0301"]:
        assert lookup[code]["accuracy_m"] == 1.0, code
    for cls in CLASSES:
        if cls["geometry"] != "point":
            assert cls["accuracy_m"] == 2.0, cls["code"]


# ---- attribute schemas -------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls["code"])
def test_schema_is_valid_draft_2020_12(cls: dict[str, Any]) -> None:
    schema = cls["attributes"]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert isinstance(schema["properties"], dict)
    # The empty object is always valid: every class-specific attribute is optional.
    assert _errors(cls["code"], {}) == []


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls["code"])
def test_every_property_has_zh_title_and_en_description(cls: dict[str, Any]) -> None:
    for name, prop in cls["attributes"]["properties"].items():
        where = f"{cls['code']}.{name}"
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), where
        assert isinstance(prop.get("title"), str) and CJK.search(prop["title"]), where
        assert isinstance(prop.get("description"), str) and prop["description"], where
        assert re.search(r"[A-Za-z]{3}", prop["description"]), where


def test_schemas_are_not_shared_between_classes() -> None:
    ids = [id(cls["attributes"]) for cls in CLASSES]
    assert len(ids) == len(set(ids))
    first, second = class_by_code()["0101"], class_by_code()["0102"]
    assert first["attributes"]["properties"] is not second["attributes"]["properties"]


def test_manhole_covers_share_the_cover_attributes() -> None:
    for code in MANHOLE_CODES:
        props = class_by_code()[code]["attributes"]["properties"]
        assert set(props) == {"material", "shape", "size_mm", "depth_m"}, code


VALID_SAMPLES = [
    ("0101", {"material": "球墨铸铁", "shape": "圆形", "size_mm": 700, "depth_m": 1.8}),
    ("0111", {"material": "复合材料", "shape": "方形", "size_mm": 600}),
    ("0104", {"material": "铸铁", "size_mm": 750}),
    (
        "0201",
        {
            "capacity": 320,
            "charging_spaces": 24,
            "accessible_spaces": 4,
            "fee": "收费",
            "fee_description": "首小时5元，之后每小时2元",
            "opening_hours": "Mo-Su 00:00-24:00",
            "operator_note": "物业管理，夜间仅限业主车辆",
        },
    ),
    ("0201", {"capacity": 0, "fee": "免费", "opening_hours": "24/7"}),
    ("0201", {"opening_hours": "Mo-Fr 07:00-19:00; Sa,Su,PH 08:00-18:00"}),
    ("0201", {"opening_hours": 'Mo-Su 06:00-22:00 "节假日照常开放"'}),
    ("0215", {"capacity": 18, "fee": "收费", "opening_hours": "Mo-Su 07:00-21:00"}),
    (
        "0301",
        {
            "opening_hours": "Mo-Su 05:30-23:00",
            "accessible": True,
            "baby_care_room": True,
            "fee": "免费",
            "gender_neutral_room": False,
            "level": "一类",
        },
    ),
    (
        "0401",
        {
            "species": "香樟",
            "species_latin": "Cinnamomum camphora",
            "dbh_cm": 185.5,
            "height_m": 22,
            "crown_m": 25,
            "protection_grade": "二级",
            "estimated_age_years": 350,
            "tag_number": "330106-0012",
        },
    ),
    ("0402", {"species": "悬铃木", "dbh_cm": 35, "height_m": 12.5}),
    (
        "0502",
        {
            "capacity_persons": 1200,
            "area_m2": 2400.5,
            "entrance_description": "小区3号楼北侧地下车库入口",
            "protection_level": "核6级",
            "peacetime_use": "地下停车库",
        },
    ),
    ("0305", {"sorted": True, "volume_l": 240, "bin_type": "厨余垃圾"}),
    ("0407", {"material": "塑木", "seats": 3}),
    ("0501", {"width_m": 2.4, "height_m": 1.2, "content_owner": "社区居委会"}),
    ("0113", {"hydrant_type": "地上式", "pressure_mpa": 0.35, "pipe_diameter_mm": 100}),
    ("0118", {"lamp_type": "LED", "pole_height_m": 10, "power_w": 120}),
    ("0203", {"routes": ["7路", "B1", "K155"]}),
    ("0405", {"area_m2": 5300, "vegetation": "乔灌草结合"}),
    ("0123", {"collection_times": "Mo-Fr 09:00,16:00; Sa 10:00"}),
    ("0602", {"project_name": "某小区改造工程", "start_date": "2024-03-01"}),
]


@pytest.mark.parametrize(("code", "attributes"), VALID_SAMPLES)
def test_valid_samples_validate(code: str, attributes: dict[str, Any]) -> None:
    assert _errors(code, attributes) == []


INVALID_SAMPLES = [
    pytest.param("0101", {"network": "供水"}, id="manhole-unknown-property"),
    pytest.param("0101", {"material": "木头"}, id="manhole-wrong-material"),
    pytest.param("0101", {"shape": "三角形"}, id="manhole-wrong-shape"),
    pytest.param("0101", {"size_mm": 100}, id="manhole-too-small"),
    pytest.param("0101", {"size_mm": 700.5}, id="manhole-size-not-integer"),
    pytest.param("0101", {"depth_m": -1}, id="manhole-negative-depth"),
    pytest.param("0201", {"capacity": -1}, id="parking-negative-capacity"),
    pytest.param("0201", {"capacity": 20001}, id="parking-capacity-too-large"),
    pytest.param("0201", {"charging_spaces": -3}, id="parking-negative-charging"),
    pytest.param("0201", {"fee": "free"}, id="parking-wrong-fee"),
    pytest.param("0201", {"opening_hours": "全天开放"}, id="parking-hours-not-osm"),
    pytest.param("0201", {"opening_hours": ""}, id="parking-hours-empty"),
    pytest.param("0201", {"opening_hours": "24/7\nMo"}, id="parking-hours-newline"),
    pytest.param("0201", {"fee_description": "x" * 201}, id="parking-fee-text-too-long"),
    pytest.param("0201", {"colour": "blue"}, id="parking-unknown-property"),
    pytest.param("0215", {"capacity": -5}, id="street-parking-negative-capacity"),
    pytest.param("0301", {"level": "四类"}, id="toilet-wrong-level"),
    pytest.param("0301", {"accessible": "是"}, id="toilet-accessible-not-bool"),
    pytest.param("0301", {"fee": "收费", "shower": True}, id="toilet-unknown-property"),
    pytest.param("0401", {"dbh_cm": 0}, id="tree-dbh-zero"),
    pytest.param("0401", {"protection_grade": "四级"}, id="tree-wrong-grade"),
    pytest.param("0401", {"estimated_age_years": 50}, id="tree-too-young-for-ancient"),
    pytest.param("0401", {"height_m": 120}, id="tree-too-tall"),
    pytest.param("0402", {"dbh_cm": 0}, id="street-tree-dbh-zero"),
    pytest.param("0402", {"protection_grade": "一级"}, id="street-tree-no-grade"),
    pytest.param("0502", {"capacity_persons": 0}, id="shelter-zero-capacity"),
    pytest.param("0502", {"area_m2": 0}, id="shelter-zero-area"),
    pytest.param("0502", {"protection_level": "核4级"}, id="shelter-wrong-level"),
    pytest.param("0305", {"bin_type": "电子垃圾"}, id="bin-wrong-type"),
    pytest.param("0407", {"seats": 0}, id="bench-no-seats"),
    pytest.param("0113", {"pressure_mpa": 3}, id="hydrant-pressure-too-high"),
    pytest.param("0113", {"hydrant_type": "墙壁式"}, id="hydrant-wrong-type"),
    pytest.param("0118", {"lamp_type": "白炽灯"}, id="light-wrong-lamp"),
    pytest.param("0203", {"routes": [f"{n}路" for n in range(51)]}, id="shelter-too-many"),
    pytest.param("0203", {"routes": "7路"}, id="bus-routes-not-array"),
]


@pytest.mark.parametrize(("code", "attributes"), INVALID_SAMPLES)
def test_invalid_samples_fail(code: str, attributes: dict[str, Any]) -> None:
    assert _errors(code, attributes), f"{attributes!r} should not validate for {code}"
