"""Component (部件) catalog facts, copied into the project as Python literals.

Source: ``shared/data/catalog/component_classes.csv`` -- the major and minor component classes
of China's digital urban-management classification (CJ/T 214-2007, carried on by
GB/T 30428.2) as used by deployed systems. Codes, Chinese and English names and geometry are
copied verbatim from that file; ``tests/test_catalog_data.py`` checks that they still agree.

This module is pure Python (no Django imports) so that migrations, management commands,
the API and tests can all use it.

Per minor class:

``code``
    4 digits: 2-digit major class + 2-digit minor class. Deployments add local extension codes
    (e.g. ``0127`` and up, or ``9x``); those are not listed here and must stay allowed by
    whatever consumes this module.
``major``
    the 2-digit major class code.
``geometry``
    ``"point"``, ``"line"`` or ``"polygon"``: the usual geometry of a surveyed feature.
``public``
    ``True`` if residents need or may be shown the facility (public map layers, resident
    apps); ``False`` for utility-network and security-sensitive or staff-only facilities.
``accuracy_m``
    GNSS horizontal-accuracy threshold (metres) a survey of the class must meet for its
    data source to count as measured (实测). Small objects on underground networks (manhole
    covers, drain grates, hydrants) need sub-metre positions: a maintenance crew has to find
    the exact cover among several within a few metres, often under parked cars or leaves, so
    0.5 m. Other point furniture and trees are large or isolated enough to be found again
    with 1.0 m. Lines and polygons are outlines whose vertices are partly digitised or
    estimated anyway, so 2.0 m.
``attributes``
    a JSON Schema (draft 2020-12) for the class-specific attributes, which come on top of the
    standard attributes every component carries (标识码, 名称, 主管部门, 权属单位, 养护单位,
    所在单元网格, 状态, 现势性, 初始日期, 变更日期, 数据来源, 照片, 备注). Those standard
    attributes are therefore never repeated in these schemas.
"""

from __future__ import annotations

from typing import Any

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

GEOMETRY_TYPES: tuple[str, ...] = ("point", "line", "polygon")

# Threshold classes for ``accuracy_m`` (see the module docstring for the rationale).
ACCURACY_NETWORK_POINT_M = 0.5  # manhole covers, drain grates, hydrants
ACCURACY_POINT_M = 1.0  # other point furniture, trees
ACCURACY_OUTLINE_M = 2.0  # lines and polygons

# Loose check for OSM ``opening_hours`` / ``collection_times`` style values such as
# "24/7", "Mo-Su 00:00-24:00", "Mo-Fr 08:00-12:00,13:30-17:30; Sa,Su,PH off",
# "sunrise-sunset" or 'Mo-Su 06:00-22:00 "节假日照常"': ASCII tokens, with free text
# (including Chinese) allowed only inside double quotes, as in OSM.
OSM_HOURS_PATTERN = r'^(?:[A-Za-z0-9 :;,.+\-/\[\]()|!?%]|"[^"\r\n]*")+$'

# --------------------------------------------------------------------------------------------
# Schema building blocks. Each helper returns a new dict, so no two classes share (and could
# accidentally mutate) the same schema object.
# --------------------------------------------------------------------------------------------

MANHOLE_MATERIALS = ["铸铁", "球墨铸铁", "复合材料", "混凝土", "钢", "其他"]
MANHOLE_SHAPES = ["圆形", "方形", "矩形"]
FURNITURE_MATERIALS = [
    "金属",
    "不锈钢",
    "木材",
    "塑木",
    "石材",
    "混凝土",
    "塑料",
    "复合材料",
    "玻璃",
    "其他",
]
FEES = ["免费", "收费"]
# 人民防空工程防护等级: 核5级, 核6级, 核6B级 (nuclear-weapon protection classes) and
# 常5级, 常6级 (conventional-weapon protection classes).
AIR_DEFENCE_PROTECTION_LEVELS = ["核5级", "核6级", "核6B级", "常5级", "常6级"]
# 古树等级 (全国绿化委员会《古树名木普查技术规范》): 一级 >= 500 years, 二级 300-499 years,
# 三级 100-299 years; 名木 are protected as 一级 regardless of age.
ANCIENT_TREE_GRADES = ["一级", "二级", "三级"]
# 城市公共厕所设计标准 (CJJ 14): 一类, 二类, 三类 toilet grades.
PUBLIC_TOILET_GRADES = ["一类", "二类", "三类"]
# 生活垃圾分类标志 (GB/T 19095-2019) four categories, plus unsorted mixed bins.
TRASH_BIN_TYPES = ["可回收物", "有害垃圾", "厨余垃圾", "其他垃圾", "混合"]
# 道路交通标志和标线 (GB 5768.2) sign families.
TRAFFIC_SIGN_TYPES = [
    "警告标志",
    "禁令标志",
    "指示标志",
    "指路标志",
    "旅游区标志",
    "作业区标志",
    "告示标志",
    "辅助标志",
    "其他",
]
# 城市绿地分类标准 (CJJ/T 85-2017) major green-space categories.
GREEN_SPACE_TYPES = ["公园绿地", "防护绿地", "广场用地", "附属绿地", "区域绿地", "其他"]


def _prop(title: str, description: str, **spec: Any) -> dict[str, Any]:
    """One property schema: Chinese ``title``, English ``description`` and the constraints."""
    return {"title": title, "description": description, **spec}


def _object(title: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A closed (``additionalProperties: false``) draft 2020-12 object schema."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": title,
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


def _text(title: str, description: str, max_length: int) -> dict[str, Any]:
    return _prop(title, description, type="string", minLength=1, maxLength=max_length)


def _bool(title: str, description: str) -> dict[str, Any]:
    return _prop(title, description, type="boolean")


def _enum(title: str, description: str, values: list[str]) -> dict[str, Any]:
    return _prop(title, description, type="string", enum=list(values))


def _material(values: list[str] | None = None) -> dict[str, Any]:
    return _enum("材质", "Material.", values or FURNITURE_MATERIALS)


def _opening_hours() -> dict[str, Any]:
    return _prop(
        "开放时间",
        'Opening hours in OpenStreetMap opening_hours syntax, e.g. "Mo-Su 00:00-24:00" or "24/7".',
        type="string",
        minLength=1,
        maxLength=100,
        pattern=OSM_HOURS_PATTERN,
    )


def _fee() -> dict[str, Any]:
    return _enum("收费情况", "Whether use is free (免费) or charged (收费).", FEES)


def _number(title: str, description: str, minimum: float, maximum: float) -> dict[str, Any]:
    return _prop(title, description, type="number", minimum=minimum, maximum=maximum)


def _positive(title: str, description: str, maximum: float) -> dict[str, Any]:
    return _prop(title, description, type="number", exclusiveMinimum=0, maximum=maximum)


def _integer(title: str, description: str, minimum: int, maximum: int) -> dict[str, Any]:
    return _prop(title, description, type="integer", minimum=minimum, maximum=maximum)


def _area_m2(maximum: float = 10_000_000) -> dict[str, Any]:
    return _positive("面积（平方米）", "Area in square metres.", maximum)


def _length_m(maximum: float = 10_000) -> dict[str, Any]:
    return _positive("长度（米）", "Length in metres.", maximum)


def _width_m(maximum: float = 100) -> dict[str, Any]:
    return _positive("宽度（米）", "Width in metres.", maximum)


def _height_m(maximum: float = 50) -> dict[str, Any]:
    return _positive("高度（米）", "Height in metres.", maximum)


def _clearance_m() -> dict[str, Any]:
    return _positive("净空高度（米）", "Vertical clearance in metres.", 20)


def _power_w() -> dict[str, Any]:
    return _positive("功率（瓦）", "Rated electrical power in watts.", 5000)


def _manhole_cover(name_zh: str, name_en: str) -> dict[str, Any]:
    """Manhole covers: the network is implied by the class, so it is not an attribute."""
    return _object(
        f"{name_zh}属性",
        f"Class-specific attributes of a {name_en[0].lower()}{name_en[1:]}.",
        {
            "material": _material(MANHOLE_MATERIALS),
            "shape": _enum("形状", "Shape of the cover.", MANHOLE_SHAPES),
            "size_mm": _integer(
                "尺寸（毫米）",
                "Cover diameter (round) or side length (square; longer side if "
                "rectangular) in millimetres.",
                300,
                2000,
            ),
            "depth_m": _number(
                "井深（米）", "Depth of the well from cover to bottom in metres.", 0, 20
            ),
        },
    )


# --------------------------------------------------------------------------------------------
# Major classes.
# --------------------------------------------------------------------------------------------

MAJOR_CLASSES: list[dict[str, Any]] = [
    {"code": "01", "name_zh": "公用设施", "name_en": "Public utilities"},
    {"code": "02", "name_zh": "道路交通", "name_en": "Roads and traffic"},
    {"code": "03", "name_zh": "市容环境", "name_en": "City appearance and environment"},
    {"code": "04", "name_zh": "园林绿化", "name_en": "Landscaping and greening"},
    {"code": "05", "name_zh": "房屋土地", "name_en": "Buildings and land"},
    {"code": "06", "name_zh": "其他设施", "name_en": "Other facilities"},
]

# --------------------------------------------------------------------------------------------
# Minor classes.
# --------------------------------------------------------------------------------------------

CLASSES: list[dict[str, Any]] = [
    # ---- 01 公用设施 Public utilities ---------------------------------------------------------
    # Utility-network manhole covers are not public: their positions describe underground
    # networks (power, telecom, gas, police cables) that are security-sensitive, and residents
    # have no use for them. Residents report broken covers through events, not the map.
    {
        "code": "0101",
        "major": "01",
        "name_zh": "上水井盖",
        "name_en": "Water-supply manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("上水井盖", "Water-supply manhole cover"),
    },
    {
        "code": "0102",
        "major": "01",
        "name_zh": "污水井盖",
        "name_en": "Sewage manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("污水井盖", "Sewage manhole cover"),
    },
    {
        "code": "0103",
        "major": "01",
        "name_zh": "雨水井盖",
        "name_en": "Storm-water manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("雨水井盖", "Storm-water manhole cover"),
    },
    {
        # Part of the drainage network like the covers; a grate has no depth or shape options.
        "code": "0104",
        "major": "01",
        "name_zh": "雨水箅子",
        "name_en": "Storm-drain grate",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _object(
            "雨水箅子属性",
            "Class-specific attributes of a storm-drain grate.",
            {
                "material": _material(MANHOLE_MATERIALS),
                "size_mm": _integer(
                    "尺寸（毫米）",
                    "Longer side of the grate in millimetres.",
                    300,
                    2000,
                ),
            },
        ),
    },
    {
        "code": "0105",
        "major": "01",
        "name_zh": "电力井盖",
        "name_en": "Power manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("电力井盖", "Power manhole cover"),
    },
    {
        # Street-light cable network: a utility cover like the others, not a resident facility.
        "code": "0106",
        "major": "01",
        "name_zh": "路灯井盖",
        "name_en": "Street-light manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("路灯井盖", "Street-light manhole cover"),
    },
    {
        "code": "0107",
        "major": "01",
        "name_zh": "电信井盖",
        "name_en": "Telecom manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("电信井盖", "Telecom manhole cover"),
    },
    {
        "code": "0108",
        "major": "01",
        "name_zh": "有线电视井盖",
        "name_en": "Cable-TV manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("有线电视井盖", "Cable-TV manhole cover"),
    },
    {
        "code": "0109",
        "major": "01",
        "name_zh": "网络井盖",
        "name_en": "Network manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("网络井盖", "Network manhole cover"),
    },
    {
        "code": "0110",
        "major": "01",
        "name_zh": "热力井盖",
        "name_en": "Heating manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("热力井盖", "Heating manhole cover"),
    },
    {
        "code": "0111",
        "major": "01",
        "name_zh": "燃气井盖",
        "name_en": "Gas manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("燃气井盖", "Gas manhole cover"),
    },
    {
        "code": "0112",
        "major": "01",
        "name_zh": "公安井盖",
        "name_en": "Police manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("公安井盖", "Police manhole cover"),
    },
    {
        # Hydrants are public: residents and firefighters must find them, and keeping them
        # unobstructed (no parking) needs them to be visible. Sub-metre, like covers: often
        # underground (地下式) under a small lid.
        "code": "0113",
        "major": "01",
        "name_zh": "消防设施",
        "name_en": "Fire-fighting facility (hydrant etc.)",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _object(
            "消防设施属性",
            "Class-specific attributes of a fire-fighting facility.",
            {
                "facility_type": _enum(
                    "设施类型",
                    "Kind of fire-fighting facility.",
                    ["室外消火栓", "消防水鹤", "消防水泵接合器", "消防取水口", "其他"],
                ),
                "hydrant_type": _enum(
                    "消火栓类型",
                    "Hydrant type: above ground (地上式) or underground (地下式).",
                    ["地上式", "地下式"],
                ),
                "pressure_mpa": _number(
                    "压力（兆帕）", "Static water pressure in megapascals.", 0, 2
                ),
                "pipe_diameter_mm": _integer(
                    "管径（毫米）",
                    "Nominal diameter of the supply pipe in millimetres (e.g. DN100, DN150).",
                    50,
                    1000,
                ),
            },
        ),
    },
    {
        "code": "0114",
        "major": "01",
        "name_zh": "不明井盖",
        "name_en": "Unidentified (ownerless) manhole cover",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_NETWORK_POINT_M,
        "attributes": _manhole_cover("不明井盖", "Unidentified (ownerless) manhole cover"),
    },
    {
        # Telecom network equipment: not public (network topology, vandalism target).
        "code": "0115",
        "major": "01",
        "name_zh": "电信交接箱",
        "name_en": "Telecom cross-connect box",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "电信交接箱属性",
            "Class-specific attributes of a telecom cross-connect box.",
            {
                "material": _material(),
                "mounting": _enum(
                    "安装方式",
                    "Mounting: floor-standing, wall-mounted or on a pole.",
                    ["落地式", "挂墙式", "架空式"],
                ),
            },
        ),
    },
    {
        # Transformers, ring-main units, distribution boxes: not public (safety, security).
        "code": "0116",
        "major": "01",
        "name_zh": "电力设施",
        "name_en": "Power facility",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "电力设施属性",
            "Class-specific attributes of a power facility.",
            {
                "facility_type": _enum(
                    "设施类型",
                    "Kind of power facility.",
                    ["箱式变电站", "环网柜", "配电箱", "电缆分支箱", "其他"],
                ),
                "voltage_kv": _positive("电压等级（千伏）", "Rated voltage in kilovolts.", 500),
            },
        ),
    },
    {
        # Power/telecom poles carry network lines; residents have no use for a pole layer.
        "code": "0117",
        "major": "01",
        "name_zh": "电杆",
        "name_en": "Utility pole",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "电杆属性",
            "Class-specific attributes of a utility pole.",
            {
                "material": _material(["混凝土", "钢", "木材", "复合材料", "其他"]),
                "pole_use": _enum(
                    "用途",
                    "What the pole carries.",
                    ["电力", "通信", "照明", "多杆合一", "其他"],
                ),
                "height_m": _height_m(50),
            },
        ),
    },
    {
        "code": "0118",
        "major": "01",
        "name_zh": "路灯",
        "name_en": "Street light",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "路灯属性",
            "Class-specific attributes of a street light.",
            {
                "lamp_type": _enum(
                    "光源类型",
                    "Light source: LED, high-pressure sodium (高压钠灯) or other.",
                    ["LED", "高压钠灯", "其他"],
                ),
                "pole_height_m": _positive("灯杆高度（米）", "Pole height in metres.", 40),
                "power_w": _power_w(),
            },
        ),
    },
    {
        "code": "0119",
        "major": "01",
        "name_zh": "地灯",
        "name_en": "Ground light",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "地灯属性",
            "Class-specific attributes of a ground light.",
            {
                "lamp_type": _enum("光源类型", "Light source: LED or other.", ["LED", "其他"]),
                "power_w": _power_w(),
            },
        ),
    },
    {
        "code": "0120",
        "major": "01",
        "name_zh": "射灯",
        "name_en": "Spotlight / landscape light",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "射灯属性",
            "Class-specific attributes of a spotlight or landscape light.",
            {
                "lamp_type": _enum("光源类型", "Light source: LED or other.", ["LED", "其他"]),
                "power_w": _power_w(),
            },
        ),
    },
    {
        "code": "0121",
        "major": "01",
        "name_zh": "报刊亭",
        "name_en": "Newsstand",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "报刊亭属性",
            "Class-specific attributes of a newsstand.",
            {"area_m2": _area_m2(100), "opening_hours": _opening_hours()},
        ),
    },
    {
        "code": "0122",
        "major": "01",
        "name_zh": "电话亭",
        "name_en": "Phone booth",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "电话亭属性",
            "Class-specific attributes of a phone booth.",
            {
                "material": _material(),
                "in_service": _bool("是否可用", "Whether the telephone still works."),
            },
        ),
    },
    {
        "code": "0123",
        "major": "01",
        "name_zh": "邮筒",
        "name_en": "Mailbox",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "邮筒属性",
            "Class-specific attributes of a mailbox.",
            {
                "collection_times": _prop(
                    "开箱时间",
                    "Collection times in OpenStreetMap collection_times syntax, "
                    'e.g. "Mo-Fr 09:00,16:00; Sa 10:00".',
                    type="string",
                    minLength=1,
                    maxLength=100,
                    pattern=OSM_HOURS_PATTERN,
                ),
            },
        ),
    },
    {
        "code": "0124",
        "major": "01",
        "name_zh": "信息亭",
        "name_en": "Information kiosk",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "信息亭属性",
            "Class-specific attributes of an information kiosk.",
            {
                "interactive": _bool("是否可交互", "Whether the kiosk has a touch screen."),
                "opening_hours": _opening_hours(),
            },
        ),
    },
    {
        "code": "0125",
        "major": "01",
        "name_zh": "自动售货亭",
        "name_en": "Vending kiosk",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "自动售货亭属性",
            "Class-specific attributes of a vending kiosk.",
            {
                "goods": _text("售卖商品", "What is sold.", 200),
                "opening_hours": _opening_hours(),
            },
        ),
    },
    {
        "code": "0126",
        "major": "01",
        "name_zh": "健身设施",
        "name_en": "Fitness equipment",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "健身设施属性",
            "Class-specific attributes of fitness equipment.",
            {
                "equipment_type": _text(
                    "器材类型", "Kind of equipment, e.g. 太空漫步机 (air walker).", 100
                ),
                "equipment_count": _integer(
                    "器材数量", "Number of pieces of equipment at this point.", 1, 100
                ),
                "material": _material(),
            },
        ),
    },
    # ---- 02 道路交通 Roads and traffic ------------------------------------------------------
    {
        "code": "0201",
        "major": "02",
        "name_zh": "停车场",
        "name_en": "Parking lot",
        "geometry": "polygon",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        # Sub-counts are not cross-checked against capacity here (JSON Schema cannot compare
        # two values); the application layer does that.
        "attributes": _object(
            "停车场属性",
            "Class-specific attributes of a parking lot.",
            {
                "capacity": _integer("泊位数", "Total number of parking spaces.", 0, 20000),
                "charging_spaces": _integer(
                    "充电泊位数", "Spaces with an electric-vehicle charger.", 0, 20000
                ),
                "accessible_spaces": _integer(
                    "无障碍泊位数", "Spaces reserved for disabled drivers.", 0, 20000
                ),
                "fee": _fee(),
                "fee_description": _text(
                    "收费标准", "Tariff in free text, e.g. 首小时5元，之后每小时2元.", 200
                ),
                "opening_hours": _opening_hours(),
                "operator_note": _text(
                    "经营管理说明",
                    "Free-text note about the operator or management (contact, rules).",
                    500,
                ),
            },
        ),
    },
    {
        "code": "0202",
        "major": "02",
        "name_zh": "停车咪表",
        "name_en": "Parking meter",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "停车咪表属性",
            "Class-specific attributes of a parking meter.",
            {
                "spaces_served": _integer(
                    "服务泊位数", "Number of parking spaces the meter serves.", 1, 200
                ),
            },
        ),
    },
    {
        "code": "0203",
        "major": "02",
        "name_zh": "公交站亭",
        "name_en": "Bus shelter",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "公交站亭属性",
            "Class-specific attributes of a bus shelter.",
            {
                "routes": _prop(
                    "途经线路",
                    "Bus routes serving the stop, e.g. 7路, B1.",
                    type="array",
                    maxItems=50,
                    uniqueItems=True,
                    items={
                        "title": "线路名称",
                        "description": "Route name or number.",
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 50,
                    },
                ),
            },
        ),
    },
    {
        "code": "0204",
        "major": "02",
        "name_zh": "出租车站牌",
        "name_en": "Taxi stand sign",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "出租车站牌属性",
            "Class-specific attributes of a taxi stand sign.",
            {"material": _material()},
        ),
    },
    {
        "code": "0205",
        "major": "02",
        "name_zh": "过街天桥",
        "name_en": "Pedestrian overpass",
        "geometry": "line",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "过街天桥属性",
            "Class-specific attributes of a pedestrian overpass.",
            {
                "length_m": _length_m(1000),
                "width_m": _width_m(50),
                "elevator": _bool("是否有电梯", "Whether the overpass has lifts."),
            },
        ),
    },
    {
        "code": "0206",
        "major": "02",
        "name_zh": "地下通道",
        "name_en": "Underpass",
        "geometry": "line",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "地下通道属性",
            "Class-specific attributes of an underpass.",
            {
                "length_m": _length_m(5000),
                "width_m": _width_m(100),
                "clearance_m": _clearance_m(),
            },
        ),
    },
    {
        "code": "0207",
        "major": "02",
        "name_zh": "高架立交桥",
        "name_en": "Elevated interchange",
        "geometry": "polygon",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "高架立交桥属性",
            "Class-specific attributes of an elevated interchange.",
            {
                "levels": _integer("层数", "Number of road levels.", 2, 8),
                "clearance_m": _clearance_m(),
            },
        ),
    },
    {
        "code": "0208",
        "major": "02",
        "name_zh": "跨河桥",
        "name_en": "River bridge",
        "geometry": "line",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "跨河桥属性",
            "Class-specific attributes of a river bridge.",
            {
                "river_name": _text("跨越河道", "Name of the river or canal crossed.", 100),
                "length_m": _length_m(10000),
                "width_m": _width_m(100),
            },
        ),
    },
    {
        "code": "0209",
        "major": "02",
        "name_zh": "交通标志牌",
        "name_en": "Traffic sign",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "交通标志牌属性",
            "Class-specific attributes of a traffic sign.",
            {
                "sign_type": _enum(
                    "标志类型", "Sign family according to GB 5768.2.", TRAFFIC_SIGN_TYPES
                ),
                "content": _text("标志内容", "What the sign shows.", 200),
            },
        ),
    },
    {
        # Signal-control cabinet: traffic-police equipment, not for residents.
        "code": "0210",
        "major": "02",
        "name_zh": "交通控制箱",
        "name_en": "Traffic control box",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "交通控制箱属性",
            "Class-specific attributes of a traffic control box.",
            {"material": _material()},
        ),
    },
    {
        "code": "0211",
        "major": "02",
        "name_zh": "交通护栏",
        "name_en": "Traffic guardrail",
        "geometry": "line",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "交通护栏属性",
            "Class-specific attributes of a traffic guardrail.",
            {
                "material": _material(),
                "length_m": _length_m(10000),
                "height_m": _height_m(5),
            },
        ),
    },
    {
        "code": "0212",
        "major": "02",
        "name_zh": "存车支架",
        "name_en": "Bicycle rack",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "存车支架属性",
            "Class-specific attributes of a bicycle rack.",
            {
                "capacity": _integer("车位数", "Number of bicycles the rack holds.", 1, 1000),
                "covered": _bool("是否有顶棚", "Whether the rack is roofed."),
            },
        ),
    },
    {
        "code": "0213",
        "major": "02",
        "name_zh": "路名牌",
        "name_en": "Street-name sign",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "路名牌属性",
            "Class-specific attributes of a street-name sign.",
            {
                "road_name": _text("路名", "Road name as printed on the sign.", 100),
                "road_name_pinyin": _text(
                    "路名拼音", "Pinyin (romanised) road name as printed on the sign.", 200
                ),
            },
        ),
    },
    {
        "code": "0214",
        "major": "02",
        "name_zh": "交通信号灯",
        "name_en": "Traffic signal",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "交通信号灯属性",
            "Class-specific attributes of a traffic signal.",
            {
                "signal_type": _enum(
                    "信号灯类型",
                    "Kind of signal.",
                    [
                        "机动车信号灯",
                        "非机动车信号灯",
                        "人行横道信号灯",
                        "方向指示信号灯",
                        "其他",
                    ],
                ),
                "countdown": _bool("是否有倒计时", "Whether the signal shows a countdown."),
            },
        ),
    },
    {
        "code": "0215",
        "major": "02",
        "name_zh": "路边停车场",
        "name_en": "On-street parking",
        "geometry": "polygon",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "路边停车场属性",
            "Class-specific attributes of on-street parking.",
            {
                "capacity": _integer("泊位数", "Number of marked parking spaces.", 0, 20000),
                "fee": _fee(),
                "opening_hours": _opening_hours(),
            },
        ),
    },
    {
        "code": "0216",
        "major": "02",
        "name_zh": "交通涵洞",
        "name_en": "Traffic culvert",
        "geometry": "line",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "交通涵洞属性",
            "Class-specific attributes of a traffic culvert.",
            {
                "length_m": _length_m(1000),
                "width_m": _width_m(50),
                "clearance_m": _clearance_m(),
            },
        ),
    },
    {
        "code": "0217",
        "major": "02",
        "name_zh": "道路信息显示屏",
        "name_en": "Road information display",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "道路信息显示屏属性",
            "Class-specific attributes of a road information display.",
            {"width_m": _width_m(30), "height_m": _height_m(20)},
        ),
    },
    {
        "code": "0218",
        "major": "02",
        "name_zh": "道路隔音屏",
        "name_en": "Road noise barrier",
        "geometry": "line",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "道路隔音屏属性",
            "Class-specific attributes of a road noise barrier.",
            {
                "material": _material(),
                "length_m": _length_m(10000),
                "height_m": _height_m(20),
            },
        ),
    },
    {
        # A staffed police booth is where residents can ask for help: public.
        "code": "0219",
        "major": "02",
        "name_zh": "交通岗亭",
        "name_en": "Traffic police booth",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "交通岗亭属性",
            "Class-specific attributes of a traffic police booth.",
            {"material": _material()},
        ),
    },
    # ---- 03 市容环境 City appearance and environment ----------------------------------------
    {
        "code": "0301",
        "major": "03",
        "name_zh": "公共厕所",
        "name_en": "Public toilet",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "公共厕所属性",
            "Class-specific attributes of a public toilet.",
            {
                "opening_hours": _opening_hours(),
                "accessible": _bool("是否无障碍", "Whether there is a wheelchair-accessible WC."),
                "baby_care_room": _bool("是否有母婴室", "Whether there is a baby-care room."),
                "fee": _fee(),
                "gender_neutral_room": _bool(
                    "是否有第三卫生间",
                    "Whether there is a gender-neutral / family room (第三卫生间).",
                ),
                "level": _enum(
                    "公厕类别",
                    "Public-toilet grade 一类/二类/三类 according to CJJ 14.",
                    PUBLIC_TOILET_GRADES,
                ),
            },
        ),
    },
    {
        # Underground sanitation structure: maintenance only, not a resident facility.
        "code": "0302",
        "major": "03",
        "name_zh": "公厕化粪池",
        "name_en": "Public-toilet septic tank",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "公厕化粪池属性",
            "Class-specific attributes of a public-toilet septic tank.",
            {
                "volume_m3": _positive("容积（立方米）", "Volume in cubic metres.", 1000),
                "material": _material(["混凝土", "砖砌", "玻璃钢", "塑料", "其他"]),
            },
        ),
    },
    {
        "code": "0303",
        "major": "03",
        "name_zh": "公厕指示牌",
        "name_en": "Public-toilet sign",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "公厕指示牌属性",
            "Class-specific attributes of a public-toilet sign.",
            {
                "distance_m": _integer(
                    "指示距离（米）", "Distance to the toilet shown on the sign.", 1, 5000
                ),
                "material": _material(),
            },
        ),
    },
    {
        "code": "0304",
        "major": "03",
        "name_zh": "垃圾间",
        "name_en": "Garbage room",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "垃圾间属性",
            "Class-specific attributes of a garbage room.",
            {
                "area_m2": _area_m2(1000),
                "sorted": _bool("是否分类", "Whether waste is collected sorted."),
                "opening_hours": _opening_hours(),
            },
        ),
    },
    {
        "code": "0305",
        "major": "03",
        "name_zh": "垃圾箱",
        "name_en": "Trash bin",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "垃圾箱属性",
            "Class-specific attributes of a trash bin.",
            {
                "sorted": _bool("是否分类", "Whether the bin is part of a sorted-waste set."),
                "volume_l": _integer("容量（升）", "Volume in litres.", 1, 5000),
                "bin_type": _enum(
                    "垃圾类别",
                    "Waste category (GB/T 19095-2019), or mixed (混合) for unsorted bins.",
                    TRASH_BIN_TYPES,
                ),
            },
        ),
    },
    {
        "code": "0306",
        "major": "03",
        "name_zh": "灯箱霓虹灯",
        "name_en": "Light box / neon sign",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "灯箱霓虹灯属性",
            "Class-specific attributes of a light box or neon sign.",
            {"width_m": _width_m(50), "height_m": _height_m(50)},
        ),
    },
    {
        "code": "0307",
        "major": "03",
        "name_zh": "广告牌匾",
        "name_en": "Billboard / shop sign",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "广告牌匾属性",
            "Class-specific attributes of a billboard or shop sign.",
            {
                "width_m": _width_m(50),
                "height_m": _height_m(50),
                "illuminated": _bool("是否发光", "Whether the sign is lit."),
            },
        ),
    },
    {
        "code": "0308",
        "major": "03",
        "name_zh": "环境监测塔",
        "name_en": "Environmental monitoring tower",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "环境监测塔属性",
            "Class-specific attributes of an environmental monitoring tower.",
            {
                "parameters": _prop(
                    "监测项目",
                    "What the station measures.",
                    type="array",
                    maxItems=20,
                    uniqueItems=True,
                    items={
                        "title": "监测项目",
                        "description": "One measured parameter.",
                        "type": "string",
                        "enum": [
                            "PM2.5",
                            "PM10",
                            "SO2",
                            "NO2",
                            "O3",
                            "CO",
                            "噪声",
                            "温湿度",
                            "风速风向",
                            "其他",
                        ],
                    },
                ),
            },
        ),
    },
    # ---- 04 园林绿化 Landscaping and greening -------------------------------------------------
    {
        "code": "0401",
        "major": "04",
        "name_zh": "古树名木",
        "name_en": "Ancient or famous tree",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "古树名木属性",
            "Class-specific attributes of an ancient or famous tree.",
            {
                "species": _text("树种", "Species, common Chinese name, e.g. 香樟.", 100),
                "species_latin": _text(
                    "拉丁学名", "Scientific name, e.g. Cinnamomum camphora.", 150
                ),
                "dbh_cm": _number(
                    "胸径（厘米）", "Trunk diameter at breast height (1.3 m) in cm.", 1, 1000
                ),
                "height_m": _number("树高（米）", "Tree height in metres.", 0.5, 80),
                "crown_m": _positive("冠幅（米）", "Average crown diameter in metres.", 200),
                # Not cross-checked against estimated_age_years: the grade is the official
                # designation and may rest on an older age estimate.
                "protection_grade": _enum(
                    "保护等级",
                    "Ancient-tree grade: 一级 >= 500 years, 二级 300-499 years, "
                    "三级 100-299 years (famous trees 名木 are protected as 一级).",
                    ANCIENT_TREE_GRADES,
                ),
                "estimated_age_years": _integer(
                    "估测树龄（年）", "Estimated age in years.", 100, 5000
                ),
                "tag_number": _text("挂牌编号", "Number on the official protection tag.", 50),
            },
        ),
    },
    {
        "code": "0402",
        "major": "04",
        "name_zh": "行道树",
        "name_en": "Street tree",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "行道树属性",
            "Class-specific attributes of a street tree.",
            {
                "species": _text("树种", "Species, common Chinese name, e.g. 悬铃木.", 100),
                "species_latin": _text(
                    "拉丁学名", "Scientific name, e.g. Platanus x acerifolia.", 150
                ),
                "dbh_cm": _number(
                    "胸径（厘米）", "Trunk diameter at breast height (1.3 m) in cm.", 1, 1000
                ),
                "height_m": _number("树高（米）", "Tree height in metres.", 0.5, 80),
                "crown_m": _positive("冠幅（米）", "Average crown diameter in metres.", 200),
            },
        ),
    },
    {
        # Found again by its tree, so ordinary point accuracy rather than network accuracy.
        "code": "0403",
        "major": "04",
        "name_zh": "树池箅子",
        "name_en": "Tree-pit grate",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "树池箅子属性",
            "Class-specific attributes of a tree-pit grate.",
            {
                "material": _material(),
                "size_mm": _integer(
                    "尺寸（毫米）", "Longer side of the grate in millimetres.", 300, 3000
                ),
            },
        ),
    },
    {
        "code": "0404",
        "major": "04",
        "name_zh": "花架花钵",
        "name_en": "Flower stand / planter",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "花架花钵属性",
            "Class-specific attributes of a flower stand or planter.",
            {"material": _material()},
        ),
    },
    {
        "code": "0405",
        "major": "04",
        "name_zh": "绿地",
        "name_en": "Green space",
        "geometry": "polygon",
        "public": True,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "绿地属性",
            "Class-specific attributes of a green space.",
            {
                "area_m2": _area_m2(),
                "vegetation": _text("植被", "Vegetation in free text, e.g. 乔灌草结合, 草坪.", 200),
                "green_type": _enum(
                    "绿地类别",
                    "Green-space category according to CJJ/T 85-2017.",
                    GREEN_SPACE_TYPES,
                ),
            },
        ),
    },
    {
        "code": "0406",
        "major": "04",
        "name_zh": "雕塑",
        "name_en": "Sculpture",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "雕塑属性",
            "Class-specific attributes of a sculpture.",
            {
                "material": _material(),
                "artwork_title": _text("作品名称", "Title of the work.", 100),
                "artist": _text("作者", "Artist.", 100),
                "height_m": _height_m(100),
            },
        ),
    },
    {
        "code": "0407",
        "major": "04",
        "name_zh": "街头座椅",
        "name_en": "Street bench",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "街头座椅属性",
            "Class-specific attributes of a street bench.",
            {
                "material": _material(),
                "seats": _integer("座位数", "Number of seats.", 1, 20),
            },
        ),
    },
    {
        # Irrigation valves, tool sheds, hose points: used by maintenance staff only.
        "code": "0409",
        "major": "04",
        "name_zh": "绿地维护设施",
        "name_en": "Green-space maintenance facility",
        "geometry": "point",
        "public": False,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "绿地维护设施属性",
            "Class-specific attributes of a green-space maintenance facility.",
            {
                "facility_type": _text("设施类型", "Kind of facility, e.g. 喷灌阀门, 工具房.", 100),
            },
        ),
    },
    # ---- 05 房屋土地 Buildings and land -------------------------------------------------------
    {
        "code": "0501",
        "major": "05",
        "name_zh": "宣传栏",
        "name_en": "Bulletin board",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "宣传栏属性",
            "Class-specific attributes of a bulletin board.",
            {
                "width_m": _width_m(30),
                "height_m": _height_m(10),
                "content_owner": _text(
                    "内容管理单位", "Who is responsible for the posted content.", 100
                ),
            },
        ),
    },
    {
        # Residents must know where to shelter: public (location is posted at the entrance
        # anyway). The point is the main entrance.
        "code": "0502",
        "major": "05",
        "name_zh": "人防工事",
        "name_en": "Civil air-defence shelter",
        "geometry": "point",
        "public": True,
        "accuracy_m": ACCURACY_POINT_M,
        "attributes": _object(
            "人防工事属性",
            "Class-specific attributes of a civil air-defence shelter.",
            {
                "capacity_persons": _integer(
                    "掩蔽人数", "Number of persons the shelter protects.", 1, 100000
                ),
                "area_m2": _area_m2(1_000_000),
                "entrance_description": _text(
                    "出入口说明", "How to find and reach the entrances.", 500
                ),
                "protection_level": _enum(
                    "防护等级",
                    "Civil air defence protection class: nuclear (核5级, 核6级, 核6B级) "
                    "or conventional (常5级, 常6级).",
                    AIR_DEFENCE_PROTECTION_LEVELS,
                ),
                "peacetime_use": _text("平时用途", "Peacetime use, e.g. 地下停车库.", 200),
            },
        ),
    },
    {
        # Building-management asset, no resident use on a map.
        "code": "0503",
        "major": "05",
        "name_zh": "公房地下室",
        "name_en": "Public-housing basement",
        "geometry": "polygon",
        "public": False,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "公房地下室属性",
            "Class-specific attributes of a public-housing basement.",
            {
                "area_m2": _area_m2(100_000),
                "current_use": _text("现用途", "Current use.", 200),
            },
        ),
    },
    # ---- 06 其他设施 Other facilities ---------------------------------------------------------
    {
        # Temporary, supervised by the construction authorities; not a resident facility.
        "code": "0602",
        "major": "06",
        "name_zh": "工地",
        "name_en": "Construction site",
        "geometry": "polygon",
        "public": False,
        "accuracy_m": ACCURACY_OUTLINE_M,
        "attributes": _object(
            "工地属性",
            "Class-specific attributes of a construction site.",
            {
                "project_name": _text("项目名称", "Name of the construction project.", 200),
                "permit_number": _text("施工许可证号", "Construction permit number.", 100),
                "start_date": _prop(
                    "开工日期",
                    "Start date, YYYY-MM-DD.",
                    type="string",
                    format="date",
                    pattern=r"^\d{4}-\d{2}-\d{2}$",
                ),
                "planned_end_date": _prop(
                    "计划竣工日期",
                    "Planned completion date, YYYY-MM-DD.",
                    type="string",
                    format="date",
                    pattern=r"^\d{4}-\d{2}-\d{2}$",
                ),
            },
        ),
    },
]


def class_by_code() -> dict[str, dict[str, Any]]:
    """Minor classes keyed by their 4-digit code."""
    return {cls["code"]: cls for cls in CLASSES}
