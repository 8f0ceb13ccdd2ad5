"""Components edited in the admin, through the same services as the API: a change bumps the
version and leaves history, a changeset and an audit event; a form opened at an older
version is refused, naming the reason, and changes nothing; the class's attributes are
typed fields (a select of the schema's values, numbers with their bounds), not JSON; a
street administrator changes nothing outside its street. The searches behind the
admin's autocomplete fields answer only what the user may see or grant. Geometry is
drawn on a map, also on pages the user may only view."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from component_catalog.models import Changeset, Component, ComponentHistory
from gis_app.models import AuditEvent, AuditResult, Membership, Organization
from tests.components_helpers import Api, inside, manhole

pytestmark = pytest.mark.django_db

OWN_COMMUNITY = "330106001001"  # in street_admin's street (北山街道, 330106001)
OTHER_COMMUNITY = "330106002001"  # the neighbouring street


def login(username: str, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=username, password="demo-pass-2019")
    return client


def make_manhole(community: str = OWN_COMMUNITY) -> Component:
    response = Api("city_admin").create(manhole(at=inside(community)))
    assert response.status_code == 201, response.content
    return Component.objects.get(identifier=response.json()["properties"]["identifier"])


def change_url(component: Component) -> str:
    return f"/admin/component_catalog/component/{component.pk}/change/"


def form_data(client: Client, component: Component, **changes: Any) -> dict[str, Any]:
    """What the change page's form would post unchanged, with ``changes`` applied."""
    response = client.get(change_url(component))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if name == "geometry":
            value = component.geometry.json
        data[name] = "" if value is None else value
    data.update({"comment": "后台修正井盖属性", "_save": "1"})
    data.update(changes)
    return data


def test_the_change_page_has_typed_attribute_fields_not_json() -> None:
    component = make_manhole()
    html = login("city_admin").get(change_url(component)).content.decode()
    material = re.search(r'<select name="attr__material"[^>]*>(.*?)</select>', html, re.S)
    assert material is not None
    options = re.findall(r'<option value="([^"]*)"[^>]*>', material.group(1))
    assert options == ["", "铸铁", "球墨铸铁", "复合材料", "混凝土", "钢", "其他"]
    assert re.search(r'<option value="球墨铸铁" selected>', material.group(1))
    depth = re.search(r'<input type="number" name="attr__depth_m"[^>]*>', html)
    assert depth is not None and 'max="20"' in depth.group(0) and 'value="1.5"' in depth.group(0)
    assert ">井深（米）" in html  # the schema's own label
    assert 'name="attributes"' not in html  # no raw JSON box
    assert 'class="sc-geometry-widget"' in html  # the geometry on a map, editable
    assert 'name="geometry"' in html
    english = login("city_admin", "en").get(change_url(component)).content.decode()
    assert ">Well depth (m)" in english and ">Reason for the change" in english


def test_an_edit_bumps_the_version_and_leaves_history_and_audit() -> None:
    # Audit rows are append-only and committed tests leave theirs: an identifier given out
    # again after a rolled-back test may already have some, so look at this test's rows.
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    component = make_manhole()
    client = login("city_admin")
    data = form_data(client, component, attr__material="铸铁", attr__depth_m="2.25", name="新名")
    response = client.post(change_url(component), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    component.refresh_from_db()
    assert component.version == 2
    assert component.name == "新名"
    assert component.attributes["material"] == "铸铁" and component.attributes["depth_m"] == 2.25
    assert component.attributes["size_mm"] == 700  # untouched values stay
    history = ComponentHistory.objects.get(identifier=component.identifier, version=2)
    assert history.actor_username == "city_admin"
    assert history.changeset.comment == "后台修正井盖属性"
    assert "attributes" in history.changes or "attributes.material" in str(history.changes)
    event = AuditEvent.objects.filter(
        id__gt=mark, action="component.update", object_id=component.identifier
    )
    assert event.get().actor_username == "city_admin"


def test_a_stale_form_is_refused_and_changes_nothing() -> None:
    component = make_manhole()
    client = login("city_admin")
    stale = form_data(client, component, attr__material="钢")
    # someone else saves first, through the API
    api = Api("district_admin")
    response = api.patch(
        f"/api/v1/components/{component.identifier}/",
        {"properties": {"version": 1, "name": "他人修改"}, "comment": "先改"},
    )
    assert response.status_code == 200, response.content
    changesets = Changeset.objects.count()
    response = client.post(change_url(component), stale)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("版本 2" in e or "version 2" in e for e in errors), errors
    component.refresh_from_db()
    assert component.version == 2 and component.name == "他人修改"
    assert component.attributes["material"] == "球墨铸铁"
    assert Changeset.objects.count() == changesets


def test_bad_values_name_the_field_and_change_nothing() -> None:
    component = make_manhole()
    client = login("city_admin")
    for field, value in (("attr__depth_m", "50"), ("attr__material", "木头"), ("comment", "")):
        response = client.post(
            change_url(component), form_data(client, component, **{field: value})
        )
        assert response.status_code == 200
        assert list(response.context["adminform"].form.errors) == [field]
    component.refresh_from_db()
    assert component.version == 1


def test_a_street_admin_edits_in_its_street_only() -> None:
    own = make_manhole(OWN_COMMUNITY)
    other = make_manhole(OTHER_COMMUNITY)
    client = login("street_admin")
    # inside its street: saved through the services
    response = client.post(change_url(own), form_data(client, own, attr__depth_m="3"))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.version == 2 and own.attributes["depth_m"] == 3
    # the neighbouring street's component: no form to change it, and a post changes nothing
    page = client.get(change_url(other))
    assert 'name="attr__depth_m"' not in page.content.decode()
    data = form_data(login("city_admin"), other, attr__depth_m="4")
    assert client.post(change_url(other), data).status_code in (302, 403)
    other.refresh_from_db()
    assert other.version == 1 and other.attributes["depth_m"] == 1.5
    # moving its own component into the neighbouring street is refused on the geometry
    lon, lat = inside(OTHER_COMMUNITY)
    moved = form_data(client, own, geometry=f'{{"type": "Point", "coordinates": [{lon}, {lat}]}}')
    response = client.post(change_url(own), moved)
    assert response.status_code == 200
    assert "geometry" in response.context["adminform"].form.errors
    own.refresh_from_db()
    assert own.version == 2 and own.community_id == OWN_COMMUNITY
    assert AuditEvent.objects.filter(
        action="component.update", object_id=own.identifier, result=AuditResult.DENIED
    ).exists()


def autocomplete(client: Client, model: str, field: str, term: str = "") -> list[str]:
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "core", "model_name": model, "field_name": field, "term": term},
    )
    assert response.status_code == 200, response.content[:300]
    return [r["text"] for r in response.json()["results"]]


def test_autocomplete_answers_only_what_the_user_may_grant() -> None:
    get_user_model().objects.get_or_create(username="new_hire")
    street = login("street_admin")
    areas = autocomplete(street, "membership", "area")
    codes = [re.search(r"\((\d+)\)", text).group(1) for text in areas]  # type: ignore[union-attr]
    assert "330106001" in codes and all(c.startswith("330106001") for c in codes), areas
    assert "330106" not in codes  # its own district: seen, not granted in
    users = autocomplete(street, "membership", "user")
    assert "new_hire" in users and "community_worker" in users
    assert "city_admin" not in users and "district_admin" not in users
    # the city administrator finds every account
    city_users = autocomplete(login("city_admin"), "membership", "user")
    assert {"city_admin", "district_admin", "new_hire"} <= set(city_users)
    # organizations for a component's owner: every active one, searched by name
    orgs = autocomplete(street, "organization", "area")  # an organization's home area
    assert all("西湖区" not in o or "街道" in o for o in orgs)
    owners = street.get(
        "/admin/autocomplete/",
        {"app_label": "component_catalog", "model_name": "component", "field_name": "owner"},
    )
    assert owners.status_code == 200
    assert len(owners.json()["results"]) == min(
        Organization.objects.filter(active=True).count(), 20
    )


def test_a_surveyor_gets_no_autocomplete() -> None:
    client = login("surveyor_water")
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "core", "model_name": "membership", "field_name": "user", "term": "a"},
    )
    assert response.status_code in (302, 403)


def test_view_only_pages_draw_the_geometry_on_a_map() -> None:
    component = make_manhole()
    html = login("auditor").get(change_url(component)).content.decode()
    assert 'class="sc-geometry-widget sc-geometry-readonly"' in html
    assert "/static/gis_app/admin_map.js" in html and "/static/vendor/leaflet/leaflet.js" in html
    assert 'name="geometry' not in html  # nothing to post
    assert "球墨铸铁" in html  # the attributes as a table
    area = Membership._meta.get_field("area").related_model.objects.get(code=OWN_COMMUNITY)
    page = login("city_admin").get(f"/admin/layers/adminarea/{area.pk}/change/")
    html = page.content.decode()
    assert "sc-geometry-readonly" in html
    assert "个部分" not in html and "vertices" not in html


def test_english_labels_and_choices_come_from_the_schemas_translations() -> None:
    component = make_manhole()
    klass = component.component_class
    schema = klass.attribute_schema
    schema["properties"]["material"]["x-i18n"] = {
        "en": {"title": "Cover material", "enum": {"铸铁": "Cast iron", "钢": "Steel"}}
    }
    klass.attribute_schema = schema
    klass.save(update_fields=["attribute_schema"])
    html = login("city_admin", "en").get(change_url(component)).content.decode()
    assert ">Cover material" in html
    assert '<option value="铸铁">Cast iron</option>' in html  # the stored value stays
    assert '<option value="钢">Steel</option>' in html
    # not in the class's own annotation: the catalog's table of translations
    assert '<option value="混凝土">Concrete</option>' in html
    chinese = login("city_admin").get(change_url(component)).content.decode()
    assert ">材质" in chinese and '<option value="铸铁">铸铁</option>' in chinese


def test_retiring_in_the_admin_goes_through_the_services() -> None:
    component = make_manhole()
    client = login("city_admin")
    page = client.get(change_url(component)).content.decode()
    assert 'name="retire"' in page
    response = client.post(change_url(component), form_data(client, component, retire="on"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    component.refresh_from_db()
    assert component.currency == "retired" and component.version == 2
    entry = ComponentHistory.objects.get(identifier=component.identifier, version=2)
    assert entry.action == "retire" and entry.changeset.comment == "后台修正井盖属性"
    assert AuditEvent.objects.filter(
        action="component.retire", object_id=component.identifier, actor_username="city_admin"
    ).exists()


def test_the_change_page_lists_the_latest_changes_with_their_reasons() -> None:
    component = make_manhole()
    client = login("city_admin")
    client.post(change_url(component), form_data(client, component, attr__depth_m="2"))
    html = client.get(change_url(component)).content.decode()
    table = re.search(r'<table class="sc-history">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", table.group(1), re.S)
    assert [version for version, _rest in rows] == ["2", "1"]  # newest first
    assert "后台修正井盖属性" in rows[0][1] and "attributes" in rows[0][1]
    assert "city_admin" in rows[0][1]


def test_a_read_only_map_offers_nothing_to_edit() -> None:
    component = make_manhole()
    html = login("auditor").get(change_url(component)).content.decode()
    widget = re.search(
        r'<div class="sc-geometry-widget sc-geometry-readonly".*?</details>', html, re.S
    )
    assert widget is not None
    assert "可编辑" not in widget.group(0) and "readonly" in widget.group(0)
    assert "&quot;readOnly&quot;: true" in widget.group(0)


def test_class_names_follow_the_page_language() -> None:
    make_manhole()
    english = login("city_admin", "en").get("/admin/component_catalog/component/")
    html = english.content.decode()
    assert "0101 Water-supply manhole cover" in html
    assert "01 Public utilities" in html  # the major-class filter: majors only
    assert "0101 上水井盖" not in html and "0102 Sewage" not in html
    chinese = login("city_admin").get("/admin/component_catalog/component/").content.decode()
    assert "0101 上水井盖" in chinese and "01 公用设施" in chinese
