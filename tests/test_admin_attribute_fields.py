"""The admin's attribute fields from a class schema (component_catalog.admin_attributes):
each JSON Schema type the catalog uses becomes the matching typed field, required where
the schema says so, and a filled form turns back into the attributes the services take
(emptied fields remove the attribute)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import translation

from component_catalog.admin_attributes import schema_fields, submitted

SCHEMA = {
    "type": "object",
    "required": ["in_service", "kind"],
    "properties": {
        "kind": {"type": "string", "title": "类型", "enum": ["甲", "乙"]},
        "depth_m": {"type": "number", "title": "井深（米）", "minimum": 0, "maximum": 20},
        "count": {"type": "integer", "minimum": 1},
        "in_service": {"type": "boolean", "title": "是否可用"},
        "start_date": {"type": "string", "format": "date"},
        "permit": {"type": "string", "pattern": "^[A-Z]{2}\\d{4}$", "maxLength": 6},
        "routes": {"type": "array", "items": {"type": "string"}},
        "parameters": {"type": "array", "items": {"type": "string", "enum": ["PM2.5", "噪声"]}},
        "extra": {"type": "object"},
    },
}


class Form(forms.Form):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields.update(schema_fields(SCHEMA))


def test_each_schema_type_becomes_a_typed_field() -> None:
    with translation.override("zh-hans"):
        fields = schema_fields(SCHEMA)
    assert (
        isinstance(fields["attr__kind"], forms.TypedChoiceField) and fields["attr__kind"].required
    )
    assert isinstance(fields["attr__depth_m"], forms.FloatField)
    assert fields["attr__depth_m"].label == "井深（米）"
    assert isinstance(fields["attr__count"], forms.IntegerField)
    assert isinstance(fields["attr__in_service"], forms.NullBooleanField)
    assert isinstance(fields["attr__start_date"], forms.DateField)
    assert isinstance(fields["attr__permit"], forms.RegexField)
    assert isinstance(fields["attr__parameters"], forms.TypedMultipleChoiceField)
    assert isinstance(fields["attr__extra"], forms.JSONField)
    with translation.override("en"):
        # the catalog's English for the schema's Chinese title
        assert schema_fields(SCHEMA)["attr__depth_m"].label == "Well depth (m)"
        # a title no table knows: the attribute's name in words, its unit spelled out
        unknown = {"properties": {"pipe_size_mm": {"type": "number", "title": "某某"}}}
        assert schema_fields(unknown)["attr__pipe_size_mm"].label == "Pipe size (mm)"


def test_a_filled_form_gives_the_attributes_and_refuses_bad_values() -> None:
    data = {
        "attr__kind": "乙",
        "attr__depth_m": "2.5",
        "attr__count": "",
        "attr__in_service": "true",
        "attr__start_date": "2024-05-01",
        "attr__permit": "ZJ1234",
        "attr__routes": "1路，2路, 3路",
        "attr__parameters": ["噪声"],
        "attr__extra": '{"a": 1}',
    }
    form = Form(data)
    assert form.is_valid(), form.errors
    assert submitted(form.cleaned_data, SCHEMA) == {
        "kind": "乙",
        "depth_m": 2.5,
        "count": None,  # emptied: removed
        "in_service": True,
        "start_date": dt.date(2024, 5, 1).isoformat(),
        "permit": "ZJ1234",
        "routes": ["1路", "2路", "3路"],
        "parameters": ["噪声"],
        "extra": {"a": 1},
    }
    bad = Form({**data, "attr__depth_m": "25", "attr__permit": "zj12", "attr__kind": "丙"})
    assert not bad.is_valid()
    assert set(bad.errors) == {"attr__depth_m", "attr__permit", "attr__kind"}
