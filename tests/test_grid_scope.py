"""Grid-cell scope: a grid worker (网格员) of one 单元网格 sees and edits what lies in its
cell, through every entry point (REST API, OGC API Features, vector tiles, areas, the
survey page), and nothing of the next cell of the same community: hidden is 404.

Synthetic test geography (``layers.demo_geometry``): district 330106, 4 grid cells per
community; the worker's cell is 330106001001001, "next door" is 330106001001002.
Components of the restricted class 0111 (gas covers: not public) are made by the district
administrator inside the test's transaction.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from typing import Any

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from pyproj import Transformer

from component_catalog.models import Component
from gis_app import access
from gis_app.models import Membership, Organization
from gis_app.roles import Action, Role, may_grant
from layers.models import AdminArea, GridCell
from tests.components_helpers import Api, inside
from tests.ogc_data import gas_cover

pytestmark = pytest.mark.django_db

COMMUNITY = "330106001001"
OWN_CELL = f"{COMMUNITY}001"
NEXT_CELL = f"{COMMUNITY}002"
WORKER = "gw_cell_one"
PASSWORD = "demo-pass-2019"
URL = "/api/v1/components/"
HALF = 20037508.342789244
TO_3857 = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True)


def make_grid_worker(username: str = WORKER, cell: str = OWN_CELL) -> Any:
    user = get_user_model().objects.create(username=username, first_name="保俶社区网格员")
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.create(
        user=user,
        organization=Organization.objects.get(code="XH-JD-001"),
        role=Role.GRID_WORKER,
        area_id=cell[:12],
        grid_cell_id=cell,
    )
    return user


def gas_at(at: list[float], organization: str | None = None) -> dict[str, Any]:
    """A gas cover (class 0111, not public); ``organization`` as owner and maintainer."""
    feature = gas_cover(at)
    if organization:
        feature["properties"].update(owner=organization, maintainer=organization)
    return feature


def create(api: Api, feature: dict[str, Any]) -> str:
    response = api.create(feature, comment="网格测试")
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


@pytest.fixture
def worker() -> Api:
    make_grid_worker()
    return Api(WORKER)


@pytest.fixture
def covers() -> dict[str, str]:
    """A gas cover in the worker's cell and one in the next cell (same community)."""
    admin = Api("district_admin")
    return {
        "own": create(admin, gas_at(inside(COMMUNITY, 1))),
        "next": create(admin, gas_at(inside(COMMUNITY, 2))),
    }


def body_json(response: Any) -> Any:
    """The JSON of a response, streamed (OGC items) or not."""
    if response.streaming:
        return json.loads(b"".join(response.streaming_content))
    return response.json()


def identifiers(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {str(f["id"]) for f in body_json(response)["features"]}


def test_the_worker_sees_and_edits_a_component_of_its_cell(worker: Api, covers: dict) -> None:
    ident = covers["own"]
    got = worker.get(f"{URL}{ident}/")
    assert got.status_code == 200, got.content
    assert got.json()["properties"]["grid_cell"] == OWN_CELL
    changed = worker.patch(
        f"{URL}{ident}/",
        {"properties": {"status": "damaged"}, "comment": "巡查发现破损"},
        HTTP_IF_MATCH=got["ETag"],
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["properties"]["status"] == "damaged"
    assert Component.objects.get(identifier=ident).status == "damaged"
    history = worker.get(f"{URL}{ident}/history/")
    assert history.status_code == 200
    # moving it into the next cell is refused on the geometry, and nothing changes
    moved = worker.patch(
        f"{URL}{ident}/",
        {
            "geometry": {"type": "Point", "coordinates": inside(COMMUNITY, 2)},
            "comment": "移到隔壁网格",
        },
        HTTP_IF_MATCH=changed["ETag"],
    )
    assert moved.status_code == 403, moved.content
    assert moved.json()["field"] == "geometry"
    stored = Component.objects.get(identifier=ident)
    assert (stored.grid_cell_id, stored.version) == (OWN_CELL, 2)
    # a grid worker patrols and records: retiring is not its job
    retire = worker.delete(f"{URL}{ident}/", HTTP_IF_MATCH=changed["ETag"])
    assert retire.status_code in (403, 404)
    assert Component.objects.get(identifier=ident).currency == "in_use"


def test_the_next_cell_of_the_same_community_answers_404(worker: Api, covers: dict) -> None:
    ident = covers["next"]
    stored = Component.objects.get(identifier=ident)
    assert stored.community_id == COMMUNITY and stored.grid_cell_id == NEXT_CELL
    missing = worker.get(f"{URL}{ident[:-3]}999/")
    detail = worker.get(f"{URL}{ident}/")
    assert detail.status_code == missing.status_code == 404
    assert detail.json() == missing.json()
    assert worker.get(f"{URL}{ident}/history/").status_code == 404
    patch = worker.patch(
        f"{URL}{ident}/",
        {"properties": {"status": "damaged"}, "comment": "越界修改"},
        HTTP_IF_MATCH='"1"',
    )
    assert patch.status_code == 404
    stored.refresh_from_db()
    assert stored.status != "damaged" and stored.version == 1
    # the community worker of the same community sees both: the cell is what narrows
    community_worker = Api("community_worker")
    assert community_worker.get(f"{URL}{ident}/").status_code == 200


def test_the_list_and_ogc_items_show_only_the_cells_rows(worker: Api, covers: dict) -> None:
    listed = identifiers(worker.get(f"{URL}?class=0111&limit=1000"))
    assert covers["own"] in listed and covers["next"] not in listed
    # every restricted row the worker is given lies in its cell
    assert set(
        Component.objects.filter(identifier__in=listed).values_list("grid_cell_id", flat=True)
    ) == {OWN_CELL}
    cell = GridCell.objects.get(code=COMMUNITY + "002").boundary.extent
    around = ",".join(str(v) for v in cell)
    assert covers["next"] not in identifiers(worker.get(f"{URL}?bbox={around}&limit=1000"))
    items = worker.get("/ogc/collections/component-0111/items?limit=1000")
    assert items.status_code == 200
    ogc = {str(f["id"]) for f in body_json(items)["features"]}
    assert covers["own"] in ogc and covers["next"] not in ogc
    hidden = worker.get(f"/ogc/collections/component-0111/items/{covers['next']}")
    assert hidden.status_code == 404
    # the district administrator sees both through the same requests
    admin = Api("district_admin")
    assert {covers["own"], covers["next"]} <= identifiers(admin.get(f"{URL}?class=0111&limit=1000"))


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    x, y = TO_3857.transform(lon, lat)
    size = 2 * HALF / 2**z
    return math.floor((x + HALF) / size), math.floor((HALF - y) / size)


def tile_identifiers(client: Api, layer: str, lon: float, lat: float) -> set[str]:
    tx, ty = tile_of(lon, lat, 16)
    response = client.get(f"/tiles/{layer}/16/{tx}/{ty}.mvt")
    assert response.status_code in (200, 204), response.content[:200]
    decoded = mapbox_vector_tile.decode(response.content) if response.content else {}
    found = decoded.get("component-0111", {"features": []})["features"]
    return {str(f["properties"].get("identifier")) for f in found}


def test_vector_tiles_show_only_the_cells_rows(worker: Api, covers: dict) -> None:
    own, other = inside(COMMUNITY, 1), inside(COMMUNITY, 2)
    admin = Api("district_admin")
    for layer in ("component-0111", "components"):
        assert covers["own"] in tile_identifiers(worker, layer, *own)
        assert covers["next"] not in tile_identifiers(worker, layer, *other)
        assert covers["next"] in tile_identifiers(admin, layer, *other)


def test_creating_in_the_next_cell_is_refused_naming_the_geometry(worker: Api) -> None:
    before = Component.objects.count()
    refused = worker.create(gas_at(inside(COMMUNITY, 2), "XH-JD-001"), comment="越界新增")
    assert refused.status_code == 403, refused.content
    body = refused.json()
    assert body["field"] == "geometry"
    assert NEXT_CELL in body["detail"]
    assert Component.objects.count() == before
    # the same component in its own cell is recorded, with the cell derived from the point
    made = create(worker, gas_at(inside(COMMUNITY, 1), "XH-JD-001"))
    assert Component.objects.get(identifier=made).grid_cell_id == OWN_CELL
    assert Component.objects.count() == before + 1


def area_ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {str(f["id"]) for f in response.json()["features"]}


def test_areas_show_the_cell_and_its_ancestors_not_the_neighbours(worker: Api) -> None:
    for code in (COMMUNITY, COMMUNITY[:9], COMMUNITY[:6]):
        assert worker.get(f"/api/v1/areas/{code}/").status_code == 200, code
    sibling = f"{COMMUNITY[:9]}002"
    assert not AdminArea.objects.get(code=sibling).is_public
    assert worker.get(f"/api/v1/areas/{sibling}/").status_code == 404
    assert worker.get(f"/api/v1/grid-cells/{OWN_CELL}/").status_code == 200
    assert worker.get(f"/api/v1/grid-cells/{NEXT_CELL}/").status_code == 404
    cells = area_ids(worker.get("/api/v1/grid-cells/?page_size=1000"))
    assert cells == {OWN_CELL}
    communities = area_ids(worker.get("/api/v1/areas/?level=community&page_size=1000"))
    assert COMMUNITY in communities and sibling not in communities


def test_access_module_answers_for_the_cell_alone(covers: dict) -> None:
    user = make_grid_worker()
    own = Component.objects.get(identifier=covers["own"])
    other = Component.objects.get(identifier=covers["next"])
    (grant,) = access.grants(user)
    assert grant.area_code == OWN_CELL and grant.grid_cell == OWN_CELL
    assert access.can(user, Action.CHANGE, own)
    assert not access.can(user, Action.VIEW, other)
    assert not access.can(user, Action.CHANGE, other)
    assert not access.can(user, Action.RETIRE, own)
    assert not access.can(user, Action.VIEW_PERSONAL, own)
    community = AdminArea.objects.get(code=COMMUNITY)
    assert access.can(user, Action.VIEW, community)
    assert not access.can(user, Action.CHANGE, community)
    assert access.can(user, Action.VIEW, GridCell.objects.get(code=OWN_CELL))
    assert not access.can(user, Action.CHANGE, GridCell.objects.get(code=OWN_CELL))
    cells = GridCell.objects.filter(code__in=[OWN_CELL, NEXT_CELL])
    assert not access.visible(user, cells, Action.CHANGE).exists()
    assert not access.can(user, Action.VIEW, GridCell.objects.get(code=NEXT_CELL))


CONFIG_RE = re.compile(
    r'<script type="application/json" id="map_\w+-config">(\{.*?\})</script>', re.DOTALL
)


def test_the_survey_page_opens_on_the_cell_and_loads_its_rows(covers: dict) -> None:
    make_grid_worker()
    client = Client()
    login = client.post("/accounts/login/", {"username": WORKER, "password": PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/survey/"  # lands in the editor
    page = client.get("/survey/")
    assert page.status_code == 200
    found = CONFIG_RE.search(page.content.decode())
    assert found, "the page starts the map with its configuration"
    extra = json.loads(found.group(1))["extra"]
    cell = GridCell.objects.get(code=OWN_CELL).boundary.extent
    assert extra["areaBounds"] == pytest.approx(list(cell), abs=1e-9)
    # the editor loads the components of the map's view through the list; the same
    # session sees its cell's cover and not the next one's
    community = AdminArea.objects.get(code=COMMUNITY).boundary.extent
    bbox = ",".join(str(v) for v in community)
    rows = client.get(f"{URL}?limit=1000&bbox={bbox}", HTTP_ACCEPT="application/json")
    listed = identifiers(rows)
    assert covers["own"] in listed and covers["next"] not in listed


def test_the_membership_keeps_the_cells_community_as_its_area() -> None:
    user = get_user_model().objects.create(username="gw_bad_area")
    org = Organization.objects.get(code="XH-JD-001")
    wrong = Membership(
        user=user,
        organization=org,
        role=Role.GRID_WORKER,
        area_id=f"{COMMUNITY[:9]}002",  # a sibling community, not the cell's
        grid_cell_id=OWN_CELL,
    )
    with pytest.raises(ValidationError) as error:
        wrong.full_clean()
    assert "area" in error.value.message_dict
    with transaction.atomic(), pytest.raises(IntegrityError, match="membership_cell_in_area"):
        wrong.save()
    no_cell = Membership(user=user, organization=org, role=Role.GRID_WORKER, area_id=COMMUNITY)
    with pytest.raises(ValidationError) as error:
        no_cell.full_clean()
    assert "grid_cell" in error.value.message_dict
    with transaction.atomic(), pytest.raises(IntegrityError, match="membership_grid_worker_cell"):
        no_cell.save()
    # an area-wide role does not take a cell
    admin_in_cell = Membership(
        user=user,
        organization=org,
        role=Role.STREET_ADMIN,
        area_id=COMMUNITY,
        grid_cell_id=OWN_CELL,
    )
    with pytest.raises(ValidationError) as error:
        admin_in_cell.full_clean()
    assert "grid_cell" in error.value.message_dict
    # left empty, the area becomes the cell's community
    fine = Membership(user=user, organization=org, role=Role.GRID_WORKER, grid_cell_id=OWN_CELL)
    fine.full_clean()
    assert fine.area_id == COMMUNITY


def test_who_may_make_a_grid_worker() -> None:
    for granter in (Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.SYSTEM_ADMIN):
        assert may_grant(granter, Role.GRID_WORKER), granter
    for granter in (Role.COMMUNITY_WORKER, Role.SURVEYOR, Role.GRID_WORKER, Role.PLANNER):
        assert not may_grant(granter, Role.GRID_WORKER), granter
    # a grid worker gives nothing, whatever it asks for
    assert not any(may_grant(Role.GRID_WORKER, role) for role in Role.values)


def import_points(tmp_path: Any, points: list[list[float]]) -> Any:
    """Import gas covers at ``points`` as the grid worker (the command-line importer)."""
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.utils import translation

    from importers.models import ImportJob

    path = tmp_path / "patrol.geojson"
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": at},
            "properties": {"NAME": f"巡查井盖{k}"},
        }
        for k, at in enumerate(points)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    last = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
    organizations = ["--owner", "XH-JD-001", "--maintainer", "XH-JD-001"]
    with translation.override("en"), contextlib.suppress(CommandError):
        call_command(
            "import_components",
            str(path),
            "--user",
            WORKER,
            "--name-field",
            "NAME",
            "--crs",
            "EPSG:4490",
            "--class",
            "0111",
            "--competent-department",
            "XH-CGJ",
            *organizations,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    return ImportJob.objects.filter(id__gt=last).get()


def test_an_import_by_the_worker_stays_in_its_cell(tmp_path: Any) -> None:
    make_grid_worker()
    before = Component.objects.count()
    own = inside(COMMUNITY, 1)
    refused = import_points(tmp_path, [own, inside(COMMUNITY, 2)])
    assert refused.status == "refused", refused.report
    (error,) = refused.report["errors"]
    assert error.get("target", error.get("field")) == "geometry"
    assert NEXT_CELL in error["message"]
    assert Component.objects.count() == before
    # the patrol's own points go in, placed in its cell
    done = import_points(tmp_path, [own, [own[0] + 0.00002, own[1]]])
    assert done.status == "committed", done.report
    assert done.inserted == 2
    made = Component.objects.filter(id__gt=0).order_by("-id")[:2]
    assert {c.grid_cell_id for c in made} == {OWN_CELL}


def square_in(cell: str, half: float = 0.00005) -> Any:
    """A footprint of about 10 m around a point inside the grid cell."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    x, y = inside(cell[:12], int(cell[12:]))
    return MultiPolygon(Polygon.from_bbox((x - half, y - half, x + half, y + half)), srid=4490)


def test_building_details_follow_the_cell(worker: Api) -> None:
    """Buildings carry no grid cell: the worker sees the details of the buildings of its
    community whose footprint meets its cell, and only their footprints elsewhere."""
    from layers.basemap.models import Building

    def building(cell: str, name: str) -> Building:
        return Building.objects.create(
            geometry=square_in(cell),
            name=name,
            floors=6,
            use="residential",
            units_count=24,
            community_id=COMMUNITY,
        )

    here, there = building(OWN_CELL, "网格一号楼"), building(NEXT_CELL, "网格二号楼")
    shown = worker.get(f"/api/v1/buildings/{here.pk}/").json()["properties"]
    assert shown["floors"] == 6
    footprint = worker.get(f"/api/v1/buildings/{there.pk}/")
    assert footprint.status_code == 200  # the footprint layer is public
    assert "floors" not in footprint.json()["properties"]
    assert footprint.json()["properties"]["name"] == "网格二号楼"
    # filtering on a detail reaches only the buildings meeting its cell
    listed = worker.get("/api/v1/buildings/?use=residential&limit=1000").json()["features"]
    ids = {f["id"] for f in listed}
    assert here.pk in ids and there.pk not in ids
    own = GridCell.objects.get(code=OWN_CELL).boundary
    found = Building.objects.filter(pk__in=ids)
    assert found.filter(community_id=COMMUNITY, geometry__intersects=own).count() == len(ids)


def test_parking_lots_and_devices_follow_the_cell(worker: Api) -> None:
    """A lot's operations and a device are the worker's where the lot lies in its cell."""
    from community.devices.models import Device
    from community.parking.models import ParkingLot
    from tests.parking_support import make_lot

    user = get_user_model().objects.get(username=WORKER)
    mine = make_lot("网格一停车场", COMMUNITY, 1)
    theirs = make_lot("网格二停车场", COMMUNITY, 2)
    lots = ParkingLot.objects.filter(pk__in=[mine.pk, theirs.pk])
    assert set(access.visible(user, lots, Action.CHANGE)) == {mine.lot}
    assert access.can(user, Action.CHANGE, mine.lot)
    assert not access.can(user, Action.CHANGE, theirs.lot)
    devices = Device.objects.filter(pk__in=[mine.camera.pk, theirs.camera.pk])
    assert {d.location is not None for d in devices} == {True}
    assert set(access.visible(user, devices).values_list("pk", flat=True)) == {mine.camera.pk}
    assert access.can(user, Action.VIEW, Device.objects.get(pk=mine.camera.pk))
    assert not access.can(user, Action.VIEW, Device.objects.get(pk=theirs.camera.pk))
    # a device placed only by its building: by the footprint
    from layers.basemap.models import Building

    owner = Organization.objects.get(code="XH-JD-001")
    indoor = []
    for cell in (OWN_CELL, NEXT_CELL):
        building = Building.objects.create(
            geometry=square_in(cell), name=f"{cell}楼", community_id=COMMUNITY
        )
        indoor.append(
            Device.objects.create(
                device_id=f"gw-indoor-{cell}",
                kind="test",
                building=building,
                owner=owner,
                area_id=COMMUNITY,
                secret_sealed=b"",
            )
        )
    placed = Device.objects.filter(pk__in=[d.pk for d in indoor])
    assert list(access.visible(user, placed)) == [indoor[0]]
    assert access.can(user, Action.VIEW, indoor[0])
    assert not access.can(user, Action.VIEW, indoor[1])
