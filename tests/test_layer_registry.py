"""The layer registry and stewardship: API, admin rights, effective steward."""

import pytest

from gis_app.models import AuditEvent, Organization
from layers.models import Layer, Stewardship
from tests.components_helpers import Api

pytestmark = pytest.mark.django_db


def test_registry_has_base_layers_and_one_layer_per_component_class():
    codes = set(Layer.objects.values_list("code", flat=True))
    assert {
        "admin-areas",
        "grid-cells",
        "buildings",
        "building-details",
        "roads",
        "rivers",
        "green-space",
        "component-0101",
        "component-0301",
        "component-0502",
    } <= codes
    public = {c for c in codes if Layer.objects.get(code=c).is_public}
    assert {"component-0301", "component-0201", "component-0502", "component-0402"} <= public
    assert not {"component-0111", "component-0105", "component-0107", "building-details"} & public


def test_anonymous_lists_public_layers_only():
    listed = {row["code"] for row in Api(None).get("/api/v1/layers/").json()}
    assert listed == set(
        Layer.objects.filter(is_public=True, active=True).values_list("code", flat=True)
    )
    assert Api(None).get("/api/v1/layers/component-0111/").status_code == 404


def test_water_surveyor_sees_their_restricted_layers_not_gas():
    listed = {row["code"] for row in Api("surveyor_water").get("/api/v1/layers/").json()}
    assert "component-0101" in listed and "component-0111" not in listed


def test_admin_changes_a_layer_and_it_is_audited():
    admin = Api("city_admin")
    response = admin.patch(
        "/api/v1/layers/component-0402/",
        {"style": {"color": "#1b7837", "icon": "tree"}, "min_zoom": 14},
    )
    assert response.status_code == 200, response.content
    assert Layer.objects.get(code="component-0402").style["icon"] == "tree"
    event = AuditEvent.objects.get(action="layers.layer.update")
    assert event.detail["changes"]["min_zoom"] == [15, 14]
    bad = admin.patch("/api/v1/layers/component-0402/", {"min_zoom": 20, "max_zoom": 12})
    assert bad.status_code == 400
    for user in ("planner", "district_admin", "street_admin"):
        refused = Api(user).patch("/api/v1/layers/component-0402/", {"min_zoom": 13})
        assert refused.status_code == 403, user
    assert Layer.objects.get(code="component-0402").min_zoom == 14


def test_effective_steward_is_the_closest_up_the_area_tree():
    layer = Layer.objects.get(code="component-0301")
    district_org = Organization.objects.get(code="XH-CGJ")
    street_org = Organization.objects.get(code="XH-JD-001")
    Stewardship.objects.create(
        layer=layer, area_id="330106", organization=district_org, role="maintain"
    )
    Stewardship.objects.create(
        layer=layer, area_id="330106001", organization=street_org, role="maintain"
    )
    api = Api(None)
    in_street = api.get("/api/v1/layers/component-0301/steward/?area=330106001002").json()
    assert in_street["maintain"]["organization"] == "XH-JD-001"
    elsewhere = api.get("/api/v1/layers/component-0301/steward/?area=330106003002").json()
    assert elsewhere["maintain"]["organization"] == "XH-CGJ"
    assert elsewhere["collect"] is None
    assert api.get("/api/v1/layers/component-0301/steward/").status_code == 400


def test_stewardships_are_managed_inside_ones_area():
    street_admin = Api("street_admin")
    body = {
        "layer": "component-0301",
        "area": "330106001",
        "organization": "XH-JD-001",
        "role": "collect",
    }
    created = street_admin.post("/api/v1/stewardships/", body)
    assert created.status_code == 201, created.content
    other = {**body, "area": "330106002"}
    assert street_admin.post("/api/v1/stewardships/", other).status_code == 403
    duplicate = street_admin.post("/api/v1/stewardships/", body)
    assert duplicate.status_code == 400 and duplicate.json()["field"] == "role"
    assert Api("surveyor_water").post("/api/v1/stewardships/", other).status_code == 403
    assert street_admin.delete(f"/api/v1/stewardships/{created.json()['id']}/").status_code == 204
