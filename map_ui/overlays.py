"""What the common map's layer switcher, legend and feature popups need to know about the
registry layers beyond the layer API: the group of each layer (the major class of a
component layer, else the base layers' group), whether the user has any feature of it
in scope (an empty layer is marked in the switcher) and the labels of the attributes its
vector tiles carry (the popup shows them)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from component_catalog import catalog_labels
from component_catalog.models import Component, ComponentClass
from gis_app import access
from gis_app.types import User
from layers.models import LayerKind
from map_ui.facility_page import NATURAL_LABELS
from tiles import sources

#: Group of the layers that are not components (areas, grid cells, buildings, base features).
BASE_GROUP = "base"

#: Labels of the properties the tiles of non-component layers carry.
PROPERTY_LABELS: dict[str, Any] = {
    "address": _("Address"),
    "floors": _("Floors"),
    "use": _("Use"),
    "units_count": _("Units"),
    "build_year": _("Year built"),
    "level": _("Level"),
    "code": _("Code"),
    "community": _("Community"),
    "kind": _("Kind"),
}


@dataclass(frozen=True)
class Group:
    code: str
    name: str


@dataclass(frozen=True)
class LayerInfo:
    group: str
    has_features: bool
    labels: dict[str, str] = field(default_factory=dict)
    #: Labels of stored choice values in the page's language, by attribute (none in
    #: Chinese: the values are the standard's Chinese words).
    choices: dict[str, dict[str, str]] = field(default_factory=dict)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def attribute_label(key: str, schema: dict[str, Any] | None) -> str:
    """A readable label of an attribute in the active language: the platform's own label,
    else the schema's (see ``catalog_labels.title``)."""
    if key in NATURAL_LABELS:
        return str(NATURAL_LABELS[key])
    if key in PROPERTY_LABELS:
        return str(PROPERTY_LABELS[key])
    return catalog_labels.title(_property(key, schema), key, get_language())


def _property(key: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    prop = ((schema or {}).get("properties") or {}).get(key)
    return prop if isinstance(prop, dict) else {}


def choice_labels(keys: list[str], schema: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """The labels of the stored choices of ``keys`` in the page's language."""
    language = get_language()
    if catalog_labels.language_key(language) is None:
        return {}
    out = {}
    for key in keys:
        prop = _property(key, schema)
        enum = prop.get("enum")
        if isinstance(enum, list):
            out[key] = {str(v): catalog_labels.choice(prop, v, language) for v in enum}
    return out


def major_groups() -> list[Group]:
    """The base layers' group, then the catalog's major classes in code order."""
    english = _english()
    majors = ComponentClass.objects.filter(major__isnull=True).order_by("code")
    return [Group(BASE_GROUP, str(_("Areas and buildings")))] + [
        Group(m.code, (english and m.name_en) or m.name_zh) for m in majors
    ]


def classes_with_features(user: User) -> set[str]:
    """Codes of the component classes of which the user may see an in-use component (one
    query: an index probe per class, as the component source's ``combined_queryset``
    filters)."""
    visible = access.visible(user, Component.objects.in_use())
    found = ComponentClass.objects.filter(major__isnull=False).filter(
        Exists(visible.filter(component_class=OuterRef("code")))
    )
    return set(found.values_list("code", flat=True))


def layer_info(user: User) -> dict[str, Any]:
    """``{"groups": [{code, name}], "layers": {code: {group, has_features, labels}}}`` for
    the active registry layers the user may see."""
    layers: dict[str, dict[str, Any]] = {}
    with_features = classes_with_features(user)
    specs = sources.specs_for(sources.registry(user))
    codes = [s.layer.source for s in specs if s.layer.kind == LayerKind.COMPONENT]
    classes = ComponentClass.objects.filter(code__in=codes)
    schemas = dict(classes.values_list("code", "attribute_schema"))
    for spec in specs:
        layer = spec.layer
        schema = schemas.get(layer.source) if layer.kind == LayerKind.COMPONENT else None
        if isinstance(schema, str):  # jsonb may come back as text (Django's psycopg2 set-up)
            schema = json.loads(schema)
        group = layer.source[:2] if layer.kind == LayerKind.COMPONENT else BASE_GROUP
        keys = [*spec.properties, *[a for a in spec.attributes if a != "*"]]
        schema = schema if isinstance(schema, dict) else None
        labels = {key: attribute_label(key, schema) for key in keys}
        if layer.kind == LayerKind.COMPONENT:
            has_features = layer.source in with_features
        else:
            has_features = spec.queryset(user).exists()
        info = LayerInfo(group, has_features, labels, choice_labels(keys, schema))
        layers[layer.code] = asdict(info)
    return {"groups": [asdict(g) for g in major_groups()], "layers": layers}
