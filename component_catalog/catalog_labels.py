"""Display names of the catalog's class attributes and choices in other languages.

The attribute schemas keep the standard's Chinese: ``title`` is the Chinese label and the
``enum`` values are what is stored (a component says ``"material": "铸铁"`` in every
language). Translations travel with the schema as an annotation keyword, which JSON Schema
validators ignore::

    "material": {"title": "材质", "enum": ["铸铁", ...],
                 "x-i18n": {"en": {"title": "Material", "enum": {"铸铁": "Cast iron", ...}}}}

Migration ``component_catalog.0014`` wrote the tables below into the catalog's stored
schemas; an administrator adds ``x-i18n`` to a local class's schema the same way. Reading
falls back to these tables (by the Chinese text) and then to the property's key in words,
so an English page never shows a Chinese label for a schema that lacks its annotation.

This module is pure Python (no Django imports), like ``catalog_data``, so the migration can
use it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

I18N_KEY = "x-i18n"
#: The labels of ``enum`` values in the language asked for, added by ``localized``.
ENUM_LABELS_KEY = "x-enum-labels"

#: English labels of the catalog's property titles, by Chinese title.
TITLES_EN: dict[str, str] = {
    "井深（米）": "Well depth (m)",
    "估测树龄（年）": "Estimated age (years)",
    "作品名称": "Title of the work",
    "作者": "Artist",
    "保护等级": "Protection grade",
    "信号灯类型": "Signal type",
    "充电泊位数": "EV charging spaces",
    "光源类型": "Light source",
    "公厕类别": "Toilet grade",
    "内容管理单位": "Content managed by",
    "冠幅（米）": "Crown spread (m)",
    "净空高度（米）": "Clearance (m)",
    "出入口说明": "Entrances",
    "功率（瓦）": "Power (W)",
    "压力（兆帕）": "Pressure (MPa)",
    "售卖商品": "Goods sold",
    "器材数量": "Number of machines",
    "器材类型": "Equipment",
    "垃圾类别": "Waste category",
    "安装方式": "Mounting",
    "容积（立方米）": "Volume (m³)",
    "容量（升）": "Capacity (L)",
    "宽度（米）": "Width (m)",
    "尺寸（毫米）": "Size (mm)",
    "层数": "Storeys",
    "平时用途": "Peacetime use",
    "座位数": "Seats",
    "开工日期": "Construction start",
    "开放时间": "Opening hours",
    "开箱时间": "Collection times",
    "形状": "Shape",
    "拉丁学名": "Scientific name",
    "挂牌编号": "Tag number",
    "指示距离（米）": "Distance shown (m)",
    "掩蔽人数": "Shelters (persons)",
    "收费情况": "Charges",
    "收费标准": "Tariff",
    "施工许可证号": "Construction permit no.",
    "无障碍泊位数": "Accessible parking spaces",
    "是否分类": "Sorted waste",
    "是否发光": "Illuminated",
    "是否可交互": "Interactive",
    "是否可用": "In service",
    "是否无障碍": "Wheelchair accessible",
    "是否有倒计时": "Countdown display",
    "是否有母婴室": "Baby-care room",
    "是否有电梯": "Lift",
    "是否有第三卫生间": "Family / gender-neutral room",
    "是否有顶棚": "Covered",
    "服务泊位数": "Spaces served",
    "材质": "Material",
    "标志内容": "Sign text",
    "标志类型": "Sign type",
    "树种": "Species",
    "树高（米）": "Tree height (m)",
    "植被": "Vegetation",
    "泊位数": "Parking spaces",
    "消火栓类型": "Hydrant type",
    "灯杆高度（米）": "Pole height (m)",
    "现用途": "Current use",
    "用途": "Use",
    "电压等级（千伏）": "Voltage (kV)",
    "监测项目": "Measured parameters",
    "管径（毫米）": "Pipe diameter (mm)",
    "经营管理说明": "Operator notes",
    "绿地类别": "Green-space category",
    "胸径（厘米）": "Trunk diameter (cm)",
    "计划竣工日期": "Planned completion",
    "设施类型": "Facility type",
    "跨越河道": "River crossed",
    "路名": "Road name",
    "路名拼音": "Road name (pinyin)",
    "车位数": "Parking spaces",
    "途经线路": "Routes",
    "长度（米）": "Length (m)",
    "防护等级": "Protection class",
    "面积（平方米）": "Area (m²)",
    "项目名称": "Project name",
    "高度（米）": "Height (m)",
    "线路名称": "Route name",
}

#: English labels of the catalog's choices (``enum`` values), by stored Chinese value.
#: Values already in Latin letters (LED, PM2.5, ...) need no entry.
CHOICES_EN: dict[str, str] = {
    "一类": "Grade 1",
    "二类": "Grade 2",
    "三类": "Grade 3",
    "一级": "Grade I",
    "二级": "Grade II",
    "三级": "Grade III",
    "不锈钢": "Stainless steel",
    "人行横道信号灯": "Pedestrian crossing signal",
    "方向指示信号灯": "Direction signal",
    "机动车信号灯": "Motor-vehicle signal",
    "非机动车信号灯": "Cycle signal",
    "作业区标志": "Work-zone sign",
    "告示标志": "Notice sign",
    "指示标志": "Mandatory sign",
    "指路标志": "Direction sign",
    "旅游区标志": "Tourist sign",
    "禁令标志": "Prohibitory sign",
    "警告标志": "Warning sign",
    "辅助标志": "Supplementary sign",
    "免费": "Free",
    "收费": "Charged",
    "公园绿地": "Park",
    "防护绿地": "Protective green",
    "广场用地": "Square",
    "附属绿地": "Attached green",
    "区域绿地": "Regional green",
    "其他": "Other",
    "可回收物": "Recyclables",
    "有害垃圾": "Hazardous waste",
    "厨余垃圾": "Food waste",
    "其他垃圾": "Residual waste",
    "混合": "Mixed",
    "噪声": "Noise",
    "温湿度": "Temperature and humidity",
    "风速风向": "Wind speed and direction",
    "圆形": "Round",
    "方形": "Square",
    "矩形": "Rectangular",
    "地上式": "Above ground",
    "地下式": "Underground",
    "室外消火栓": "Outdoor hydrant",
    "消防取水口": "Fire-water intake",
    "消防水泵接合器": "Fire-pump connection",
    "消防水鹤": "Fire-water crane",
    "塑料": "Plastic",
    "塑木": "Wood-plastic composite",
    "复合材料": "Composite",
    "木材": "Wood",
    "混凝土": "Concrete",
    "玻璃": "Glass",
    "玻璃钢": "Fibreglass",
    "球墨铸铁": "Ductile iron",
    "铸铁": "Cast iron",
    "石材": "Stone",
    "砖砌": "Brick",
    "金属": "Metal",
    "钢": "Steel",
    "多杆合一": "Multi-purpose pole",
    "照明": "Lighting",
    "电力": "Power",
    "通信": "Telecom",
    "常5级": "Conventional class 5",
    "常6级": "Conventional class 6",
    "核5级": "Nuclear class 5",
    "核6级": "Nuclear class 6",
    "核6B级": "Nuclear class 6B",
    "挂墙式": "Wall-mounted",
    "架空式": "Overhead",
    "落地式": "Floor-standing",
    "环网柜": "Ring main unit",
    "电缆分支箱": "Cable branch box",
    "箱式变电站": "Package substation",
    "配电箱": "Distribution box",
    "高压钠灯": "High-pressure sodium",
}

_TABLES: dict[str, tuple[dict[str, str], dict[str, str]]] = {"en": (TITLES_EN, CHOICES_EN)}
_HAN = re.compile(r"[\u3400-\u9fff]")


def language_key(language: str | None) -> str | None:
    """The table key of a Django language code: ``"en"`` for en, en-gb ...; None for
    Chinese (the schema's own text)."""
    code = (language or "").lower()
    if code.startswith("zh") or not code:
        return None
    return code.split("-")[0]


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def _children(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """Schemas nested in a property: its items and an object's properties."""
    out = [p for p in _properties(prop).values() if isinstance(p, dict)]
    items = prop.get("items")
    if isinstance(items, dict):
        out.append(items)
    return out


def annotate(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` with ``x-i18n`` on every property (and nested item) whose
    title or choices the tables know; existing annotations are kept."""
    out = copy.deepcopy(schema)

    def visit(node: dict[str, Any]) -> None:
        for lang, (titles, choices) in _TABLES.items():
            entry: dict[str, Any] = {}
            if isinstance(node.get("title"), str) and node["title"] in titles:
                entry["title"] = titles[node["title"]]
            enum = node.get("enum")
            if isinstance(enum, list):
                labels = {v: choices[v] for v in enum if isinstance(v, str) and v in choices}
                if labels:
                    entry["enum"] = labels
            if entry:
                i18n = node.setdefault(I18N_KEY, {})
                if isinstance(i18n, dict):
                    i18n.setdefault(lang, entry)
        for child in _children(node):
            visit(child)

    for prop in _properties(out).values():
        if isinstance(prop, dict):
            visit(prop)
    return out


_UNITS = {
    "mm": ("mm", "毫米"),
    "cm": ("cm", "厘米"),
    "m": ("m", "米"),
    "m2": ("m²", "平方米"),
    "m3": ("m³", "立方米"),
    "l": ("L", "升"),
    "kv": ("kV", "千伏"),
    "w": ("W", "瓦"),
    "mpa": ("MPa", "兆帕"),
    "years": ("a", "年"),
}
_UNIT_RE = re.compile(r"_(mm|cm|m2|m3|m|l|kv|w|mpa|years)$")


def _words(key: str, chinese: bool = False) -> str:
    """A property's key in words, its unit suffix spelled out: ``pipe_diameter_mm`` ->
    "Pipe diameter (mm)" (or "(毫米)")."""
    match = _UNIT_RE.search(key)
    base = _UNIT_RE.sub("", key).replace("_", " ").strip().capitalize() or key
    if not match:
        return base
    return f"{base} ({_UNITS[match.group(1)][1 if chinese else 0]})"


def title(prop: dict[str, Any], key: str, language: str | None) -> str:
    """The label of property ``key`` (schema ``prop``) in ``language``."""
    own = prop.get("title") if isinstance(prop.get("title"), str) else None
    lang = language_key(language)
    if lang is None:
        return own or _words(key, chinese=True)
    i18n = prop.get(I18N_KEY)
    entry = i18n.get(lang) if isinstance(i18n, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("title"), str):
        return str(entry["title"])
    titles = _TABLES.get(lang, ({}, {}))[0]
    if own and own in titles:
        return titles[own]
    if own and not _HAN.search(own):
        return own
    return _words(key)


def choice(prop: dict[str, Any], value: Any, language: str | None) -> str:
    """The label of the stored ``value`` of property ``prop`` in ``language``; values the
    language has no label for are shown as stored."""
    text = str(value)
    lang = language_key(language)
    if lang is None:
        return text
    i18n = prop.get(I18N_KEY)
    entry = i18n.get(lang) if isinstance(i18n, dict) else None
    labels = entry.get("enum") if isinstance(entry, dict) else None
    if isinstance(labels, dict) and isinstance(labels.get(text), str):
        return str(labels[text])
    return _TABLES.get(lang, ({}, {}))[1].get(text, text)


def localized(schema: dict[str, Any], language: str | None) -> dict[str, Any]:
    """A copy of ``schema`` for display in ``language``: every property's ``title`` in
    that language and, beside each ``enum`` (whose values stay as stored), ``x-enum-labels``
    mapping each value to its label. Chinese gets the schema's own text."""
    out = copy.deepcopy(schema)
    if language_key(language) is None:
        return out

    def visit(key: str, node: dict[str, Any]) -> None:
        node["title"] = title(node, key, language)
        enum = node.get("enum")
        if isinstance(enum, list):
            node[ENUM_LABELS_KEY] = {str(v): choice(node, v, language) for v in enum}
        for name, child in _properties(node).items():
            if isinstance(child, dict):
                visit(name, child)
        items = node.get("items")
        if isinstance(items, dict):
            visit(key, items)

    for name, prop in _properties(out).items():
        if isinstance(prop, dict):
            visit(name, prop)
    return out
