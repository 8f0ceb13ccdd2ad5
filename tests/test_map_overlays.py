"""What the common map learns about its overlays from /map/basemaps.json (map_ui.overlays):
groups by major class, empty layers in the caller's scope, attribute labels; and the
zoom limit every map page gets (MapOptions.max_zoom)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from map_ui.builder import MapOptions, map_config, render_map
from tests.components_helpers import Api, inside, manhole
from tests.ogc_data import toilet


def overlays(user: str | None, language: str = "zh-hans") -> dict[str, Any]:
    client = Client()
    if user:
        assert client.login(username=user, password="demo-pass-2019")
    response = client.get("/map/basemaps.json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return dict(response.json()["overlays"])


@pytest.mark.django_db
def test_groups_are_the_major_classes_after_the_base_layers() -> None:
    zh = overlays(None)["groups"]
    assert [g["code"] for g in zh] == ["base", "01", "02", "03", "04", "05", "06"]
    assert zh[3] == {"code": "03", "name": "市容环境"}
    assert zh[0]["name"] == "区域与房屋"
    en = overlays(None, "en")["groups"]
    assert en[2] == {"code": "02", "name": "Roads and traffic"}
    assert en[0]["name"] == "Areas and buildings"


@pytest.mark.django_db
def test_layers_carry_group_labels_and_whether_the_caller_has_data() -> None:
    anonymous = overlays(None)["layers"]
    assert "component-0101" not in anonymous  # restricted layer: not even listed
    toilets = anonymous["component-0301"]
    assert toilets["group"] == "03"
    assert toilets["has_features"] is False  # no toilet in the test data yet
    assert toilets["labels"]["opening_hours"] == "开放时间"
    assert toilets["labels"]["name"]
    assert overlays(None, "en")["layers"]["component-0301"]["labels"]["opening_hours"] == (
        "Opening hours"
    )
    assert overlays("city_admin")["layers"]["grid-cells"]["group"] == "base"
    # stored choices shown in the page's language: the cover's material, the toilet's fee
    english = overlays("city_admin", "en")["layers"]
    assert english["component-0101"]["choices"]["material"]["铸铁"] == "Cast iron"
    assert english["component-0101"]["labels"]["material"] == "Material"
    fee = english["component-0301"]["choices"]["fee"]
    assert fee and not any(re.search(r"[\u4e00-\u9fff]", label) for label in fee.values())
    assert overlays("city_admin")["layers"]["component-0101"]["choices"] == {}

    made = Api("district_admin").create(toilet("保俶路公厕", inside()))
    assert made.status_code == 201, made.content
    assert overlays(None)["layers"]["component-0301"]["has_features"] is True


@pytest.mark.django_db
def test_empty_means_nothing_in_the_callers_own_scope() -> None:
    # A water manhole (restricted class) in another street than 北山街道's.
    other_street = Api("district_admin").create(manhole(at=inside("330106003002", 2)))
    assert other_street.status_code == 201, other_street.content
    assert overlays("district_admin")["layers"]["component-0101"]["has_features"] is True
    assert overlays("street_admin")["layers"]["component-0101"]["has_features"] is False

    in_street = Api("district_admin").create(manhole(at=inside("330106001001", 1)))
    assert in_street.status_code == 201, in_street.content
    assert overlays("street_admin")["layers"]["component-0101"]["has_features"] is True


@pytest.mark.django_db
def test_every_map_page_stops_at_zoom_19_unless_it_allows_20() -> None:
    assert map_config(MapOptions())["maxZoom"] == 19
    assert map_config(MapOptions(max_zoom=20))["maxZoom"] == 20
    with pytest.raises(ValueError, match="max_zoom"):
        MapOptions(max_zoom=22)
    html = render_map(MapOptions()).html
    boot = json.loads(re.search(r"data-sc-map='([^']*)'", html).group(1))  # type: ignore[union-attr]
    assert boot["options"]["maxZoom"] == 19
    for path in ["/", "/map/"]:
        page = Client().get(path).content.decode()
        config = re.search(
            r'<script type="application/json" id="[^"]*-config">(.*?)</script>', page, re.S
        )
        assert config and json.loads(config.group(1))["maxZoom"] == 19
