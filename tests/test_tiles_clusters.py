"""Cluster tiles against an oracle computed here: every cell of the tile's grid (and the
ring of cells around it) with its count, its members' mean position, and, for a member
alone in its cell, its properties; in the layer's tile and in the combined tile."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.components_helpers import Api, inside
from tests.ogc_data import toilet
from tests.test_tiles import decode, tile_of
from tiles.grid import BUFFER, CLUSTER_CELLS, EXTENT, Tile, tile_bounds, tile_size

pytestmark = pytest.mark.django_db


def expected_clusters(tile: Tile) -> list[dict[str, Any]]:
    """Public toilets (class 0301) near the tile, grouped by cell, as the tile should
    hold them: position in tile units (y down), count, properties of single members."""
    minx, miny, maxx, maxy = tile_bounds(tile)
    size = tile_size(tile.z)
    cell = size / CLUSTER_CELLS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(geom_3857), ST_Y(geom_3857), identifier, name, status "
            "FROM component_catalog_component WHERE component_class_id = '0301' "
            "AND currency = 'in_use' AND geom_3857 && ST_Expand(ST_TileEnvelope(%s, %s, %s), %s)",
            [tile.z, tile.x, tile.y, cell],
        )
        rows = cursor.fetchall()
    cells: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        cells[(math.floor((row[0] - minx) / cell), math.floor((row[1] - miny) / cell))].append(row)
    found = []
    for members in cells.values():
        x = sum(m[0] for m in members) / len(members)
        y = sum(m[1] for m in members) / len(members)
        at = ((x - minx) / size * EXTENT, (maxy - y) / size * EXTENT)
        if not all(-BUFFER <= v <= EXTENT + BUFFER for v in at):
            continue  # outside the tile's buffer: clipped
        properties: dict[str, Any] = {"count": len(members)}
        if len(members) == 1:
            properties.update(identifier=members[0][2], name=members[0][3], status=members[0][4])
        found.append({"at": at, "properties": properties})
    return found


def assert_same(
    got: list[dict[str, Any]], want: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    assert len(got) == len(want)
    for expected in want:
        near = [f for f in got if math.dist(f["geometry"]["coordinates"], expected["at"]) <= 1.0]
        assert len(near) == 1, expected
        assert near[0]["properties"] == {**expected["properties"], **extra}


def test_clusters_hold_every_member_and_the_properties_of_single_ones() -> None:
    admin = Api("district_admin")
    lone = inside("330106003001", 2)
    pair = inside("330106001001", 1)
    for name, at in [
        ("独立公厕", lone),
        ("成对公厕甲", pair),
        ("成对公厕乙", [pair[0] + 1e-5, pair[1]]),
    ]:
        made = admin.create(toilet(name, at), comment="聚合测试")
        assert made.status_code == 201, made.content
    anonymous = Client()
    checked_single = checked_group = False
    for z in (10, 12, 14):
        for at in (lone, pair):
            tile = Tile(z, *tile_of(*at, z))
            want = expected_clusters(tile)
            assert want
            checked_single |= any(w["properties"]["count"] == 1 for w in want)
            checked_group |= any(w["properties"]["count"] > 1 for w in want)
            path = f"{tile.z}/{tile.x}/{tile.y}.mvt"
            layer = decode(anonymous.get(f"/tiles/component-0301/{path}").content)
            assert_same(layer["component-0301"]["features"], want, {})
            combined = decode(anonymous.get(f"/tiles/components/{path}").content)
            assert_same(combined["component-0301"]["features"], want, {"class": "0301"})
    assert checked_single and checked_group
