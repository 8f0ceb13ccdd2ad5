"""The layer registry's fixed entries and the service that keeps one layer per component
class."""

from __future__ import annotations

from typing import Any

from layers.models import Layer, LayerKind

# code, kind, source, name_zh, name_en, geometry, style, zooms, update days, public, order
BASE_LAYERS: list[dict[str, Any]] = [
    dict(
        code="admin-areas",
        kind=LayerKind.ADMIN_AREA,
        source="",
        name_zh="行政区划",
        name_en="Administrative areas",
        geometry_kind="polygon",
        style={"color": "#6a3d9a", "fill": None, "weight": 2},
        min_zoom=8,
        max_zoom=22,
        update_interval_days=1825,
        is_public=True,
        sort_order=10,
    ),
    dict(
        code="grid-cells",
        kind=LayerKind.GRID_CELL,
        source="",
        name_zh="单元网格",
        name_en="Grid cells",
        geometry_kind="polygon",
        style={"color": "#999999", "fill": None, "weight": 1, "dash": "4 4"},
        min_zoom=13,
        max_zoom=22,
        update_interval_days=1825,
        is_public=False,
        sort_order=20,
    ),
    dict(
        code="buildings",
        kind=LayerKind.BUILDING,
        source="footprint",
        name_zh="建筑物",
        name_en="Buildings",
        geometry_kind="polygon",
        style={"color": "#8c8c8c", "fill": "#d9d9d9"},
        min_zoom=14,
        max_zoom=22,
        update_interval_days=730,
        is_public=True,
        sort_order=30,
    ),
    dict(
        code="building-details",
        kind=LayerKind.BUILDING,
        source="details",
        name_zh="建筑物详情",
        name_en="Building details",
        geometry_kind="polygon",
        style={"color": "#525252", "fill": "#bdbdbd"},
        min_zoom=15,
        max_zoom=22,
        update_interval_days=365,
        is_public=False,
        sort_order=31,
    ),
    dict(
        code="roads",
        kind=LayerKind.BASE_FEATURE,
        source="road",
        name_zh="道路",
        name_en="Roads",
        geometry_kind="line",
        style={"color": "#f4a582", "weight": 4},
        min_zoom=10,
        max_zoom=22,
        update_interval_days=730,
        is_public=True,
        sort_order=40,
    ),
    dict(
        code="rivers",
        kind=LayerKind.BASE_FEATURE,
        source="river",
        name_zh="河流水系",
        name_en="Rivers and water",
        geometry_kind="line",
        style={"color": "#4393c3", "weight": 3},
        min_zoom=10,
        max_zoom=22,
        update_interval_days=1825,
        is_public=True,
        sort_order=41,
    ),
    dict(
        code="green-space",
        kind=LayerKind.BASE_FEATURE,
        source="green",
        name_zh="公共绿地",
        name_en="Green space",
        geometry_kind="polygon",
        style={"color": "#1b7837", "fill": "#a6dba0"},
        min_zoom=12,
        max_zoom=22,
        update_interval_days=730,
        is_public=True,
        sort_order=42,
    ),
]


def ensure_base_layers() -> None:
    for entry in BASE_LAYERS:
        values = dict(entry)
        code = values.pop("code")
        Layer.objects.get_or_create(code=code, defaults=values)


def component_layer_code(class_code: str) -> str:
    return f"component-{class_code}"


def ensure_component_layer(
    class_code: str, name_zh: str, name_en: str, geometry_kind: str, public: bool, **style: Any
) -> Layer:
    """The layer of a component class, created with the class's defaults when missing
    (an existing layer keeps what admins set: public flag, style, zooms)."""
    layer, _ = Layer.objects.get_or_create(
        kind=LayerKind.COMPONENT,
        source=class_code,
        defaults={
            "code": component_layer_code(class_code),
            "name_zh": name_zh,
            "name_en": name_en,
            "geometry_kind": geometry_kind,
            "is_public": public,
            "style": style or {},
            "min_zoom": 15 if geometry_kind == "point" else 13,
            "update_interval_days": 365,
            "sort_order": 100 + int(class_code) if class_code.isdigit() else 1000,
        },
    )
    return layer
