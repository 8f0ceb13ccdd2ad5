"""Data-quality measures (standard 5.2.1): the service, ``GET /api/v1/quality/`` and the
``quality_report`` command, on a small data set built through the component API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.db import connection
from django.urls import include, path
from django.utils import timezone

from component_catalog import quality
from component_catalog.models import Component, ComponentClass
from gis_app.models import Organization
from gis_app.urls import urlpatterns as platform_urls
from layers.models import AdminArea, Layer, Stewardship
from tests.components_helpers import Api, inside, manhole

# Until the project's URL list includes the endpoint, these tests mount it themselves
# (the same view, at the same address).
urlpatterns = [path("api/v1/", include("component_catalog.api.urls")), *platform_urls]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_quality")]

URL = "/api/v1/quality/"
L1, L2 = "component-0101", "component-0102"
LAYERS = f"{L1},{L2}"
COMPLETE = {"material": "球墨铸铁", "shape": "圆形", "size_mm": 700, "depth_m": 1.5}
NO_DEPTH = {k: v for k, v in COMPLETE.items() if k != "depth_m"}
GOOD_GNSS = {"fix": "rtk_fixed", "accuracy_m": 0.02, "satellites": 21}


def gnss(accuracy: float) -> dict[str, Any]:
    return {**GOOD_GNSS, "accuracy_m": accuracy}


def today() -> dt.date:
    return timezone.localdate()


def create(api: Api, feature: dict[str, Any]) -> str:
    response = api.create(feature)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def set_columns(identifier: str, **values: Any) -> None:
    """Change stored columns behind the services' back (as old or broken data would be)."""
    columns = ", ".join(f"{name} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE component_catalog_component SET {columns} WHERE identifier = %s",  # noqa: S608
            [*values.values(), identifier],
        )


@pytest.fixture
def dataset(db: Any) -> dict[str, str]:
    """Nine water and sewage covers in district 330106, each failing (or not) a known set
    of measures. Layer 0101 expects an update every 365 days, layer 0102 every 30.

    | # | layer | community    | maintainer | attributes | source / GNSS     | change date |
    |---|-------|--------------|------------|------------|-------------------|-------------|
    | 1 | 0101  | 330106001001 | HZ-SW      | complete   | measured 0.02     | today       |
    | 2 | 0101  | 330106001001 | HZ-SW      | no depth   | measured 0.02     | today       |
    | 3 | 0101  | 330106002003 | HZ-SW      | complete   | measured 1.8 (bad)| today       |
    | 4 | 0101  | 330106001002 | XH-JD-001  | complete   | topographic       | today       |
    | 5 | 0101  | 330106001001 | HZ-SW      | complete   | measured 0.02     | 400 d ago   |
    | 6 | 0101  | 330106003001 | HZ-SW      | complete   | measured 0.04     | 2020-01-01  |
    | 7 | 0102  | 330106001001 | XH-JD-001  | complete   | measured 0.45     | 45 d ago    |
    | 8 | 0102  | 330106002001*| XH-JD-001  | empty      | measured 0.6 (bad)| today       |
    | 9 | 0102  | 330106001002 | XH-JD-002  | complete   | measured, no acc. | today       |

    6 is imported with an old change date (fresh ``updated_at``); 5 and 7 are aged in the
    database. 8 lies in 330106001001 but is recorded in community 330106002001 (outside
    its boundary)."""
    Layer.objects.filter(code=L1).update(update_interval_days=365)
    Layer.objects.filter(code=L2).update(update_interval_days=30)
    water, admin = Api("surveyor_water"), Api("district_admin")

    def cover(klass: str, community: str, maintainer: str = "HZ-SW", **props: Any) -> str:
        props.setdefault("attributes", COMPLETE)
        props.setdefault("gnss", GOOD_GNSS)
        feature = manhole(klass, at=inside(community), maintainer=maintainer, **props)
        # naming another organization as maintainer is for an administrator (issue 15)
        return create(water if maintainer == "HZ-SW" else admin, feature)

    ids = {
        "1": cover("0101", "330106001001"),
        "2": cover("0101", "330106001001", attributes=NO_DEPTH),
        "3": cover("0101", "330106002003", gnss=gnss(1.8)),
        "4": cover("0101", "330106001002", "XH-JD-001", data_source="topographic", gnss=None),
        "5": cover("0101", "330106001001"),
        "6": cover("0101", "330106003001", change_date="2020-01-01", gnss=gnss(0.04)),
        "7": cover("0102", "330106001001", "XH-JD-001", gnss=gnss(0.45)),
        "8": cover("0102", "330106001001", "XH-JD-001", attributes={}, gnss=gnss(0.6)),
        "9": cover("0102", "330106001002", "XH-JD-002", gnss=None),
    }
    old = timezone.now() - dt.timedelta(days=400)
    set_columns(ids["5"], change_date=today() - dt.timedelta(days=400), updated_at=old)
    set_columns(ids["7"], change_date=today() - dt.timedelta(days=45))
    set_columns(ids["8"], community_id="330106002001", grid_cell_id=None)
    return ids


def rows_by_key(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {row["key"]: row for row in body["rows"]}


def get(api: Api, **query: str) -> Any:
    query.setdefault("as_of", today().isoformat())
    return api.get(URL + "?" + "&".join(f"{k}={v}" for k, v in query.items()))


def shares(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["count"],
        row["timeliness"],
        row["completeness"],
        row["accuracy_geometry"],
        row["accuracy_gnss"],
    )


def test_shares_per_layer(dataset: dict[str, str]) -> None:
    response = get(Api("city_admin"), layers=LAYERS, area="330106")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["group_by"] == "layer" and body["as_of"] == today().isoformat()
    rows = rows_by_key(body)
    assert list(rows) == [L1, L2]
    assert rows[L1]["label"] == "上水井盖"
    # 0101: 1-4 timely; 2 incomplete; all inside; measured 1,2,3,5,6 of which 3 is poor.
    assert shares(rows[L1]) == (6, 0.6667, 0.8333, 1.0, 0.8)
    # 0102 (30 days): 8, 9 timely; 8 empty; 8 outside its community; 7 good, 8 poor, 9 unknown.
    assert shares(rows[L2]) == (3, 0.6667, 0.6667, 0.6667, 0.3333)


def test_shares_per_maintainer_and_owner(dataset: dict[str, str]) -> None:
    admin = Api("city_admin")
    rows = rows_by_key(get(admin, layers=LAYERS, group_by="maintainer").json())
    assert list(rows) == ["HZ-SW", "XH-JD-001", "XH-JD-002"]
    assert rows["HZ-SW"]["label"] == "杭州水务集团有限公司"
    assert shares(rows["HZ-SW"]) == (5, 0.6, 0.8, 1.0, 0.8)
    assert shares(rows["XH-JD-001"]) == (3, 0.6667, 0.6667, 0.6667, 0.5)
    assert shares(rows["XH-JD-002"]) == (1, 1.0, 1.0, 1.0, 0.0)
    owners = rows_by_key(get(admin, layers=LAYERS, group_by="owner").json())
    assert list(owners) == ["HZ-SW"] and owners["HZ-SW"]["count"] == 9


def test_gnss_share_is_null_without_measured_features(dataset: dict[str, str]) -> None:
    rows = rows_by_key(get(Api("city_admin"), layers=L1, group_by="community").json())
    # 330106001002 holds only feature 4 (topographic).
    assert shares(rows["330106001002"]) == (1, 1.0, 1.0, 1.0, None)
    assert shares(rows["330106001001"]) == (3, 0.6667, 0.6667, 1.0, 1.0)


def test_street_grouping_follows_the_recorded_community(dataset: dict[str, str]) -> None:
    rows = rows_by_key(get(Api("city_admin"), layers=LAYERS, group_by="street").json())
    assert {k: r["count"] for k, r in rows.items()} == {
        "330106001": 6,
        "330106002": 2,
        "330106003": 1,
    }
    assert rows["330106001"]["label"] == "北山街道"
    # Feature 8 is recorded in street 002 but lies in street 001: not inside its area.
    assert rows["330106002"]["accuracy_geometry"] == 0.5


def test_steward_is_the_closest_maintenance_stewardship_up_the_tree(
    dataset: dict[str, str],
) -> None:
    layer = Layer.objects.get(code=L1)
    org = {o.code: o for o in Organization.objects.filter(code__in=["HZ-CGJ", "XH-CGJ"])}
    street_office = Organization.objects.get(code="XH-JD-001")
    property_manager = Organization.objects.get(code="XH-LCWY")
    Stewardship.objects.create(
        layer=layer, area_id="330100", organization=org["HZ-CGJ"], role="maintain"
    )
    Stewardship.objects.create(
        layer=layer, area_id="330106", organization=org["XH-CGJ"], role="maintain"
    )
    Stewardship.objects.create(
        layer=layer, area_id="330106001", organization=street_office, role="maintain"
    )
    # Collection stewardships do not decide who maintains.
    Stewardship.objects.create(
        layer=layer, area_id="330106001001", organization=property_manager, role="collect"
    )
    rows = rows_by_key(get(Api("city_admin"), layers=LAYERS, group_by="steward").json())
    # Street 001 (1, 2, 4, 5) -> the street office, over the district and the city;
    # elsewhere (3, 6) the district, over the city; layer 0102 has no steward.
    assert {k: r["count"] for k, r in rows.items()} == {"XH-JD-001": 4, "XH-CGJ": 2, None: 3}
    assert list(rows)[-1] is None
    assert shares(rows["XH-JD-001"]) == (4, 0.75, 0.75, 1.0, 1.0)
    assert shares(rows["XH-CGJ"]) == (2, 0.5, 1.0, 1.0, 0.5)
    # The SQL agrees with the model's own rule.
    for ident in (dataset["1"], dataset["3"]):
        component = Component.objects.get(identifier=ident)
        steward = Stewardship.objects.effective_for(layer.id, component.community_id, "maintain")
        assert steward is not None
        assert steward.organization.code == ("XH-JD-001" if ident == dataset["1"] else "XH-CGJ")


@pytest.fixture
def other_district(db: Any) -> None:
    """District 330105 with one street and one community, east of the demo district, and
    two components in it: a water cover and a (public) toilet."""
    square = MultiPolygon(
        Polygon.from_bbox((120.25, 30.30, 120.26, 30.31)), srid=4490
    )  # inside the demo city, outside district 330106
    for code, level, parent in (
        ("330105", "district", "330100"),
        ("330105001", "street", "330105"),
        ("330105001001", "community", "330105001"),
    ):
        AdminArea.objects.create(
            code=code, level=level, name=f"测试{code}", parent_id=parent, boundary=square
        )
    admin = Api("city_admin")
    at = [120.255, 30.305]
    create(admin, manhole("0101", at=at, attributes=COMPLETE))
    toilet = manhole("0301", at=at, name="公共厕所", owner="XH-CGJ", attributes={}, gnss=None)
    create(admin, toilet)


def test_planner_gets_only_their_district(dataset: dict[str, str], other_district: None) -> None:
    everything = rows_by_key(get(Api("city_admin")).json())
    assert everything[L1]["count"] == 7 and everything["component-0301"]["count"] == 1
    planner = Api("planner")
    rows = rows_by_key(get(planner).json())
    # Not even the public toilet of the other district: reports cover the REPORT scope.
    assert list(rows) == [L1, L2]
    assert shares(rows[L1]) == (6, 0.6667, 0.8333, 1.0, 0.8)
    streets = rows_by_key(get(planner, group_by="street").json())
    assert "330105001" not in streets and sum(r["count"] for r in streets.values()) == 9
    narrowed = rows_by_key(get(planner, area="330106001001").json())
    assert {k: r["count"] for k, r in narrowed.items()} == {L1: 3, L2: 1}
    hidden = get(planner, area="330105")
    assert hidden.status_code == 404 and hidden.json()["field"] == "area"


def test_a_surveyor_without_report_gets_403_and_anonymous_401(dataset: dict[str, str]) -> None:
    response = get(Api("surveyor_water"))
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert get(Api(None)).status_code == 401
    assert Api(None).get(URL).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({"as_of": "2024-02-30"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"layers": "component-9999"}, "layers"),
        ({"layers": "buildings"}, "layers"),
        ({"layers": "a;b"}, "layers"),
        ({"area": "33010"}, "area"),
        ({"area": "330106001001001"}, "area"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(query: dict[str, str], field: str) -> None:
    response = get(Api("planner"), **query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field and field in body["detail"]


def test_as_of_moves_the_timeliness_window(dataset: dict[str, str]) -> None:
    # Seen 100 days ahead, 0101's features changed today are still within a year, and the
    # 0102 features (30 days) are all late.
    later = (today() + dt.timedelta(days=100)).isoformat()
    rows = rows_by_key(get(Api("city_admin"), layers=LAYERS, as_of=later).json())
    assert rows[L1]["timeliness"] == 0.6667
    assert rows[L2]["timeliness"] == 0.0


def test_required_list_of_the_schema_decides_completeness(dataset: dict[str, str]) -> None:
    klass = ComponentClass.objects.get(code="0102")
    klass.attribute_schema = {**klass.attribute_schema, "required": ["material"]}
    klass.save()
    create(
        Api("surveyor_water"),
        manhole("0102", at=inside("330106001001"), attributes={"material": "铸铁"}),
    )
    rows = rows_by_key(get(Api("city_admin"), layers=L2).json())
    # 7, 9 and the new one have a material; 8 has nothing.
    assert rows[L2]["count"] == 4 and rows[L2]["completeness"] == 0.75


def test_service_rows_for_the_system_user(dataset: dict[str, str]) -> None:
    rows = quality.measure(
        quality.SYSTEM_USER, area_code=None, layer_codes=[L1], group_by="layer", as_of=today()
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row.count, row.timely, row.complete, row.geometry_ok, row.measured, row.gnss_ok) == (
        6,
        4,
        5,
        6,
        5,
        4,
    )


def test_command_prints_the_same_numbers_as_csv(dataset: dict[str, str]) -> None:
    out = io.StringIO()
    call_command(
        "quality_report",
        "--group-by",
        "maintainer",
        "--layers",
        LAYERS,
        "--area",
        "330106",
        "--as-of",
        today().isoformat(),
        "--format",
        "csv",
        stdout=out,
    )
    printed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["key"] for r in printed] == ["HZ-SW", "XH-JD-001", "XH-JD-002"]
    assert printed[0] == {
        "key": "HZ-SW",
        "label": "杭州水务集团有限公司",
        "count": "5",
        "timeliness": "0.6000",
        "completeness": "0.8000",
        "accuracy_geometry": "1.0000",
        "accuracy_gnss": "0.8000",
    }
    api_rows = get(Api("city_admin"), layers=LAYERS, area="330106", group_by="maintainer")
    for line, row in zip(printed, api_rows.json()["rows"], strict=True):
        assert line["key"] == row["key"] and int(line["count"]) == row["count"]
        for name in ("timeliness", "completeness", "accuracy_geometry", "accuracy_gnss"):
            expected = "" if row[name] is None else f"{row[name]:.4f}"
            assert line[name] == expected


def test_command_refuses_bad_input_naming_the_option() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--layers"):
        call_command("quality_report", "--layers", "component-9999", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--as-of"):
        call_command("quality_report", "--as-of", "2024-13-01", stdout=io.StringIO())
