"""A small committed data set for tests that read through real HTTP clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from component_catalog.models import Changeset, Component, ComponentHistory, IdentifierCounter
from tests.components_helpers import Api, inside

TOILET_NAMES = [
    "保俶路公厕",
    "曙光路公厕",
    "文三路公厕",
    "学院路公厕",
    "古翠路公厕",
    "天目山路公厕",
    "教工路公厕",
]


def toilet(name: str, at: list[float]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": at},
        "properties": {
            "class": "0301",
            "name": name,
            "address": f"杭州市西湖区{name[:-2]}1号",
            "competent_department": "XH-CGJ",
            "owner": "XH-CGJ",
            "maintainer": "XH-JD-001",
            "attributes": {"opening_hours": "Mo-Su 05:30-23:00", "accessible": True, "fee": "免费"},
        },
    }


def gas_cover(at: list[float]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": at},
        "properties": {
            "class": "0111",
            "name": "燃气井盖",
            "competent_department": "XH-CGJ",
            "owner": "HZ-RQ",
            "maintainer": "HZ-RQ",
            "attributes": {},
        },
    }


@contextmanager
def committed_components() -> Iterator[dict[str, list[str]]]:
    """Seven public toilets and two restricted gas covers, committed; removed afterwards."""
    admin = Api("district_admin")
    made: dict[str, list[str]] = {"toilets": [], "gas": []}
    spots = [inside(f"330106{s:03d}001", g) for s in (1, 2, 3, 4) for g in (1, 2)]
    try:
        for name, at in zip(TOILET_NAMES, spots, strict=False):
            response = admin.create(toilet(name, at), comment="公厕普查")
            assert response.status_code == 201, response.content
            made["toilets"].append(response.json()["id"])
        for at in spots[:2]:
            response = admin.create(gas_cover(at), comment="燃气井盖")
            assert response.status_code == 201, response.content
            made["gas"].append(response.json()["id"])
        yield made
    finally:
        identifiers = made["toilets"] + made["gas"]
        ComponentHistory.objects.filter(identifier__in=identifiers).delete()
        Component.objects.filter(identifier__in=identifiers).delete()
        Changeset.objects.filter(edits__isnull=True).delete()
        IdentifierCounter.objects.filter(class_code__in=["0301", "0111"]).update(last_serial=0)
