"""Base layers in the OGC API: public footprints, restricted building details."""

import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client

from layers.basemap.models import Building
from layers.models import GridCell
from tests.components_helpers import Api

pytestmark = pytest.mark.django_db


def footprint(cell_code):
    p = GridCell.objects.get(code=cell_code).boundary.point_on_surface
    square = Polygon.from_bbox((p.x, p.y, p.x + 0.0002, p.y + 0.0001))
    return MultiPolygon(square, srid=4490)


@pytest.fixture
def buildings():
    a = Building.objects.create(
        geometry=footprint("330106001001001"),
        name="保俶新村1幢",
        address="杭州市西湖区保俶路1号",
        floors=6,
        use="residential",
        units_count=48,
        community_id="330106001001",
    )
    b = Building.objects.create(
        geometry=footprint("330106002001001"),
        name="西溪商厦",
        address="杭州市西湖区西溪路8号",
        floors=12,
        use="commercial",
        units_count=0,
        community_id="330106002001",
    )
    return a, b


def items(client, collection, **params):
    response = client.get(f"/ogc/collections/{collection}/items", params)
    assert response.status_code in (200, 404), response
    if response.status_code == 404:
        return None
    return json.loads(b"".join(response.streaming_content))


def test_anonymous_gets_footprints_without_details(buildings):
    page = items(Client(), "buildings")
    names = {f["properties"]["name"] for f in page["features"]}
    assert names == {"保俶新村1幢", "西溪商厦"}
    for feature in page["features"]:
        assert set(feature["properties"]) == {"name", "address", "community"}
    assert items(Client(), "building-details") is None
    one = Client().get(f"/ogc/collections/building-details/items/{buildings[0].pk}")
    assert one.status_code == 404


def test_staff_get_details_only_inside_their_area(buildings):
    street = Api("street_admin").client
    page = items(street, "building-details")
    assert [f["properties"]["name"] for f in page["features"]] == ["保俶新村1幢"]
    assert page["features"][0]["properties"]["units_count"] == 48
    district = Api("district_admin").client
    assert items(district, "building-details")["numberMatched"] == 2
    filtered = items(district, "building-details", use="commercial")
    assert [f["properties"]["name"] for f in filtered["features"]] == ["西溪商厦"]
