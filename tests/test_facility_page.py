"""The facility page as a resident reads it, and the catalog's labels in English: opening
hours in words with open/closed now, a car park's free spaces now (as the availability
feed says), attribute labels and choices translated on English pages and in the class
API the survey form reads; values stay stored as the standard names them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from component_catalog.models import Component
from tests.components_helpers import Api, inside
from tests.ogc_data import toilet
from tests.parking_support import event, make_lot, send

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u3400-\u9fff]")


def rows(html: str) -> dict[str, str]:
    """The page's label -> value rows (tags stripped)."""
    found = re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    return {
        re.sub(r"<[^>]+>|\s+", " ", k).strip(): re.sub(r"<[^>]+>|\s+", " ", v).strip()
        for k, v in found
    }


def make_toilet(hours: str, **attributes: Any) -> str:
    feature = toilet("马塍路公厕", inside("330106001001", 1))
    feature["properties"]["attributes"].update({"opening_hours": hours, **attributes})
    created = Api("district_admin").create(feature)
    assert created.status_code == 201, created.content
    return str(created.json()["id"])


def open_now_badge(html: str) -> str | None:
    """The text of the page's open/closed-now badge, if it has one."""
    found = re.findall(r'id="open-now">([^<]*)<', html)
    assert len(found) <= 1
    return found[0] if found else None


def test_opening_hours_read_in_words_with_open_or_closed_now(client: Client) -> None:
    ident = make_toilet("Mo-Fr 08:00-18:00; Sa,Su off")
    zh = client.get(f"/facilities/{ident}/").content.decode()
    assert "周一至周五 08:00-18:00" in zh and "周六、周日 休息" in zh
    assert open_now_badge(zh) in ("营业中", "已关闭")
    assert "Mo-Fr" not in zh
    en = client.get(f"/facilities/{ident}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mon to Fri 08:00-18:00" in en and "Sat, Sun closed" in en
    assert open_now_badge(en) in ("Open now", "Closed now")


def test_hours_it_cannot_read_are_shown_as_written(client: Client) -> None:
    ident = make_toilet("sunrise-sunset")
    html = client.get(f"/facilities/{ident}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert rows(html)["Opening hours"] == "sunrise-sunset"
    assert open_now_badge(html) is None


def test_english_page_has_no_chinese_label_or_choice(client: Client) -> None:
    ident = make_toilet("24/7", level="一类", fee="收费")
    html = client.get(f"/facilities/{ident}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    found = rows(html)
    labels = [k for k in found if HAN.search(k)]
    assert labels == [], labels
    assert found["Charges"] == "Charged" and found["Grade"] == "Grade 1"
    assert found["Opening hours"].startswith("Open 24 hours")
    zh = rows(client.get(f"/facilities/{ident}/").content.decode())
    assert zh["收费情况"] == "收费" and zh["类别"] == "一类"
    # Only display is translated: the stored values are the standard's.
    assert Component.objects.get(identifier=ident).attributes["fee"] == "收费"


def test_a_car_park_shows_its_free_spaces_now(client: Client) -> None:
    lot = make_lot("文三路测试停车场", capacity=(30, 2, 1))
    events = [event(f"fp-{n}", "in", 20, f"浙A7{n:04d}") for n in range(5)]
    assert send(lot.gate, {"events": events}).status_code == 200
    feed = client.get("/api/v1/parking/availability/").json()["lots"]
    state = next(i for i in feed if i["id"] == lot.identifier)
    free, capacity = state["free"]["total"], state["capacity"]["total"]
    assert (free, capacity) == (28, 33)
    en = client.get(f"/facilities/{lot.identifier}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'id="parking-free"><strong>28 of 33 free</strong>', en)
    assert "Spaces available" in en
    assert [k for k in rows(en) if HAN.search(k)] == []
    zh = client.get(f"/facilities/{lot.identifier}/").content.decode()
    assert "当前空余车位" in zh and "28" in re.search(r'id="parking-free">(.*?)</p>', zh, re.S)[1]


def test_the_page_has_a_map_of_the_facility(client: Client) -> None:
    ident = make_toilet("24/7")
    html = client.get(f"/facilities/{ident}/").content.decode()
    assert "data-sc-map=" in html and "/static/map_ui/facility.js" in html
    assert '"facility": {"lat":' in html or '"facility":{"lat":' in html


@pytest.mark.parametrize("code", ["0101", "0301", "0201", "0407", "0502"])
def test_class_api_answers_in_english_without_chinese_labels(api_as: Any, code: str) -> None:
    client = api_as("city_admin")
    answer = client.get(f"/api/v1/component-classes/{code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200, answer.content
    schema = answer.json()["attribute_schema"]
    props = schema["properties"]
    assert props, code
    for name, prop in props.items():
        assert not HAN.search(prop["title"]), (name, prop["title"])
        for value, label in (prop.get("x-enum-labels") or {}).items():
            assert not HAN.search(label), (name, value, label)
        if prop.get("enum"):
            assert set(prop["x-enum-labels"]) == {str(v) for v in prop["enum"]}
    if code == "0101":
        material = props["material"]
        assert "铸铁" in material["enum"]  # the stored value
        assert material["x-enum-labels"]["铸铁"] == "Cast iron"
    zh = client.get(f"/api/v1/component-classes/{code}/").json()["attribute_schema"]["properties"]
    assert all(HAN.search(p["title"]) for p in zh.values())


def test_survey_form_classes_carry_english_labels_and_choices(client: Client) -> None:
    assert client.login(username="surveyor_water", password="demo-pass-2019")
    page = client.get("/survey/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    classes = page.context["classes"]
    assert classes
    checked = 0
    for klass in classes:
        for name, prop in klass["schema"].get("properties", {}).items():
            assert not HAN.search(prop["title"]), (klass["code"], name, prop["title"])
            for label in (prop.get("x-enum-labels") or {}).values():
                assert not HAN.search(label), (klass["code"], name, label)
            checked += 1
    assert checked
    materials = [
        k["schema"]["properties"]["material"]
        for k in classes
        if "material" in k["schema"].get("properties", {})
    ]
    assert materials and materials[0]["x-enum-labels"]["铸铁"] == "Cast iron"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_menu_names_each_language_in_itself_and_the_site_has_an_icon(
    client: Client, language: str
) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    menu = re.search(r'<select id="lang-select".*?</select>', html, re.S)[0]
    names = [n.strip() for n in re.findall(r"<option[^>]*>(.*?)</option>", menu)]
    assert names == ["简体中文", "English"]
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)[1]
    served = client.get(icon)
    assert served.status_code == 200 and served["Content-Type"].startswith("image/svg+xml")
    svg = b"".join(served.streaming_content) if served.streaming else served.content
    assert svg.lstrip().startswith(b"<svg")
    old_style = client.get("/favicon.ico", follow=True)
    assert old_style.status_code == 200 and old_style.redirect_chain[-1][0] == icon


def test_stored_schemas_carry_their_english_and_local_classes_use_their_own(
    api_as: Any,
) -> None:
    from component_catalog.models import ComponentClass

    stored = ComponentClass.objects.get(code="0101").attribute_schema["properties"]["material"]
    assert stored["title"] == "材质" and "铸铁" in stored["enum"]  # the standard's text
    assert stored["x-i18n"]["en"] == {
        "title": "Material",
        "enum": {
            "铸铁": "Cast iron",
            "球墨铸铁": "Ductile iron",
            "复合材料": "Composite",
            "混凝土": "Concrete",
            "钢": "Steel",
            "其他": "Other",
        },
    }
    # A local extension class: its own annotation first, then the table, then the key.
    ComponentClass.objects.create(
        code="0198",
        major_id="01",
        name_zh="智能井盖传感器",
        name_en="Smart cover sensor",
        geometry_kind="point",
        attribute_schema={
            "type": "object",
            "properties": {
                "battery_state": {
                    "title": "电池状态",
                    "type": "string",
                    "enum": ["正常", "低电量"],
                    "x-i18n": {"en": {"title": "Battery", "enum": {"正常": "OK", "低电量": "Low"}}},
                },
                "material": {"title": "材质", "type": "string", "enum": ["钢", "塑料"]},
                "install_note": {"title": "安装备注", "type": "string"},
            },
        },
    )
    answer = api_as("city_admin").get("/api/v1/component-classes/0198/", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200, answer.content
    props = answer.json()["attribute_schema"]["properties"]
    assert props["battery_state"]["title"] == "Battery"
    assert props["battery_state"]["x-enum-labels"] == {"正常": "OK", "低电量": "Low"}
    assert props["material"]["x-enum-labels"] == {"钢": "Steel", "塑料": "Plastic"}
    assert props["install_note"]["title"] == "Install note"
