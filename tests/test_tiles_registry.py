"""Tile requests keep the layer registry in memory (tiles.registry): a registry change
must still apply to the very next tile, cached or not, also after a rolled-back change."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from layers.models import Layer
from tests.components_helpers import Api, inside
from tests.ogc_data import toilet
from tests.test_tiles import decode, features, tile_of

pytestmark = pytest.mark.django_db

LAYER = "component-0301"


@pytest.fixture
def loo() -> dict[str, Any]:
    response = Api("district_admin").create(
        toilet("登云路公厕", inside("330106001001", 2)), comment="图层注册测试"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def _url(made: dict[str, Any], z: int, layer: str = LAYER) -> str:
    lon, lat = made["geometry"]["coordinates"]
    tx, ty = tile_of(lon, lat, z)
    return f"/tiles/{layer}/{z}/{tx}/{ty}.mvt"


@pytest.mark.parametrize("cache", ["1", "0"])
def test_making_a_layer_private_hides_its_next_tile(
    loo: dict[str, Any], cache: str, settings: Any
) -> None:
    settings.TILES_CACHE = cache == "1"
    anonymous = Client()
    for _round in range(2):  # the second request is served from memory (and the cache)
        response = anonymous.get(_url(loo, 16))
        assert response.status_code == 200
        assert loo["id"] in features(response.content, LAYER)
    Layer.objects.filter(code=LAYER).update(is_public=False)
    assert anonymous.get(_url(loo, 16)).status_code == 404
    combined = anonymous.get(_url(loo, 16, "components"))
    assert LAYER not in decode(combined.content)
    Layer.objects.filter(code=LAYER).update(is_public=True)
    response = anonymous.get(_url(loo, 16))
    assert response.status_code == 200 and loo["id"] in features(response.content, LAYER)


def test_a_changed_zoom_limit_applies_at_once(loo: dict[str, Any]) -> None:
    anonymous = Client()
    assert anonymous.get(_url(loo, 17)).status_code == 200
    Layer.objects.filter(code=LAYER).update(max_zoom=16)
    assert anonymous.get(_url(loo, 17)).status_code == 404
    assert anonymous.get(_url(loo, 16)).status_code == 200


def test_a_rolled_back_change_never_passes_for_a_later_one(loo: dict[str, Any]) -> None:
    """A process that saw a change inside a transaction that was then rolled back must not
    take a later, different change for the one it saw (versions are never reused)."""
    anonymous = Client()
    assert anonymous.get(_url(loo, 16)).status_code == 200

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        Layer.objects.filter(code=LAYER).update(is_public=False)
        assert anonymous.get(_url(loo, 16)).status_code == 404  # seen inside the transaction
        raise Undo()
    # rolled back: the layer is public. A different change next (a zoom limit), before
    # any tile request: this process must not take it for the private state it saw.
    Layer.objects.filter(code=LAYER).update(max_zoom=15)
    response = anonymous.get(_url(loo, 15))
    assert response.status_code == 200 and loo["id"] in features(response.content, LAYER)
    assert anonymous.get(_url(loo, 16)).status_code == 404


def test_generated_components_invalidate_the_cached_tiles() -> None:
    """``generate_components`` (benchmarks) writes in bulk SQL: the cached tiles of the
    class must not outlive it."""
    from django.core.management import call_command

    from layers.models import AdminArea

    district = AdminArea.objects.get(code="330106").boundary
    centre = district.centroid
    url = _url({"geometry": {"coordinates": [centre.x, centre.y]}}, 8, "component-0402")
    anonymous = Client()

    def trees() -> tuple[int, str]:
        response = anonymous.get(url)
        assert response.status_code in (200, 204)  # 204: no tree at all
        clusters = decode(response.content).get("component-0402", {"features": []})["features"]
        return sum(f["properties"]["count"] for f in clusters), response["X-Tile-Cache"]

    before, _status = trees()
    assert trees() == (before, "hit")
    call_command("generate_components", count=50, class_code="0402", seed=3, stdout=None)
    after, status = trees()
    assert (after - before, status) == (50, "miss")
