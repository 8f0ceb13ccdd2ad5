"""Raster layers: a GeoTIFF is converted to a Cloud-Optimized GeoTIFF (rio-cogeo, in its
own CRS, deflate-compressed, internal overviews) under ``MEDIA_ROOT/rasters/`` and served
as 256 x 256 PNG or WebP tiles in Web Mercator by rio-tiler. A raster layer is a registry
layer (kind ``raster``, code ``raster-<name>``): its public flag decides who sees it.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import Any

import rasterio
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from rasterio.errors import RasterioIOError
from rio_cogeo.cogeo import cog_translate, cog_validate
from rio_cogeo.profiles import cog_profiles
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader

from gis_app.errors import InvalidInput
from layers.models import Layer, LayerKind
from tiles.models import RasterLayer

logger = logging.getLogger(__name__)
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,55}$")
FORMATS = {"png": ("PNG", "image/png"), "webp": ("WEBP", "image/webp")}
TILE_SIZE = 256


def layer_code(name: str) -> str:
    return f"raster-{name}"


def raster_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "rasters"


def cog_file(raster: RasterLayer) -> Path:
    return Path(settings.MEDIA_ROOT) / raster.cog_path


def _check_source(path: Path) -> dict[str, Any]:
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InvalidInput(
                    _("%(file)s has no coordinate reference system; it cannot be placed.")
                    % {"file": path.name},
                    field="file",
                )
            return {"crs": src.crs.to_string(), "count": src.count, "dtype": src.dtypes[0]}
    except RasterioIOError as exc:
        raise InvalidInput(
            _("%(file)s is not a raster GDAL can read: %(reason)s")
            % {"file": path.name, "reason": exc},
            field="file",
        ) from None


def convert_to_cog(source: Path, target: Path) -> None:
    """Write ``source`` as a Cloud-Optimized GeoTIFF at ``target`` (and check it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    profile = cog_profiles.get("deflate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cog_translate(
            str(source),
            str(target),
            profile,
            overview_resampling="average",
            in_memory=False,
            quiet=True,
            config={"GDAL_NUM_THREADS": "ALL_CPUS", "GDAL_TIFF_OVR_BLOCKSIZE": "256"},
        )
    valid, errors, _warnings = cog_validate(str(target), quiet=True)
    if not valid:
        target.unlink(missing_ok=True)
        raise InvalidInput(
            _("The converted file is not a valid COG: %(errors)s") % {"errors": errors},
            field="file",
        )


def register_raster(
    name: str, source: Path, *, title: str = "", public: bool = True
) -> RasterLayer:
    """Convert ``source`` to a COG and register (or replace) raster layer ``name``."""
    if not NAME.match(name):
        raise InvalidInput(
            _("The name must be lowercase letters, digits and hyphens (at most 56)."),
            field="name",
        )
    info = _check_source(source)
    target = raster_folder() / f"{name}.tif"
    partial = target.with_suffix(".partial.tif")
    convert_to_cog(source, partial)
    with Reader(str(partial)) as reader:
        bounds = [round(v, 8) for v in reader.get_geographic_bounds("epsg:4326")]
        minzoom, maxzoom = int(reader.minzoom), int(reader.maxzoom)
        nodata = reader.dataset.nodata
    with transaction.atomic():
        layer, _created = Layer.objects.update_or_create(
            kind=LayerKind.RASTER,
            source=name,
            defaults={
                "code": layer_code(name),
                "name_zh": title or name,
                "name_en": title or name,
                "geometry_kind": "raster",
                "min_zoom": max(0, minzoom - 4),
                "max_zoom": min(24, maxzoom + 2),
                "is_public": public,
            },
        )
        raster, _created = RasterLayer.objects.update_or_create(
            name=name,
            defaults={
                "layer": layer,
                "source_name": source.name,
                "cog_path": str(target.relative_to(settings.MEDIA_ROOT)),
                "crs": info["crs"],
                "bounds": bounds,
                "band_count": info["count"],
                "dtype": info["dtype"],
                "nodata": nodata,
                "native_min_zoom": minzoom,
                "native_max_zoom": maxzoom,
            },
        )
        partial.replace(target)
    return raster


def render_tile(raster: RasterLayer, z: int, x: int, y: int, fmt: str) -> bytes | None:
    """The tile as PNG or WebP bytes, or None where the raster has no data."""
    driver, _mime = FORMATS[fmt]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Reader(str(cog_file(raster))) as reader:
            if not reader.tile_exists(x, y, z):
                return None
            try:
                image = reader.tile(x, y, z, tilesize=TILE_SIZE)
            except TileOutsideBounds:
                return None
            if raster.dtype != "uint8":
                stats = reader.statistics()
                image = image.rescale(in_range=[(s.min, s.max) for s in stats.values()])
    if not image.mask.any():
        return None
    bands = image.count
    if bands not in (1, 3):  # PNG/WebP: grey or RGB (plus the mask as alpha)
        image = image.apply_expression("b1") if bands < 3 else image
        if bands > 3:
            image.array = image.array[:3]
    return bytes(image.render(img_format=driver))
