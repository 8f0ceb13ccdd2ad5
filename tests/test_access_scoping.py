"""Who sees which areas: the access module through the REST API and directly."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from gis_app import access
from gis_app.roles import Action
from layers.models import AdminArea, GridCell

pytestmark = pytest.mark.django_db

OWN_STREET = "330106001"
OTHER_STREET = "330106002"


def codes(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return [f["id"] for f in body["features"]]


def test_street_admin_lists_only_their_streets_communities(api_as):
    listed = codes(api_as("street_admin").get("/api/v1/areas/?level=community"))
    assert listed, "the street admin should see the communities of their street"
    assert all(code.startswith(OWN_STREET) for code in listed)
    expected = set(
        AdminArea.objects.filter(level="community", parent_id=OWN_STREET).values_list(
            "code", flat=True
        )
    )
    assert set(listed) == expected


def test_other_streets_community_answers_404_not_403(api_as):
    other = AdminArea.objects.filter(parent_id=OTHER_STREET).first()
    response = api_as("street_admin").get(f"/api/v1/areas/{other.code}/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    # ...while one of their own is there, with its boundary as GeoJSON.
    own = AdminArea.objects.filter(parent_id=OWN_STREET).first()
    response = api_as("street_admin").get(f"/api/v1/areas/{own.code}/")
    assert response.status_code == 200
    assert response.json()["geometry"]["type"] == "MultiPolygon"


def test_hidden_and_missing_areas_answer_alike(api_as):
    client = api_as("street_admin")
    hidden = client.get(f"/api/v1/areas/{OTHER_STREET}001/")
    missing = client.get("/api/v1/areas/330106999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_district_admin_sees_all_streets_and_communities(api_as):
    client = api_as("district_admin")
    streets = codes(client.get("/api/v1/areas/?level=street&page_size=1000"))
    assert sorted(streets) == sorted(
        AdminArea.objects.filter(parent_id="330106").values_list("code", flat=True)
    )
    assert len(streets) == 6
    communities = codes(client.get("/api/v1/areas/?under=330106&level=community&page_size=1000"))
    assert len(communities) == AdminArea.objects.filter(level="community").count() == 30
    grids = client.get("/api/v1/grid-cells/?page_size=1000").json()
    assert grids["count"] == GridCell.objects.count()


def test_anonymous_sees_only_public_areas(api_as):
    client = api_as(None)
    listed = codes(client.get("/api/v1/areas/?page_size=1000"))
    public = set(AdminArea.objects.filter(is_public=True).values_list("code", flat=True))
    assert set(listed) == public
    assert not AdminArea.objects.filter(code__in=listed, is_public=False).exists()
    community = AdminArea.objects.filter(level="community").first()
    assert client.get(f"/api/v1/areas/{community.code}/").status_code == 404
    assert client.get("/api/v1/grid-cells/").json()["count"] == 0


def test_street_admin_can_navigate_up_but_not_sideways(api_as):
    client = api_as("street_admin")
    # ancestors of their street are visible for navigation (city, district are public anyway)
    assert client.get("/api/v1/areas/330106/").status_code == 200
    # grid cells: only inside their street
    grids = client.get("/api/v1/grid-cells/?page_size=1000").json()
    assert grids["count"] == GridCell.objects.filter(code__startswith=OWN_STREET).count() > 0
    assert all(f["id"].startswith(OWN_STREET) for f in grids["features"])
    other_grid = GridCell.objects.exclude(code__startswith=OWN_STREET).first()
    assert client.get(f"/api/v1/grid-cells/{other_grid.code}/").status_code == 404


def test_can_follows_role_and_area():
    users = get_user_model().objects
    street_admin = users.get(username="street_admin")
    planner = users.get(username="planner")
    worker = users.get(username="community_worker")
    own = AdminArea.objects.get(code=f"{OWN_STREET}001")
    other = AdminArea.objects.get(code=f"{OTHER_STREET}001")

    assert access.can(street_admin, Action.CHANGE, own)
    assert not access.can(street_admin, Action.CHANGE, other)
    assert not access.can(street_admin, Action.VIEW, other)
    # the planner reads the whole district but changes nothing
    assert access.can(planner, Action.VIEW, other)
    assert access.can(planner, Action.REPORT, other)
    assert not access.can(planner, Action.CHANGE, own)
    # the community worker's scope is their own community only
    assert access.can(worker, Action.CHANGE, own)
    sibling = AdminArea.objects.get(code=f"{OWN_STREET}002")
    assert not access.can(worker, Action.CHANGE, sibling)
    assert not access.can(AnonymousUser(), Action.VIEW, own)
    assert access.can(AnonymousUser(), Action.VIEW, AdminArea.objects.get(code="330106"))


def test_inactive_membership_grants_nothing():
    from gis_app.models import Membership

    user = get_user_model().objects.get(username="street_admin")
    Membership.objects.filter(user=user).update(active=False)
    access.forget_grants(user)
    assert access.visible(user, AdminArea.objects.filter(level="community")).count() == 0


def test_organizations_are_public_to_read(api_as):
    body = api_as(None).get("/api/v1/organizations/?kind=utility").json()
    names = {row["name"] for row in body["results"]}
    assert "杭州水务集团有限公司" in names
    assert all(row["kind"] == "utility" for row in body["results"])
    assert api_as(None).get("/api/v1/organizations/NOPE/").status_code == 404


def test_a_policy_granting_everything_is_not_lost_in_the_or():
    """Q() | Q(x) is Q(x) in Django: a grant whose scope is 'all rows' must still see all."""
    from gis_app.models import AuditEvent
    from layers.models import Layer

    users = get_user_model().objects
    auditor = users.get(username="auditor")
    assert access.visible(auditor, AuditEvent.objects.all()).count() == AuditEvent.objects.count()
    admin = users.get(username="district_admin")
    restricted = Layer.objects.filter(is_public=False)
    assert access.visible(admin, restricted).count() == restricted.count() > 0
    assert access.visible(AnonymousUser(), restricted).count() == 0
