"""The catalog through the API and the admin (local extension classes)."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from component_catalog.models import Component, ComponentClass
from layers.models import Layer
from tests.components_helpers import Api, inside

pytestmark = pytest.mark.django_db


def test_catalog_is_public_with_schemas():
    body = Client().get("/api/v1/component-classes/").json()
    codes = {row["code"] for row in body}
    assert {"01", "0101", "0201", "0301", "0401", "0502"} <= codes
    assert len([c for c in codes if len(c) == 2]) == 6
    shelter = Client().get("/api/v1/component-classes/0502/").json()
    assert shelter["name_zh"] == "人防工事"
    assert "capacity_persons" in shelter["attribute_schema"]["properties"]
    assert shelter["geometry"] == "point" and shelter["is_public"] is True
    assert Client().get("/api/v1/component-classes/0105/").json()["is_public"] is False


def test_admin_adds_a_local_extension_class_that_surveyors_can_use():
    admin = Client()
    admin.post("/admin/login/", {"username": "city_admin", "password": "demo-pass-2019"})
    response = admin.post(
        "/admin/component_catalog/componentclass/add/",
        {
            "code": "0127",
            "major": "01",
            "name_zh": "智能充电桩",
            "name_en": "Smart charging pile",
            "geometry_kind": "point",
            "attribute_schema": '{"type": "object", "additionalProperties": false, '
            '"properties": {"power_kw": {"type": "number", "minimum": 1, "maximum": 400}}}',
            "accuracy_threshold_m": "1.0",
            "max_area_m2": "1000000",
            "max_vertices": "5000",
            "default_public": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    klass = ComponentClass.objects.get(code="0127")
    assert klass.is_local
    layer = Layer.objects.get(code="component-0127")
    assert layer.is_public and layer.geometry_kind == "point"
    created = Api("district_admin").create(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": inside()},
            "properties": {
                "class": "0127",
                "competent_department": "XH-CGJ",
                "owner": "HZ-GD",
                "maintainer": "HZ-GD",
                "attributes": {"power_kw": 120},
            },
        }
    )
    assert created.status_code == 201
    assert created.json()["id"].startswith("3301060127")


def test_admin_refuses_a_broken_schema():
    admin = Client()
    admin.post("/admin/login/", {"username": "city_admin", "password": "demo-pass-2019"})
    response = admin.post(
        "/admin/component_catalog/componentclass/add/",
        {
            "code": "0128",
            "major": "01",
            "name_zh": "x",
            "geometry_kind": "point",
            "attribute_schema": '{"type": "objekt"}',
            "accuracy_threshold_m": "1",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert not ComponentClass.objects.filter(code="0128").exists()


def test_database_refuses_a_geometry_of_the_wrong_kind():
    """The trigger guards the rule even for code that skips the service."""
    from django.contrib.gis.geos import Polygon

    component = (
        Api("district_admin")
        .create(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": inside()},
                "properties": {
                    "class": "0101",
                    "competent_department": "XH-CGJ",
                    "owner": "HZ-SW",
                    "maintainer": "HZ-SW",
                    "attributes": {},
                },
            }
        )
        .json()
    )
    row = Component.objects.get(identifier=component["id"])
    row.geometry = Polygon.from_bbox((120.1, 30.2, 120.1001, 30.2001))
    row.geometry.srid = 4490
    with pytest.raises(IntegrityError, match="does not match class"), transaction.atomic():
        row.save()
    row.refresh_from_db()
    row.identifier = "3301060101999999"
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
