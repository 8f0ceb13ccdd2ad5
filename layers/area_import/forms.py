"""The upload form of an area import, shared by the admin (areas and grid cells "Import
from file") and the import page: the same fields as ``manage.py import_areas``, run
synchronously through the same service."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gis_app.types import User
from layers.area_import import files
from layers.area_import.features import LEVELS
from layers.area_import.report import (
    BY_FILE,
    BY_NAME,
    CREATE,
    GENERATED,
    REFUSED,
    REUSED,
    STANDARD,
    UNCHANGED,
    UPDATE,
    AreaImportReport,
)
from layers.area_import.service import import_areas

LEVEL_CHOICES = [
    ("city", _("City")),
    ("district", _("District")),
    ("street", _("Street")),
    ("community", _("Community")),
    ("grid", _("Grid cell")),
]
CRS_CHOICES = [
    ("", _("As declared by the file")),
    ("EPSG:4490", "EPSG:4490 CGCS2000"),
    ("EPSG:4326", "EPSG:4326 WGS 84"),
    ("GCJ02", _("GCJ-02 (Amap, Tencent)")),
    ("BD09", _("BD-09 (Baidu)")),
    ("EPSG:4549", "EPSG:4549 CGCS2000 / 3-degree GK CM 120E"),
]
ENCODING_CHOICES = [
    ("", _("Detect")),
    ("UTF-8", "UTF-8"),
    ("GB18030", "GB18030"),
    ("GBK", "GBK"),
]
assert [value for value, _label in LEVEL_CHOICES] == list(LEVELS)


class AreaImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("Shapefile (the whole set in one .zip), GeoPackage, GeoJSON, TopoJSON or KML."),
    )
    level = forms.ChoiceField(label=_("Level"), choices=LEVEL_CHOICES)
    code_field = forms.CharField(label=_("Code field"), max_length=100)
    name_field = forms.CharField(label=_("Name field"), max_length=100)
    parent_field = forms.CharField(
        label=_("Parent field"),
        max_length=100,
        required=False,
        help_text=_("The field holding the parent's code (standard, or its source code)."),
    )
    parent = forms.RegexField(
        label=_("Parent code"),
        regex=r"^\d{6,12}$",
        required=False,
        help_text=_("One parent for every feature; empty: from the codes or the location."),
    )
    crs = forms.ChoiceField(label=_("Coordinate system"), choices=CRS_CHOICES, required=False)
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODING_CHOICES, required=False)
    tolerance = forms.FloatField(
        label=_("Tolerance (m)"),
        initial=30.0,
        min_value=0,
        max_value=5000,
        help_text=_("How far a child may lie outside its parent or overlap a sibling."),
    )
    codes_by_name = forms.BooleanField(
        label=_("Map codes by name (the reference list of divisions)"), required=False
    )
    code_map = forms.FileField(label=_("Code map (CSV: source_code,standard_code)"), required=False)
    repair = forms.BooleanField(label=_("Repair invalid polygons"), required=False)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)
    dry_run = forms.BooleanField(
        label=_("Dry run: check and report only"), required=False, initial=True
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("parent") and data.get("parent_field"):
            self.add_error("parent", _("Give a parent code or a parent field, not both."))
        return data


def run(
    form: AreaImportForm, user: User, address: str | None = None
) -> tuple[AreaImportReport, str]:
    """Run a valid form's import: (the report, a line on what was read). ``DomainError``
    (naming the field) when the file or the code map is refused as a whole."""
    data = form.cleaned_data
    code_map = None
    if data.get("code_map"):
        code_map = files.load_code_map(data["code_map"].read())
    options = files.FileOptions(
        code_field=data["code_field"].strip(),
        name_field=data["name_field"].strip(),
        parent_field=(data.get("parent_field") or "").strip() or None,
        parent=data.get("parent") or None,
        crs=data.get("crs") or None,
        encoding=data.get("encoding") or None,
    )
    with tempfile.TemporaryDirectory(prefix="areas-") as workdir:
        features, read = files.read_upload(data["file"], Path(workdir), options)
    name = Path(data["file"].name or "").name
    report = import_areas(
        features,
        data["level"],
        user=user,
        comment=(data.get("comment") or "").strip() or f"import {name}",
        tolerance_m=data["tolerance"],
        repair=data.get("repair", False),
        dry_run=data.get("dry_run", False),
        code_map=code_map,
        codes_by_name=data.get("codes_by_name", False),
        address=address,
    )
    return report, read


def report_context(report: AreaImportReport, read: str) -> dict[str, Any]:
    """What the report template shows: the summary line, one row per feature (translated
    status and mapping, problems, notes) and the moved counts."""
    status_text = {
        CREATE: _("New") if report.dry_run else _("Created"),
        UPDATE: _("To update") if report.dry_run else _("Updated"),
        UNCHANGED: _("Unchanged"),
        REFUSED: _("Refused"),
    }
    mapping_text = {
        STANDARD: "",
        BY_NAME: _("mapped by name"),
        BY_FILE: _("mapped by the code map"),
        REUSED: _("kept from an earlier import"),
        GENERATED: _("generated"),
    }
    moved_text = {
        "components": _("Components moved"),
        "buildings": _("Buildings moved"),
        "base_features": _("Base features moved"),
    }
    rows = [
        {
            "rows": ", ".join(str(r) for r in f.rows),
            "source_code": f.source_code,
            "name": f.name,
            "code": f.code,
            "mapping": mapping_text.get(f.mapping, "") if f.code else "",
            "status": f.status,
            "status_text": status_text[f.status],
            "errors": [e.text for e in f.errors],
            "notes": f.notes,
        }
        for f in sorted(report.features, key=lambda f: (not f.refused, f.rows[0]))
    ]
    return {
        "report": report,
        "read": read,
        "summary": report.lines()[-1],
        "rows": rows,
        "moved": [(moved_text.get(k, k), n) for k, n in sorted(report.moved.items())],
    }
