"""No grant outside its area or above its role, through the admin as through the API; and
every admin write audited. Each test plays what a hostile reviewer did with the demo
accounts (session + CSRF, as a browser would)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from component_catalog.models import ComponentClass
from gis_app import access, areacodes
from gis_app.admin_scoping import AuditedAdmin, GuardedAdmin
from gis_app.models import AuditEvent, Membership, Organization
from gis_app.roles import ROLE_ACTIONS, Action, may_grant
from layers.models import Layer
from tests.components_helpers import Api
from tests.conftest import DEMO_ACCOUNTS

pytestmark = pytest.mark.django_db

STREET = "330106001"
COMMUNITY = "330106001001"


def admin_client(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/admin/login/",
        {"username": username, "password": "demo-pass-2019", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302, response.content.decode()[-500:]
    return client


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    """A form POST with the CSRF token the page handed out, as the browser sends it."""
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def membership_form(role: str, area: str, **extra: Any) -> dict[str, Any]:
    user = get_user_model().objects.get_or_create(username="new_hire")[0]
    organization = Organization.objects.get(code="XH-JD-001")
    return {
        "user": user.pk,
        "organization": organization.pk,
        "role": role,
        "area": area,
        "active": "on",  # no class_codes: a multiple select with nothing chosen sends none
        **extra,
    }


@pytest.mark.parametrize(
    ("role", "area", "field"),
    [
        ("system_admin", "330100", "role"),  # the reviewer's request, saved before
        ("system_admin", STREET, "role"),
        ("auditor", STREET, "role"),  # an auditor reads the whole city's audit log
        ("city_admin", STREET, "role"),
        ("district_admin", STREET, "role"),
        ("street_admin", STREET, "role"),  # not even its own rank
        ("surveyor", "330106002", "area"),  # a neighbouring street
    ],
)
def test_a_street_admin_cannot_grant_above_its_role_or_outside_its_area(role, area, field):
    client = admin_client("street_admin")
    before = Membership.objects.count()
    response = post(client, "/admin/core/membership/add/", membership_form(role, area))
    assert response.status_code == 200  # the form again, with an error
    assert Membership.objects.count() == before
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    if field == "area":  # a role it may give, in the wrong place: an access denial
        denied = AuditEvent.objects.filter(action="admin.add", result="denied").latest("id")
        assert denied.actor_username == "street_admin"
        assert denied.object_type == "core.membership"


def test_a_street_admin_grants_field_roles_inside_its_street_and_it_is_audited():
    client = admin_client("street_admin")
    response = post(client, "/admin/core/membership/add/", membership_form("surveyor", STREET))
    assert response.status_code == 302, response.context["adminform"].form.errors
    made = Membership.objects.get(user__username="new_hire", role="surveyor")
    event = AuditEvent.objects.get(action="admin.add", object_id=str(made.pk))
    assert event.result == "success" and event.actor_username == "street_admin"
    assert event.object_type == "core.membership"
    # raising that membership to an auditor is refused like creating one
    url = f"/admin/core/membership/{made.pk}/change/"
    refused = post(client, url, membership_form("auditor", STREET))
    assert refused.status_code == 200
    made.refresh_from_db()
    assert made.role == "surveyor"


def test_the_role_list_offers_only_roles_below_ones_own():
    page = admin_client("street_admin").get("/admin/core/membership/add/")
    choices = {value for value, _ in page.context["adminform"].form.fields["role"].choices}
    assert choices - {""} == {
        "resident",
        "surveyor",
        "maintainer",
        "planner",
        "community_worker",
        "grid_worker",
    }


OWN_CELL = f"{COMMUNITY}001"
OTHER_STREET_CELL = "330106002001001"


def test_a_street_admin_makes_a_grid_worker_of_a_cell_in_its_street():
    client = admin_client("street_admin")
    form = membership_form("grid_worker", "", grid_cell=OWN_CELL)  # the area follows the cell
    response = post(client, "/admin/core/membership/add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    made = Membership.objects.get(user__username="new_hire", role="grid_worker")
    assert (made.grid_cell_id, made.area_id) == (OWN_CELL, COMMUNITY)
    (grant,) = access.grants(made.user)
    assert grant.area_code == OWN_CELL
    event = AuditEvent.objects.get(action="admin.add", object_id=str(made.pk))
    assert event.result == "success" and event.actor_username == "street_admin"
    # the cell picker offers the cells of its street only
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "core", "model_name": "membership", "field_name": "grid_cell"},
    )
    assert found.status_code == 200
    cells = [r["id"] for r in found.json()["results"]]
    assert OWN_CELL in cells and all(c.startswith(STREET) for c in cells), cells
    # the grant shows in the list and on its page with its cell
    listed = client.get("/admin/core/membership/")
    assert listed.status_code == 200
    assert str(made.grid_cell) in listed.content.decode()  # the cell's column
    page = client.get(f"/admin/core/membership/{made.pk}/change/")
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["grid_cell"] == OWN_CELL


@pytest.mark.parametrize(
    ("role", "area", "cell", "field"),
    [
        ("grid_worker", "", OTHER_STREET_CELL, "grid_cell"),  # a cell of another street
        ("grid_worker", COMMUNITY, "", "grid_cell"),  # a grid worker needs a cell
        ("grid_worker", f"{STREET}002", OWN_CELL, "area"),  # not the cell's community
        ("street_admin", COMMUNITY, OWN_CELL, "role"),  # above its own role
        ("surveyor", "", "", "area"),  # neither an area nor a cell
    ],
)
def test_a_street_admin_cannot_make_a_grid_worker_outside_its_street(role, area, cell, field):
    client = admin_client("street_admin")
    before = Membership.objects.count()
    form = membership_form(role, area, grid_cell=cell)
    response = post(client, "/admin/core/membership/add/", form)
    assert response.status_code == 200
    assert Membership.objects.count() == before
    errors = response.context["adminform"].form.errors
    assert field in errors, errors


def test_a_class_bound_grant_cannot_widen_classes():
    grant = access.Grant("street_admin", STREET, 1, "government", ("0101", "0102"))
    policy = access.policy_for(Membership)
    inside = Membership(role="surveyor", area_id=STREET, class_codes=["0101"])
    wider = Membership(role="surveyor", area_id=STREET, class_codes=["0101", "0111"])
    every = Membership(role="surveyor", area_id=STREET, class_codes=[])
    assert policy.in_scope(grant, Action.MANAGE, inside)
    assert not policy.in_scope(grant, Action.MANAGE, wider)
    assert not policy.in_scope(grant, Action.MANAGE, every)


def test_memberships_above_ones_role_in_ones_area_cannot_be_changed_or_deleted():
    top = get_user_model().objects.create(username="chief", is_staff=True)
    org = Organization.objects.get(code="XH-JD-001")
    high = Membership.objects.create(
        user=top, organization=org, role="system_admin", area_id=STREET
    )
    client = admin_client("street_admin")
    change = post(
        client, f"/admin/core/membership/{high.pk}/change/", membership_form("resident", STREET)
    )
    assert change.status_code in (302, 403)
    high.refresh_from_db()
    assert high.role == "system_admin" and high.user_id == top.pk
    delete = post(client, f"/admin/core/membership/{high.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert Membership.objects.filter(pk=high.pk).exists()


@pytest.mark.parametrize(
    ("username", "area", "allowed"),
    [
        ("street_admin", "330100", False),  # the reviewer's city-level organization
        ("street_admin", "", False),  # no home area: a city-wide party
        ("street_admin", "330106002", False),
        ("street_admin", STREET, True),
        ("district_admin", "330100", False),
        ("district_admin", "330106003", True),
        ("city_admin", "", True),
    ],
)
def test_organizations_are_added_only_inside_ones_area(username, area, allowed):
    client = admin_client(username)
    code = f"T-{username}-{area or 'none'}"
    response = post(
        client,
        "/admin/core/organization/add/",
        {
            "code": code,
            "name": "测试物业",
            "name_en": "",
            "kind": "property_management",
            "area": area,
            "active": "on",
        },
    )
    assert Organization.objects.filter(code=code).exists() == allowed
    if allowed:
        assert AuditEvent.objects.filter(
            action="admin.add", object_type="core.organization", result="success"
        ).exists()
    else:
        assert response.status_code == 200
        assert "area" in response.context["adminform"].form.errors


def test_bulk_delete_of_organizations_outside_ones_area_is_refused():
    outside = Organization.objects.create(
        code="T-FAR", name="远处公司", kind="utility", area_id="330100"
    )
    client = admin_client("district_admin")
    response = post(
        client,
        "/admin/core/organization/",
        {"action": "delete_selected", "_selected_action": [outside.pk], "post": "yes"},
    )
    assert response.status_code in (200, 403)
    assert Organization.objects.filter(pk=outside.pk).exists()


def test_city_wide_settings_need_a_city_level_grant():
    layer = Layer.objects.get(code="component-0111")
    assert not layer.is_public
    gas = ComponentClass.objects.get(code="0111").pk
    for username in ("street_admin", "district_admin"):
        refused = Api(username).patch("/api/v1/layers/component-0111/", {"is_public": True})
        assert refused.status_code == 403, (username, refused.content)
        client = admin_client(username)
        # the change form of a component class and of a layer is read-only for them ...
        page = client.get(f"/admin/component_catalog/componentclass/{gas}/change/")
        assert page.status_code == 200 and not page.context["has_change_permission"]
        form = post(
            client,
            f"/admin/component_catalog/componentclass/{gas}/change/",
            {
                "name_zh": "燃气",
                "attribute_schema": "{}",
                "accuracy_threshold_m": "1",
                "default_public": "on",
                "active": "on",
            },
        )
        assert form.status_code == 403
        # ... and the layer list's editable columns refuse too
        listed = post(
            client,
            "/admin/layers/layer/",
            {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-0-id": layer.pk,
                "form-0-is_public": "on",
                "form-0-active": "on",
                "_save": "Save",
            },
        )
        assert listed.status_code == 403
        layer.refresh_from_db()
        assert not layer.is_public
    allowed = Api("city_admin").patch("/api/v1/layers/component-0111/", {"is_public": False})
    assert allowed.status_code == 200


def _area_of(obj: Any) -> str | None:
    """The area a row belongs to, for the models the admin writes (None: city-wide)."""
    label = obj._meta.label
    if label in ("core.Organization", "core.Membership", "layers.Stewardship"):
        return obj.area_id
    if label in ("layers.AdminArea", "layers.GridCell"):
        return obj.code
    if label == "component_catalog.Component":
        return obj.community_id
    if label == "parking.ParkingLot":
        return obj.component.community_id
    if label in ("parking.ParkingSpace", "parking.Device"):
        return obj.lot.component.community_id
    if label == "devices.Device":
        return obj.area_id
    return None


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_walk_every_admin_model_as_every_demo_role(username):
    """Every admin page a role may open answers without error, and every row the admin
    lets it change or delete lies inside one of its managing grants (city-wide rows: a
    city-level grant); models outside the access module are superuser-only."""
    user = get_user_model().objects.get(username=username)
    request = RequestFactory().get("/admin/")
    request.user = user
    grants = access.grants(user)
    client = admin_client(username) if user.is_staff else None
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedAdmin), model
        writable = (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        )
        if writable:
            assert isinstance(model_admin, GuardedAdmin), model
        if client is not None and model_admin.has_module_permission(request):
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            if model_admin.has_view_permission(request) or model_admin.has_change_permission(
                request
            ):
                assert client.get(url).status_code == 200, url
            if model_admin.has_add_permission(request):
                assert client.get(url + "add/").status_code == 200, url
        for obj in model_admin.get_queryset(request)[:50]:
            change = model_admin.has_change_permission(request, obj)
            delete = model_admin.has_delete_permission(request, obj)
            if not (change or delete):
                continue
            area = _area_of(obj)
            managing = [g for g in grants if g.allows(Action.MANAGE)]
            if area is None:
                assert any(g.city_wide for g in managing), (username, model, obj.pk)
            else:
                assert any(areacodes.contains(g.area_code, area) for g in managing), (
                    username,
                    model,
                    obj.pk,
                )
            if model is Membership:
                assert any(may_grant(g.role, obj.role) for g in managing), (username, obj.pk)


def test_no_role_may_grant_an_action_it_does_not_hold():
    for granter, actions in ROLE_ACTIONS.items():
        for role in ROLE_ACTIONS:
            if may_grant(granter, role):
                assert ROLE_ACTIONS[role] <= actions, (granter, role)


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_stewardships_are_never_written_outside_ones_area(username):
    """The API's grant-like write (who maintains which layer where) as every role."""
    body = {
        "layer": "component-0301",
        "area": "330106002",
        "organization": "XH-CGJ",
        "role": "maintain",
    }
    response = Api(username).post("/api/v1/stewardships/", body)
    user_grants = access.grants(get_user_model().objects.get(username=username))
    inside = any(
        g.allows(Action.MANAGE) and areacodes.contains(g.area_code, "330106002")
        for g in user_grants
    )
    assert (response.status_code == 201) == inside, (username, response.content)


def test_deleting_a_parking_space_with_events_is_refused_not_a_server_error():
    from community.parking.models import ParkingSpace
    from tests.parking_support import event, make_lot, send

    lot = make_lot("管理端删除测试", COMMUNITY, 2)
    assert send(lot.camera, event("adm-1", "in", 5, space="B1-002")).status_code == 200
    space = ParkingSpace.objects.get(lot=lot.lot, code="B1-002")
    client = admin_client("district_admin")
    url = f"/admin/parking/parkingspace/{space.pk}/delete/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["protected"], "the confirmation page must say it cannot be deleted"
    response = post(client, url, {"post": "yes"})
    assert response.status_code == 200  # the same "cannot delete" page, not a 500
    assert ParkingSpace.objects.filter(pk=space.pk).exists()
    # a space without events is deleted, and the deletion is audited
    free = ParkingSpace.objects.get(lot=lot.lot, code="B1-005")
    gone = post(client, f"/admin/parking/parkingspace/{free.pk}/delete/", {"post": "yes"})
    assert gone.status_code == 302
    assert not ParkingSpace.objects.filter(pk=free.pk).exists()
    event_row = AuditEvent.objects.get(action="admin.delete", object_id=str(free.pk))
    assert event_row.object_type == "parking.parkingspace"
    assert event_row.actor_username == "district_admin"


def test_parking_spaces_cannot_be_moved_into_a_lot_outside_ones_area():
    from community.parking.models import ParkingSpace
    from tests.parking_support import make_lot

    ours = make_lot("北山的停车场", COMMUNITY, 3)
    theirs = make_lot("别处的停车场", "330106002001", 3)
    space = ParkingSpace.objects.get(lot=ours.lot, code="B1-001")
    client = admin_client("street_admin")
    url = f"/admin/parking/parkingspace/{space.pk}/change/"
    response = post(
        client,
        url,
        {
            "code": "B1-099",
            "lot": theirs.lot.pk,
            "kind": "standard",
            "floor": "",
            "geometry": space.geometry.geojson,
        },
    )
    assert response.status_code == 200
    assert "lot" in response.context["adminform"].form.errors
    space.refresh_from_db()
    assert space.lot_id == ours.lot.pk
    changed = post(
        client,
        url,
        {
            "code": "B1-001A",
            "lot": ours.lot.pk,
            "kind": "standard",
            "floor": "",
            "geometry": space.geometry.geojson,
        },
    )
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    denied = AuditEvent.objects.get(action="admin.change", object_id=str(space.pk), result="denied")
    assert denied.actor_username == "street_admin"
    audit = AuditEvent.objects.get(action="admin.change", object_id=str(space.pk), result="success")
    assert audit.detail["fields"] and audit.object_type == "parking.parkingspace"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_class_scope_is_picked_from_the_catalog_not_typed(language: str) -> None:
    client = admin_client("city_admin")
    html = client.get("/admin/core/membership/add/", HTTP_ACCEPT_LANGUAGE=language)
    page = html.content.decode()
    cover = ComponentClass.objects.select_related("major").get(code="0101")
    major = cover.major
    assert major is not None
    english = language == "en"
    assert f'<optgroup label="01 {(english and major.name_en) or major.name_zh}">' in page
    name = (english and cover.name_en) or cover.name_zh
    assert f'<option value="0101">0101 {name}</option>' in page
    assert 'name="class_codes" value=' not in page  # no text box of codes
    form = membership_form("surveyor", STREET, class_codes=["0101", "0111"])
    response = post(client, "/admin/core/membership/add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    made = Membership.objects.get(user__username="new_hire", role="surveyor")
    assert made.class_codes == ["0101", "0111"]
    # the change page shows the chosen ones selected
    again = client.get(f"/admin/core/membership/{made.pk}/change/").content.decode()
    assert '<option value="0101" selected>' in again and '<option value="0102">' in again
    # a code the catalog does not have is refused, naming the field
    bad = post(
        client,
        "/admin/core/membership/add/",
        membership_form("planner", STREET, class_codes=["9999"]),
    )
    assert "class_codes" in bad.context["adminform"].form.errors
