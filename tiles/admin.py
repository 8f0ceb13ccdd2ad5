"""Admin of raster layers: upload a GeoTIFF to register it (converted to a COG)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gis_app.admin_scoping import ScopedAdmin
from tiles.models import RasterLayer
from tiles.raster import register_raster


class RasterUploadForm(forms.ModelForm):
    upload = forms.FileField(label=_("GeoTIFF"))
    title = forms.CharField(label=_("title"), required=False, max_length=100)
    public = forms.BooleanField(label=_("public"), required=False, initial=True)

    class Meta:
        model = RasterLayer
        fields = ["name"]


@admin.register(RasterLayer)
class RasterLayerAdmin(ScopedAdmin):
    list_display = ("name", "layer", "crs", "band_count", "native_min_zoom", "native_max_zoom")
    search_fields = ("name",)
    readonly_fields = (
        "name",
        "layer",
        "source_name",
        "cog_path",
        "crs",
        "bounds",
        "band_count",
        "dtype",
        "nodata",
        "native_min_zoom",
        "native_max_zoom",
        "created_at",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "title", "public", "upload"]
        return list(self.readonly_fields)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = RasterUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        if not self.may_write(request, obj):
            raise PermissionDenied
        upload = form.cleaned_data["upload"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            raster = register_raster(
                form.cleaned_data["name"],
                path,
                title=form.cleaned_data.get("title") or "",
                public=bool(form.cleaned_data.get("public")),
            )
        for field in RasterLayer._meta.concrete_fields:
            setattr(obj, field.attname, getattr(raster, field.attname))
        obj._state.adding = False
