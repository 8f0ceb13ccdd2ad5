"""The demo component survey (component_catalog.demo): size, spread, validity, idempotency.

Loading ~3,000 components takes a few seconds, so everything is checked in one test on one
load (rolled back at the end like any django_db test).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

import pytest
from django.db import connection
from jsonschema import Draft202012Validator

from component_catalog import demo
from component_catalog.models import (
    Changeset,
    Component,
    ComponentClass,
    ComponentHistory,
    IdentifierCounter,
)
from layers.models import AdminArea

pytestmark = pytest.mark.slow

EXPECTED_CLASSES = {
    "0101",  # water-supply covers
    "0102",  # sewage covers
    "0103",  # storm covers
    "0104",  # storm grates
    "0105",  # power covers
    "0107",  # telecom covers
    "0111",  # gas covers
    "0113",  # fire hydrants
    "0201",  # parking lots
    "0301",  # public toilets
    "0305",  # trash bins
    "0401",  # ancient trees
    "0402",  # street trees
    "0407",  # benches
    "0501",  # bulletin boards
    "0502",  # civil air-defence shelters
}
# class -> (competent department, owner, maintainer); "street" = the community's office
EXPECTED_ORGANIZATIONS = {
    "0101": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0102": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0103": ("XH-CGJ", "HZ-SW", "HZ-SW"),
    "0105": ("XH-CGJ", "HZ-GD", "HZ-GD"),
    "0107": ("XH-CGJ", "HZ-DX", "HZ-DX"),
    "0111": ("XH-CGJ", "HZ-RQ", "HZ-RQ"),
    "0301": ("XH-CGJ", "XH-CGJ", "street"),
    "0401": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0402": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0407": ("XH-YLJ", "XH-YLJ", "XH-YLJ"),
    "0502": ("XH-RFB", "XH-RFB", "XH-RFB"),
}
GRADE_AGES = {"一级": (500, 5000), "二级": (300, 499), "三级": (100, 299)}


def _state() -> tuple[object, ...]:
    return (
        Component.objects.count(),
        ComponentHistory.objects.count(),
        Changeset.objects.count(),
        sorted(IdentifierCounter.objects.values_list("class_code", "last_serial")),
        sorted(Component.objects.values_list("identifier", "version", "updated_at")),
    )


@pytest.mark.django_db
def test_demo_components() -> None:
    assert demo.features() == demo.features()  # deterministic

    created = demo.load()
    components = list(
        Component.objects.select_related(
            "component_class", "competent_department", "owner", "maintainer"
        )
    )

    # Size and spread.
    assert 2500 <= created <= 3500
    assert len(components) == created
    communities = set(AdminArea.objects.filter(level="community").values_list("code", flat=True))
    assert len(communities) == 30
    assert {c.community_id for c in components} == communities
    per_community = Counter(c.community_id for c in components)
    assert min(per_community.values()) >= 30
    assert all(c.grid_cell_id and c.grid_cell_id.startswith(c.community_id) for c in components)
    assert {c.component_class_id for c in components} == EXPECTED_CLASSES

    # Changesets and history: the real service, as city_admin.
    changesets = list(Changeset.objects.filter(source="demo").select_related("user"))
    assert len(changesets) == -(-created // 1000)
    assert all(cs.user.username == "city_admin" for cs in changesets)
    assert all(cs.comment == "演示数据：部件普查 / demo component survey" for cs in changesets)
    history = ComponentHistory.objects.filter(changeset__in=changesets)
    assert history.count() == created
    assert set(history.values_list("action", flat=True)) == {"create"}

    # Attributes validate against the class schemas.
    validators = {
        k.code: Draft202012Validator(k.attribute_schema)
        for k in ComponentClass.objects.filter(code__in=EXPECTED_CLASSES)
    }
    for c in components:
        errors = [e.message for e in validators[c.component_class_id].iter_errors(c.attributes)]
        assert not errors, (c.identifier, c.attributes, errors)
        assert c.name and c.address.startswith("杭州市西湖区") and c.address.endswith("号")

    # Geometry: parking lots are polygons with a capacity, everything else points.
    for c in components:
        if c.component_class_id == "0201":
            assert c.geometry.geom_type in ("Polygon", "MultiPolygon")
            assert 20 <= c.attributes["capacity"] <= 800
            assert c.attributes["charging_spaces"] <= c.attributes["capacity"]
        else:
            assert c.geometry.geom_type == "Point"

    # At least ~3 m inside the community (on the spheroid).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(ST_Distance(ST_Boundary(a.boundary)::geography, c.geometry::geography))"
            " FROM component_catalog_component c"
            " JOIN layers_adminarea a ON a.code = c.community_id"
        )
        (closest,) = cursor.fetchone()
    assert closest >= 2.5

    # Review flags: some, and only for GNSS accuracy worse than the class threshold.
    flagged = [c for c in components if c.needs_review]
    assert 0 < len(flagged) < 0.05 * created
    for c in flagged:
        assert c.data_source == "measured"
        assert c.gnss_accuracy_m is not None
        assert c.gnss_accuracy_m > c.component_class.accuracy_threshold_m
        assert c.review_reason
    for c in components:
        if c.data_source == "measured" and not c.needs_review:
            assert c.gnss_accuracy_m <= c.component_class.accuracy_threshold_m
    sources = Counter(c.data_source for c in components)
    assert set(sources) == {"measured", "digitized"}
    assert 0.8 < sources["measured"] / created < 0.97
    for c in components:
        if c.data_source == "measured":
            if not c.needs_review:
                assert c.gnss_fix == "rtk_fixed" and 14 <= c.gnss_satellites <= 28
                assert 0.01 <= c.gnss_accuracy_m <= 0.05
            assert 2019 <= c.gnss_time.year <= 2024
            assert c.gnss_device in ("中海达 V90", "华测 i70")
        else:
            assert c.gnss_accuracy_m is None and not c.gnss_fix
        assert dt.date(2019, 4, 1) <= c.initial_date <= c.change_date <= dt.date(2024, 12, 31)

    # Status: mostly good.
    statuses = Counter(c.status for c in components)
    assert statuses["good"] > 0.9 * created
    assert statuses["damaged"] > 0

    # Organizations appropriate to the class.
    for c in components:
        expected = EXPECTED_ORGANIZATIONS.get(c.component_class_id)
        if expected is None:
            continue
        office = "XH-JD-" + c.community_id[6:9]
        actual = (c.competent_department.code, c.owner.code, c.maintainer.code)
        assert actual == tuple(office if o == "street" else o for o in expected), c.identifier
    parking_owners = {c.owner.code for c in components if c.component_class_id == "0201"}
    assert parking_owners <= {"HZ-CDFW", "XH-LCWY"} and "HZ-CDFW" in parking_owners

    # Ancient trees: grade consistent with the estimated age.
    for c in components:
        if c.component_class_id == "0401":
            low, high = GRADE_AGES[c.attributes["protection_grade"]]
            assert low <= c.attributes["estimated_age_years"] <= high
            assert re.fullmatch(r"杭西古-\d{4}", c.attributes["tag_number"])

    # Identifiers: 16 digits, county 330106, gapless serials per class.
    serials: dict[str, list[int]] = defaultdict(list)
    for c in components:
        assert re.fullmatch(r"330106\d{10}", c.identifier)
        assert c.identifier == f"330106{c.component_class_id}{c.serial:06d}"
        serials[c.component_class_id].append(c.serial)
    for code, found in serials.items():
        assert sorted(found) == list(range(1, len(found) + 1)), code

    # Idempotent: a second load does nothing.
    before = _state()
    assert demo.load() == 0
    assert _state() == before
