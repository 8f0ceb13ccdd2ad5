"""The tiles app reads what it draws from the feature source's registration
(``layers.ogc.sources``), not from the models behind it: the properties a tile carries,
the attributes it expands and whether a layer has tiles at all change with the registered
source alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import LineString
from django.test import Client

from layers import changes
from layers.models import BaseFeature, Layer, LayerKind
from layers.ogc import sources
from layers.ogc.area_sources import AdminAreaSource
from layers.ogc.basemap_sources import BaseFeatureSource
from tests.components_helpers import inside
from tests.test_tiles import tile_of
from tiles import registry

pytestmark = pytest.mark.django_db


def decode(body: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(body) if body else {}


@pytest.fixture
def swap(settings: Any) -> Iterator[Callable[[str, Any], None]]:
    """Register another source for a layer kind (as an app's ``ready`` would); the
    original ones come back afterwards. The tile cache is off: every tile is rendered, and
    no tile drawn from a swapped source is stored for later tests."""
    settings.TILES_CACHE = False
    originals = {kind: sources.source_for(Layer(kind=kind)) for kind in LayerKind.values}

    def register(kind: str, source: Any) -> None:
        sources.register(kind, source)
        registry.forget()

    yield register
    for kind, source in originals.items():
        if source is not None:
            sources.register(kind, source)
    registry.forget()


def area_tile(client: Client) -> Any:
    tx, ty = tile_of(*inside("330106001001", 1), 10)
    return client.get(f"/tiles/admin-areas/10/{tx}/{ty}.mvt")


class AreaCodesOnly(AdminAreaSource):
    tile_properties = ("code",)


class AreasWithoutTiles(AdminAreaSource):
    tile_properties = None


def test_tile_properties_come_from_the_registered_source(swap: Any) -> None:
    client = Client()
    before = decode(area_tile(client).content)["admin-areas"]["features"]
    assert {"code", "name", "level"} <= set(before[0]["properties"])
    swap(LayerKind.ADMIN_AREA, AreaCodesOnly())
    after = decode(area_tile(client).content)["admin-areas"]["features"]
    assert len(after) == len(before)
    assert {key for f in after for key in f["properties"]} == {"code"}
    tilejson = client.get("/tiles/admin-areas.json").json()
    assert tilejson["vector_layers"][0]["fields"].keys() == {"code"}


def test_a_source_without_tile_properties_has_no_tiles(swap: Any) -> None:
    client = Client()
    assert area_tile(client).status_code == 200
    swap(LayerKind.ADMIN_AREA, AreasWithoutTiles())
    assert area_tile(client).status_code == 404
    assert client.get("/tiles/admin-areas.json").status_code == 404
    assert client.get("/ogc/collections/admin-areas/tiles").status_code == 404
    collection = client.get("/ogc/collections/admin-areas", {"f": "json"}).json()
    assert not [x for x in collection["links"] if "tilesets" in x["rel"]]
    # still a collection of features
    assert client.get("/ogc/collections/admin-areas/items", {"f": "json"}).status_code == 200


class RoadsWithoutAttributes(BaseFeatureSource):
    def tile_attributes(self, layers: Sequence[Layer]) -> dict[str, tuple[str, ...]]:
        return {}


def test_key_attributes_come_from_the_registered_source(swap: Any) -> None:
    (lon1, lat1), (lon2, lat2) = inside("330106001001", 1), inside("330106001001", 2)
    road = BaseFeature.objects.create(
        kind="road",
        name="测试路",
        geometry=LineString((lon1, lat1), (lon2, lat2), srid=4490),
        attributes={"road_class": "支路", "lanes": 2},
        community_id="330106001001",
    )
    # written past the services: announce it as they do, so no tile cached earlier is served
    changes.geometries_changed(["roads"], [road.geometry])
    tx, ty = tile_of(lon1, lat1, 16)
    client = Client()

    def road_keys() -> set[str]:
        body = client.get(f"/tiles/roads/16/{tx}/{ty}.mvt").content
        return {key for f in decode(body)["roads"]["features"] for key in f["properties"]}

    assert {"road_class", "kind", "name"} <= road_keys()
    swap(LayerKind.BASE_FEATURE, RoadsWithoutAttributes())
    assert road_keys() == {"kind", "name"}
