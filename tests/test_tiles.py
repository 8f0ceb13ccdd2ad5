"""Vector and raster tiles: positions and properties decoded with mapbox-vector-tile,
access in every tile (anonymous, scoped, cached or not), cache headers and invalidation
after edits, clusters at low zoom, raster tiles against rio-tiler reading the source,
TileJSON and OGC API - Tiles."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import pytest
from django.test import Client
from PIL import Image
from pyproj import Transformer

from tests.components_helpers import Api, inside, manhole
from tests.conftest import SHARED_DATA
from tests.ogc_data import gas_cover, toilet

pytestmark = pytest.mark.django_db

HALF = 20037508.342789244
TO_3857 = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True)
RASTERS = SHARED_DATA / "geotiff_rasterio"
PIXEL = 4096 / 256  # one pixel of a 256-pixel tile, in MVT units


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    x, y = TO_3857.transform(lon, lat)
    size = 2 * HALF / 2**z
    return int((x + HALF) // size), int((HALF - y) // size)


def expected_position(lon: float, lat: float, z: int, tx: int, ty: int) -> tuple[float, float]:
    """The point in MVT units (origin top left, 4096 per side) of tile z/tx/ty."""
    x, y = TO_3857.transform(lon, lat)
    size = 2 * HALF / 2**z
    return (x - (-HALF + tx * size)) / size * 4096, ((HALF - ty * size) - y) / size * 4096


def decode(body: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True}) if body else {}


def features(body: bytes, layer: str) -> dict[str, dict[str, Any]]:
    """identifier -> feature of one MVT layer."""
    found = decode(body).get(layer, {"features": []})["features"]
    return {f["properties"].get("identifier", str(i)): f for i, f in enumerate(found)}


def get_tile(client: Client, url: str, **headers: Any) -> Any:
    response = client.get(url, **headers)
    assert response.status_code in (200, 204), (url, response.status_code, response.content[:200])
    return response


def create(api: Api, feature: dict[str, Any]) -> dict[str, Any]:
    response = api.create(feature, comment="瓦片测试")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def admin() -> Api:
    return Api("district_admin")


@pytest.fixture
def toilets(admin: Api) -> list[dict[str, Any]]:
    names = ["保俶路公厕", "曙光路公厕", "文三路公厕"]
    spots = [inside("330106001001", 1), inside("330106001001", 2), inside("330106002001", 1)]
    return [create(admin, toilet(name, at)) for name, at in zip(names, spots, strict=True)]


def test_features_land_within_one_pixel_with_their_properties(toilets: list[Any]) -> None:
    anonymous = Client()
    for z in (15, 16, 18):
        for made in toilets:
            lon, lat = made["geometry"]["coordinates"]
            tx, ty = tile_of(lon, lat, z)
            response = get_tile(anonymous, f"/tiles/component-0301/{z}/{tx}/{ty}.mvt")
            assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
            found = features(response.content, "component-0301")[made["id"]]
            assert found["geometry"]["type"] == "Point"
            got = found["geometry"]["coordinates"]
            want = expected_position(lon, lat, z, tx, ty)
            assert math.dist(got, want) <= PIXEL, (z, got, want)
            assert math.dist(got, want) <= 1.0  # in fact within the MVT grid's rounding
            props = found["properties"]
            assert props["name"] == made["properties"]["name"]  # Chinese intact
            assert props["class"] == "0301" and props["status"] == "good"
            assert props["fee"] == "免费" and props["accessible"] is True
            assert props["opening_hours"] == "Mo-Su 05:30-23:00"
            # never personal data, never the organizations or internal fields
            assert not {"owner", "maintainer", "notes", "created_by", "address"} & set(props)


def test_anonymous_tiles_hold_public_classes_only_cached_or_not(admin: Api) -> None:
    at = inside("330106001001", 3)
    gas = create(admin, gas_cover(at))
    loo = create(admin, toilet("古翠路公厕", inside("330106001001", 3, shift=0.00001)))
    anonymous = Client()
    lon, lat = at
    for z in (8, 10, 12, 14, 15, 16, 18):
        tx, ty = tile_of(lon, lat, z)
        for _round in ("miss", "hit"):
            combined = get_tile(anonymous, f"/tiles/components/{z}/{tx}/{ty}.mvt")
            layers = decode(combined.content)
            assert "component-0111" not in layers
            assert gas["id"].encode() not in combined.content
            if z >= 15:
                assert loo["id"] in features(combined.content, "component-0301")
            restricted = anonymous.get(f"/tiles/component-0111/{z}/{tx}/{ty}.mvt")
            assert restricted.status_code == 404
        assert combined["X-Tile-Cache"] == "hit"
    assert anonymous.get("/tiles/component-0111.json").status_code == 404
    assert anonymous.get("/ogc/collections/component-0111/tiles").status_code == 404


def test_a_scoped_user_sees_their_restricted_class_and_others_do_not(admin: Api) -> None:
    at = inside("330106002001", 2)
    gas = create(admin, gas_cover(at))
    lon, lat = at
    tx, ty = tile_of(lon, lat, 16)
    url = f"/tiles/component-0111/16/{tx}/{ty}.mvt"
    response = admin.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert gas["id"] in features(response.content, "component-0111")
    combined = admin.get(f"/tiles/components/16/{tx}/{ty}.mvt")
    assert gas["id"] in features(combined.content, "component-0111")
    water = Api("surveyor_water")  # water classes only: not gas covers
    assert water.get(url).status_code == 404
    assert "component-0111" not in decode(water.get(f"/tiles/components/16/{tx}/{ty}.mvt").content)
    # at a cluster zoom the restricted layer's clusters are theirs only, too
    tx10, ty10 = tile_of(lon, lat, 10)
    assert "component-0111" in decode(admin.get(f"/tiles/components/10/{tx10}/{ty10}.mvt").content)
    anonymous = Client().get(f"/tiles/components/10/{tx10}/{ty10}.mvt")
    assert "component-0111" not in decode(anonymous.content)


def test_cache_headers_etag_and_304(toilets: list[Any]) -> None:
    lon, lat = toilets[0]["geometry"]["coordinates"]
    tx, ty = tile_of(lon, lat, 16)
    url = f"/tiles/component-0301/16/{tx}/{ty}.mvt"
    anonymous = Client()
    first = get_tile(anonymous, url)
    assert first["X-Tile-Cache"] == "miss"
    assert first["Cache-Control"].startswith("public, max-age=")
    assert first["ETag"].startswith('"') and "Authorization" in first["Vary"]
    again = get_tile(anonymous, url)
    assert again["X-Tile-Cache"] == "hit" and again.content == first.content
    assert again["ETag"] == first["ETag"]
    not_modified = anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert anonymous.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    # a signed-in caller's copy is private and cached under their scope
    staff = Api("district_admin").get(url)
    assert staff["Cache-Control"] == "private, no-cache" and staff["X-Tile-Cache"] == "miss"
    # empty tiles: 204 with the same headers
    empty = anonymous.get("/tiles/component-0301/16/0/0.mvt")
    assert empty.status_code == 204 and empty["ETag"]


def test_moving_a_component_shows_at_once_at_z16_and_z12(admin: Api, toilets: list[Any]) -> None:
    made = toilets[0]
    old_lon, old_lat = made["geometry"]["coordinates"]
    new_lon, new_lat = inside("330106003001", 1)
    anonymous = Client()
    urls = {}
    for z in (16, 12):
        old_tile = tile_of(old_lon, old_lat, z)
        new_tile = tile_of(new_lon, new_lat, z)
        urls[z] = (old_tile, new_tile)
        for tx, ty in {old_tile, new_tile}:  # cached before the edit
            get_tile(anonymous, f"/tiles/component-0301/{z}/{tx}/{ty}.mvt")
            hit = get_tile(anonymous, f"/tiles/component-0301/{z}/{tx}/{ty}.mvt")
            assert hit["X-Tile-Cache"] == "hit"
    moved = admin.patch(
        f"/api/v1/components/{made['id']}/",
        {
            "geometry": {"type": "Point", "coordinates": [new_lon, new_lat]},
            "properties": {"version": 1},
            "comment": "位置纠正",
        },
    )
    assert moved.status_code == 200, moved.content
    for z, (old_tile, new_tile) in urls.items():
        response = get_tile(anonymous, f"/tiles/component-0301/{z}/{new_tile[0]}/{new_tile[1]}.mvt")
        assert response["X-Tile-Cache"] == "miss"
        found = features(response.content, "component-0301")[made["id"]]
        want = expected_position(new_lon, new_lat, z, *new_tile)
        assert math.dist(found["geometry"]["coordinates"], want) <= PIXEL
        if old_tile != new_tile:
            old = get_tile(anonymous, f"/tiles/component-0301/{z}/{old_tile[0]}/{old_tile[1]}.mvt")
            assert made["id"] not in features(old.content, "component-0301")
        else:
            old_at = expected_position(old_lon, old_lat, z, *old_tile)
            assert math.dist(found["geometry"]["coordinates"], old_at) > PIXEL
    # a tile the edit did not touch keeps its cached copy
    other = toilets[2]["geometry"]["coordinates"]
    far = tile_of(*other, 16)
    if far not in urls[16]:
        get_tile(anonymous, f"/tiles/component-0301/16/{far[0]}/{far[1]}.mvt")
        assert (
            get_tile(anonymous, f"/tiles/component-0301/16/{far[0]}/{far[1]}.mvt")["X-Tile-Cache"]
            == "hit"
        )


def test_retire_delete_and_batch_invalidate_too(admin: Api, toilets: list[Any]) -> None:
    anonymous = Client()
    lon, lat = toilets[1]["geometry"]["coordinates"]
    tx, ty = tile_of(lon, lat, 16)
    url = f"/tiles/component-0301/16/{tx}/{ty}.mvt"
    assert toilets[1]["id"] in features(get_tile(anonymous, url).content, "component-0301")
    retired = admin.post(
        f"/api/v1/components/{toilets[1]['id']}/retire/", {"version": 1, "comment": "拆除"}
    )
    assert retired.status_code == 200, retired.content
    assert toilets[1]["id"] not in features(get_tile(anonymous, url).content, "component-0301")
    spot = inside("330106004001", 1)
    sx, sy = tile_of(*spot, 16)
    get_tile(anonymous, f"/tiles/components/16/{sx}/{sy}.mvt")
    batch = admin.post(
        "/api/v1/components/batch/",
        {"features": [toilet("教工路公厕", spot)], "comment": "批量新增"},
    )
    assert batch.status_code in (200, 201), batch.content
    new_id = batch.json()["features"][0]["id"]
    combined = get_tile(anonymous, f"/tiles/components/16/{sx}/{sy}.mvt")
    assert new_id in features(combined.content, "component-0301")


def test_low_zoom_tiles_are_clusters_with_counts(admin: Api) -> None:
    spots = [inside(f"330106{s:03d}001", g) for s in (1, 2, 3, 4) for g in (1, 2, 3)]
    for i, at in enumerate(spots):
        create(admin, toilet(f"测试公厕{i}", at))
    lon, lat = spots[0]
    anonymous = Client()
    tx, ty = tile_of(lon, lat, 10)
    layer = decode(get_tile(anonymous, f"/tiles/component-0301/10/{tx}/{ty}.mvt").content)
    clusters = layer["component-0301"]["features"]
    assert all("count" in f["properties"] for f in clusters)
    assert sum(f["properties"]["count"] for f in clusters) == len(spots)
    assert len(clusters) < len(spots)  # grouped
    assert len(clusters) <= (32 + 2) ** 2  # bounded whatever the data
    singles = [f for f in clusters if f["properties"]["count"] == 1]
    assert all(f["properties"]["name"].startswith("测试公厕") for f in singles)
    # the combined tile clusters the same way
    combined = decode(get_tile(anonymous, f"/tiles/components/10/{tx}/{ty}.mvt").content)
    counts = sum(f["properties"]["count"] for f in combined["component-0301"]["features"])
    assert counts == len(spots)


def test_combined_tile_equals_the_per_layer_tiles(admin: Api) -> None:
    at = inside("330106002001", 3)
    create(admin, gas_cover(at))
    create(admin, toilet("学院路公厕", inside("330106002001", 3, shift=0.00002)))
    tx, ty = tile_of(*at, 16)
    for client in (admin, Api("surveyor_water"), Api(None)):
        combined = decode(client.get(f"/tiles/components/16/{tx}/{ty}.mvt").content)
        for name, layer in combined.items():
            alone = client.get(f"/tiles/{name}/16/{tx}/{ty}.mvt")
            assert alone.status_code == 200
            ids = {f["properties"]["identifier"] for f in layer["features"]}
            assert ids == set(features(alone.content, name))


def test_tilejson_and_ogc_api_tiles(toilets: list[Any]) -> None:
    anonymous = Client()
    doc = anonymous.get("/tiles/component-0301.json").json()
    assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
    assert doc["tiles"] == ["http://testserver/tiles/component-0301/{z}/{x}/{y}.mvt"]
    assert doc["maxzoom"] == 22 and len(doc["bounds"]) == 4 and len(doc["center"]) == 3
    layer = doc["vector_layers"][0]
    assert layer["id"] == "component-0301" and "名" not in layer["id"]
    assert {"identifier", "class", "name", "status", "fee", "count"} <= set(layer["fields"])
    combined = anonymous.get("/tiles/components.json").json()
    ids = {entry["id"] for entry in combined["vector_layers"]}
    assert "component-0301" in ids and "component-0111" not in ids
    assert "component-0111" in {
        e["id"] for e in Api("district_admin").get("/tiles/components.json").json()["vector_layers"]
    }
    roads = anonymous.get("/tiles/roads.json").json()
    assert roads["vector_layers"][0]["minzoom"] == 10

    tms = anonymous.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) >= 23
    assert (
        anonymous.get("/ogc/tileMatrixSets").json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"
    )
    sets = anonymous.get("/ogc/collections/component-0301/tiles").json()
    assert sets["tilesets"][0]["dataType"] == "vector"
    meta = anonymous.get("/ogc/collections/component-0301/tiles/WebMercatorQuad").json()
    item = next(link for link in meta["links"] if link["rel"] == "item")
    assert item["href"].endswith("/{tileMatrix}/{tileRow}/{tileCol}")
    assert meta["tileMatrixSetLimits"][0]["tileMatrix"] == "0"
    lon, lat = toilets[0]["geometry"]["coordinates"]
    tx, ty = tile_of(lon, lat, 16)
    ogc = anonymous.get(f"/ogc/collections/component-0301/tiles/WebMercatorQuad/16/{ty}/{tx}")
    xyz = anonymous.get(f"/tiles/component-0301/16/{tx}/{ty}.mvt")
    assert ogc.status_code == 200 and ogc.content == xyz.content
    # the OGC API - Features routes still answer under /ogc/
    assert anonymous.get("/ogc/collections/component-0301").status_code == 200


def test_base_layers_have_tiles_too() -> None:
    anonymous = Client()
    lon, lat = inside("330106001001", 1)
    tx, ty = tile_of(lon, lat, 10)
    areas = decode(get_tile(anonymous, f"/tiles/admin-areas/10/{tx}/{ty}.mvt").content)
    levels = {f["properties"]["level"] for f in areas["admin-areas"]["features"]}
    assert levels <= {"city", "district", "street"} and "district" in levels
    names = {f["properties"]["name"] for f in areas["admin-areas"]["features"]}
    assert any("区" in name for name in names)  # Chinese intact
    assert anonymous.get(f"/tiles/grid-cells/14/{tx}/{ty}.mvt").status_code == 404
    assert anonymous.get("/tiles/admin-areas/23/0/0.mvt").status_code == 404  # above max zoom
    assert anonymous.get("/tiles/admin-areas/3/9/9.mvt").status_code == 404  # outside the grid
    below = anonymous.get(f"/tiles/roads/5/{tx >> 5}/{ty >> 5}.mvt")  # below minzoom: empty
    assert below.status_code == 204


def test_invalidation_covers_every_zoom_and_falls_back_for_huge_geometries() -> None:
    import shapely

    from tiles import cache, grid

    lon, lat = inside("330106001001", 1)
    point = grid.to_3857(shapely.Point(lon, lat))
    for z in (0, 5, 12, 22):
        touched = cache.touched_tiles([point], z)
        assert touched is not None and tile_of(lon, lat, z) in touched and len(touched) <= 4
    huge = grid.to_3857(shapely.box(119.9, 30.0, 120.4, 30.4))
    assert cache.touched_tiles([huge], 22) is None  # whole zoom level instead
    assert cache.touched_tiles([huge], 10) is not None


# --- raster tiles ------------------------------------------------------------------------

needs_rasters = pytest.mark.skipif(
    not (RASTERS / "shade.tif").is_file() or not (RASTERS / "RGB.byte.tif").is_file(),
    reason=f"{RASTERS} (shared test data: shade.tif, RGB.byte.tif) is not present",
)


def _rio_tile(path: Path, x: int, y: int, z: int) -> Any:
    import warnings

    from rio_tiler.io import Reader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Reader(str(path)) as reader:
            return reader.tile(x, y, z, tilesize=256)


@needs_rasters
@pytest.mark.parametrize(("name", "file"), [("shade", "shade.tif"), ("rgb", "RGB.byte.tif")])
def test_raster_tiles_match_rio_tiler_reading_the_source(name: str, file: str) -> None:
    from django.core.management import call_command

    call_command(
        "register_raster", name, str(RASTERS / file), title=f"测试{name}", stdout=io.StringIO()
    )
    anonymous = Client()
    doc = anonymous.get(f"/tiles/raster/{name}.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == [f"http://testserver/tiles/raster/{name}/{{z}}/{{x}}/{{y}}.png"]
    west, south, east, north = doc["bounds"]
    assert doc["name"] == f"测试{name}" and doc["minzoom"] <= doc["maxzoom"]
    from tiles.models import RasterLayer

    raster = RasterLayer.objects.get(name=name)
    z = raster.native_max_zoom
    # the tile of the native zoom with the most data, as rio-tiler reads the source
    x0, y0 = tile_of(west, north, z)
    x1, y1 = tile_of(east, south, z)
    candidates = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    tx, ty = max(candidates, key=lambda t: (_rio_tile(RASTERS / file, *t, z).mask > 0).mean())
    response = anonymous.get(f"/tiles/raster/{name}/{z}/{tx}/{ty}.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"].startswith("public")
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (256, 256)
    pixels = np.asarray(image)
    alpha = pixels[..., -1]
    assert (alpha > 0).mean() > 0.25  # data where the raster is (nodata elsewhere)
    direct = _rio_tile(RASTERS / file, tx, ty, z)
    mask = direct.mask > 0
    assert np.array_equal(alpha > 0, mask)
    ours = pixels[..., : direct.count]
    theirs = np.moveaxis(direct.data, 0, -1)
    diff = np.abs(ours.astype(int) - theirs.astype(int))[mask]
    assert diff.mean() < 1.0 and (diff == 0).mean() > 0.95
    webp = anonymous.get(f"/tiles/raster/{name}/{z}/{tx}/{ty}.webp")
    assert webp.status_code == 200 and Image.open(io.BytesIO(webp.content)).format == "WEBP"
    outside = anonymous.get(f"/tiles/raster/{name}/{z}/0/0.png")
    assert outside.status_code == 204


@needs_rasters
def test_a_private_raster_is_hidden_from_anonymous_callers() -> None:
    from tiles.raster import register_raster

    register_raster("hidden-shade", RASTERS / "shade.tif", public=False)
    assert Client().get("/tiles/raster/hidden-shade.json").status_code == 404
    assert Api("district_admin").get("/tiles/raster/hidden-shade.json").status_code == 200


def test_register_raster_refuses_a_file_that_is_not_a_raster(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command
    from django.utils import translation

    bogus = tmp_path / "not.tif"
    bogus.write_text("no raster here")
    with translation.override("en"), pytest.raises(CommandError, match="not a raster"):
        call_command("register_raster", "bogus", str(bogus), stdout=io.StringIO())
    from layers.models import Layer
    from tiles.models import RasterLayer

    assert not RasterLayer.objects.filter(name="bogus").exists()
    assert not Layer.objects.filter(kind="raster", source="bogus").exists()
    assert Api("district_admin").get("/tiles/raster/bogus.json").status_code == 404


def test_ogc_landing_conformance_and_collections_lead_to_the_tiles() -> None:
    anonymous = Client()
    landing = anonymous.get("/ogc/?f=json").json()
    schemes = [x for x in landing["links"] if x["rel"].endswith("/tiling-schemes")]
    assert schemes and anonymous.get(schemes[0]["href"]).status_code == 200
    conforms = anonymous.get("/ogc/conformance?f=json").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    collection = anonymous.get("/ogc/collections/component-0301?f=json").json()
    tilesets = [x for x in collection["links"] if x["rel"].endswith("/tilesets-vector")]
    assert len(tilesets) == 1
    listed = anonymous.get(tilesets[0]["href"]).json()["tilesets"]
    assert listed[0]["tileMatrixSetURI"].endswith("/WebMercatorQuad")


def test_combined_tile_below_a_polygon_class_min_zoom_leaves_it_out(admin: Api) -> None:
    # A parking lot (0201, polygons, min zoom 13) next to a toilet (points, clustered).
    lon, lat = inside("330106001001", 2)
    d = 0.0002
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    lot = manhole(klass="0201", at=[lon, lat], name="测试停车场", attributes={})
    lot["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    lot["properties"].pop("gnss")
    create(admin, lot)
    create(admin, toilet("停车场旁公厕", inside("330106001001", 1)))
    for z, polygons in ((10, False), (12, False), (13, True), (16, True)):
        tx, ty = tile_of(lon + d / 2, lat + d / 2, z)
        for client in (admin, Api(None)):
            layers = decode(get_tile(client, f"/tiles/components/{z}/{tx}/{ty}.mvt").content)
            assert ("component-0201" in layers) == polygons, (z, sorted(layers))
            if z <= 12:  # the toilet, clustered, shares the low-zoom tile
                assert "count" in layers["component-0301"]["features"][0]["properties"]
