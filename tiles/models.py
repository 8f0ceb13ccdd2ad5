"""Tile cache, tile generations and raster layers.

The vector-tile cache is a PostgreSQL table (web nodes stay stateless, DESIGN.md section
13). A cached tile is valid while three things still hold:

* the **generation** of its tile: the sum of the ``TileGeneration`` counters that cover it
  (the tile itself, its whole zoom level, the whole layer). Every edit bumps the counters
  of the tiles its old and new geometries touch, in the edit's own transaction;
* the layer's **fingerprint**: a hash of the registry rows that shape the tile (public
  flag, zooms, source, the key attributes published) and of the tile format;
* the **scope**: who it was made for (``public`` for anonymous callers, else a hash of the
  caller's grants).

The tile and the generation it was made from are read by one SQL statement (one snapshot),
so a tile rendered from data an edit has since replaced carries the old generation and is
never served again (see ``tiles.cache``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from layers.models import Layer

ALL = -1  # TileGeneration: z = ALL covers every zoom; x = y = ALL the whole zoom level


class TileCacheEntry(models.Model):
    layer = models.CharField(max_length=64)  # registry code, or "components" (combined)
    z = models.SmallIntegerField()
    x = models.IntegerField()
    y = models.IntegerField()
    scope = models.CharField(max_length=32)
    fingerprint = models.CharField(max_length=32)
    generation = models.BigIntegerField()
    etag = models.CharField(max_length=40)
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cached tile")
        verbose_name_plural = _("cached tiles")
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "z", "x", "y", "scope"], name="tilecache_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.layer}/{self.z}/{self.x}/{self.y} ({self.scope})"


class TileGeneration(models.Model):
    """A counter bumped by every edit touching the tile (or the zoom level, or the layer)."""

    layer = models.CharField(max_length=64)
    z = models.SmallIntegerField()
    x = models.IntegerField()
    y = models.IntegerField()
    generation = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["layer", "z", "x", "y"], name="tilegeneration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.layer}/{self.z}/{self.x}/{self.y}: {self.generation}"


class RasterLayer(models.Model):
    """A GeoTIFF registered as a raster layer: converted to a Cloud-Optimized GeoTIFF and
    served as PNG/WebP tiles. Who sees it is decided by its registry ``layer``."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    layer = models.OneToOneField(
        Layer, on_delete=models.PROTECT, related_name="raster", verbose_name=_("layer")
    )
    source_name = models.CharField(_("source file"), max_length=300)
    cog_path = models.CharField(
        _("Cloud-Optimized GeoTIFF"), max_length=300, help_text=_("Relative to MEDIA_ROOT.")
    )
    crs = models.CharField(_("CRS"), max_length=64)
    bounds = models.JSONField(_("bounds (lon/lat)"), default=list)
    band_count = models.PositiveSmallIntegerField(_("bands"))
    dtype = models.CharField(_("data type"), max_length=16)
    nodata = models.FloatField(_("nodata"), null=True, blank=True)
    native_min_zoom = models.PositiveSmallIntegerField(_("native minimum zoom"))
    native_max_zoom = models.PositiveSmallIntegerField(_("native maximum zoom"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("raster layer")
        verbose_name_plural = _("raster layers")

    def __str__(self) -> str:
        return self.name


class RegistryState(models.Model):
    """One row: a counter that database triggers raise on every change to the layer
    registry or the component classes (tiles.0003). Web processes keep the tile specs of
    the registry in memory and check this version with every tile statement, so a
    registry change (a layer made private, a zoom limit changed) takes effect at once in
    every process, without a registry query per tile."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"registry version {self.version}"
