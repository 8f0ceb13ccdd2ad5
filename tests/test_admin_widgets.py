"""The admin's geometry widget (gis_app.admin_widgets): every geometry field of the admin
uses it, its page names no other host, and the GeoJSON it posts is saved as is; text that
is no geometry is refused, naming the field, and changes nothing. (The drawing itself is
tested in Chromium: tests/browser/test_security.py.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.gis.db.models import GeometryField
from django.test import Client

from community.parking.models import ParkingSpace
from gis_app.admin_widgets import LeafletGeometryWidget
from tests.parking_support import make_lot, rectangle

URL_RE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


def test_every_geometry_field_of_the_admin_gets_the_widget() -> None:
    seen = 0
    for model, model_admin in admin.site._registry.items():
        for field in model._meta.get_fields():
            if isinstance(field, GeometryField):
                formfield = model_admin.formfield_for_dbfield(field, request=None)
                assert isinstance(formfield.widget, LeafletGeometryWidget), (model, field.name)
                seen += 1
    assert seen >= 4  # parking space, gate, areas, grid cells, components


@pytest.fixture
def staff(db: Any) -> Client:
    client = Client()
    assert client.login(username="city_admin", password="demo-pass-2019")
    return client


@pytest.mark.django_db
def test_the_add_page_loads_only_local_files(staff: Client) -> None:
    html = staff.get("/admin/parking/parkingspace/add/").content.decode()
    assert 'class="sc-geometry-widget"' in html
    assert "/static/gis_app/admin_map.js" in html and "/static/vendor/leaflet-draw/" in html
    others = [u for u in URL_RE.findall(html) if re.match(r"(https?:)?//", u)]
    assert others == []
    assert "openlayers" not in html.lower()


@pytest.mark.django_db
def test_posted_geojson_is_saved_and_bad_text_is_refused(staff: Client) -> None:
    lot = make_lot("后台绘制停车场", spaces=False)
    lon, lat = lot.centre
    ring = rectangle(lon, lat, 2.5, 5.0)
    form = {"lot": lot.pk, "code": "A-001", "kind": "standard", "_save": "1"}
    geojson = json.dumps({"type": "Polygon", "coordinates": [ring]})
    response = staff.post("/admin/parking/parkingspace/add/", {**form, "geometry": geojson})
    assert response.status_code == 302, response.content.decode()[:2000]
    space = ParkingSpace.objects.get(lot=lot.lot, code="A-001")
    assert space.geometry.srid == 4490
    saved = [v for c in space.geometry.coords[0] for v in c]
    assert saved == pytest.approx([v for c in ring for v in c], abs=1e-12)  # not transformed
    # The change page hands the same GeoJSON back to the widget.
    html = staff.get(f"/admin/parking/parkingspace/{space.pk}/change/").content.decode()
    textarea = re.search(r'<textarea id="id_geometry"[^>]*>([^<]*)</textarea>', html)
    assert textarea is not None
    shown = json.loads(textarea.group(1).replace("&quot;", '"'))
    assert shown["type"] == "Polygon"
    assert [v for c in shown["coordinates"][0] for v in c] == pytest.approx(saved, abs=1e-12)

    for bad in ("not a geometry", '{"type": "Polygon", "coordinates": "x"}'):
        form["code"] = "A-002"
        response = staff.post("/admin/parking/parkingspace/add/", {**form, "geometry": bad})
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert list(errors) == ["geometry"]
        assert errors["geometry"] == ["无效几何信息。"]  # Django's "Invalid geometry value."
        assert bad.replace('"', "&quot;") in response.content.decode()  # kept to correct
        assert not ParkingSpace.objects.filter(lot=lot.lot, code="A-002").exists()
