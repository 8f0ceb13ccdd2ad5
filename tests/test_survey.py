"""The surveyors' editor page (/survey/) as the server answers it: who may open it, what it
starts from (classes, schemas, thresholds, organizations, defaults, where the map opens),
only local files, its service worker, and its text in Chinese and English. The NMEA parser
is run by Node on sentences built here."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import translation

from component_catalog.models import Component
from layers.models import AdminArea
from survey import strings
from tests.conftest import REPO

URL = "/survey/"
TEMPLATE = REPO / "survey" / "templates" / "survey" / "editor.html"
NMEA_JS = REPO / "survey" / "static" / "survey" / "nmea.js"
# The map's configuration: the JSON data block boot.js starts the common map with.
CONFIG_RE = re.compile(
    r'<script type="application/json" id="map_\w+-config">(\{.*?\})</script>', re.DOTALL
)
REF_RE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="demo-pass-2019")
    return client


def page_config(html: str) -> dict[str, Any]:
    found = CONFIG_RE.search(html)
    assert found, "the page starts the common map with its configuration"
    return json.loads(found.group(1))


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_login_required_and_only_for_users_who_may_create(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/survey/"
    for username in ("planner", "auditor"):  # they read and report, they do not survey
        assert logged_in(username).get(URL).status_code == 403


@pytest.mark.django_db
def test_water_surveyor_starts_from_their_classes_schemas_and_thresholds() -> None:
    response = logged_in("surveyor_water").get(URL)
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    html = response.content.decode()
    extra = page_config(html)["extra"]
    codes = [c["code"] for c in extra["classes"]]
    assert codes == ["0101", "0102", "0103", "0104", "0113"]
    assert extra["classFilter"] == codes
    cover = extra["classes"][0]
    assert (cover["name"], cover["geometry"], cover["threshold_m"]) == ("上水井盖", "point", 0.5)
    size = cover["schema"]["properties"]["size_mm"]
    assert (size["type"], size["minimum"], size["maximum"]) == ("integer", 300, 2000)
    assert extra["defaults"] == {
        "competent_department": "XH-CGJ",
        "owner": "HZ-SW",
        "maintainer": "HZ-SW",
    }
    assert {"HZ-SW", "XH-CGJ"} <= {o["code"] for o in extra["organizations"]}
    assert extra["user"] == "surveyor_water"
    assert extra["serviceWorker"] == "/survey/sw.js" and extra["scope"] == "/survey/"
    # The class select, the schema-generated form's home, the camera input.
    assert '<option value="0101" data-geometry="point">0101 上水井盖</option>' in html
    assert 'type="file" accept="image/*" capture="environment"' in html
    assert 'href="/imports/"' in html
    # The map opens inside the surveyor's district.
    centre = re.search(r'"center": \[([\d.]+), ([\d.]+)\]', html) or re.search(
        r"center: \[([\d.]+), ([\d.]+)\]", html
    )
    assert centre, "the map's centre"
    lat, lon = float(centre.group(1)), float(centre.group(2))
    district = AdminArea.objects.get(code="330106").boundary
    assert district.contains(Point(lon, lat, srid=4490))


@pytest.mark.django_db
def test_community_worker_surveys_every_class_and_english_names() -> None:
    client = logged_in("community_worker")
    extra = page_config(client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode())["extra"]
    assert extra["classFilter"] is None
    by_code = {c["code"]: c for c in extra["classes"]}
    assert {"0101", "0201", "0405", "0602"} <= set(by_code)
    assert by_code["0405"]["name"] == "Green space" and by_code["0405"]["geometry"] == "polygon"
    assert by_code["0205"]["geometry"] == "line" and by_code["0205"]["threshold_m"] == 2.0
    assert extra["strings"]["online"] == "Online"
    status = {c["value"]: c["label"] for c in extra["choices"]["status"]}
    assert status == {
        "good": "Good",
        "damaged": "Damaged",
        "missing": "Missing",
        "occupied": "Occupied",
    }


@pytest.mark.django_db
def test_page_uses_only_local_files_that_exist() -> None:
    client = logged_in("surveyor_green")
    html = client.get(URL, HTTP_HOST="127.0.0.1").content.decode()
    absolute = re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", html)
    # The class schemas name their JSON Schema dialect by URL (an identifier, never fetched).
    identifiers = {"https://json-schema.org/draft/2020-12/schema"}
    assert [u for u in absolute if u not in identifiers] == []
    refs = {r for r in REF_RE.findall(html) if r.endswith((".js", ".css"))}
    assert (
        "/static/survey/editor.js" in refs and "/static/vendor/leaflet-draw/leaflet.draw.js" in refs
    )
    for ref in sorted(refs):
        response = client.get(ref)
        assert response.status_code == 200, ref
        assert len(body_of(response)) > 100, ref


@pytest.mark.django_db
def test_service_worker_keeps_a_shell_that_is_served() -> None:
    client = logged_in("surveyor_water")
    response = client.get("/survey/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    config = json.loads(re.search(r"var CONFIG = (\{.*\});", source).group(1))
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    shell = config["shell"]
    assert shell[0] == "/survey/" and "/map/basemaps.json" in shell and "/api/v1/layers/" in shell
    page_refs = set(REF_RE.findall(client.get(URL).content.decode()))
    # Every script and style the page loads is in the shell (the page works offline).
    assert {r for r in page_refs if r.startswith("/static/")} <= set(shell) | {
        "/static/vendor/leaflet.markercluster/leaflet.markercluster.js"
    }
    for url in shell:
        answer = client.get(url)
        assert answer.status_code == 200, url
    # The worker's version follows the files it keeps.
    assert client.get("/survey/sw.js").content.decode() == source


def translated_template_strings() -> list[str]:
    text = TEMPLATE.read_text(encoding="utf-8")
    found = re.findall(r"""{% translate "([^"]+)" %}""", text)
    found += re.findall(r"""{% translate '([^']+)' %}""", text)
    return sorted(set(found))


# Words that are the same in both languages.
SAME_IN_BOTH = {"GNSS"}


def test_every_survey_string_is_translated_to_chinese() -> None:
    """A string of the editor (its scripts' texts and its template) that has no Chinese
    translation fails here, naming it."""
    with translation.override("en"):
        english = strings.survey_strings()
    with translation.override("zh-hans"):
        chinese = strings.survey_strings()
        missing = [k for k, v in chinese.items() if v == english[k] and v not in SAME_IN_BOTH]
        missing += [
            s
            for s in translated_template_strings()
            if translation.gettext(s) == s and s not in SAME_IN_BOTH
        ]
    assert missing == []
    assert chinese["savedOffline"] == "已保存在本设备，恢复网络连接后将自动发送。"
    assert len(translated_template_strings()) > 40
    # Placeholders survive translation.
    for key, value in english.items():
        assert sorted(re.findall(r"%\((\w+)\)s", value)) == sorted(
            re.findall(r"%\((\w+)\)s", chinese[key])
        ), key


# --- the NMEA parser, run by Node -------------------------------------------------------------


def nmea(body: str) -> str:
    checksum = 0
    for char in body:
        checksum ^= ord(char)
    return f"${body}*{checksum:02X}"


def dm(value: float, digits: int) -> str:
    whole = int(abs(value))
    return f"{whole:0{digits}d}{(abs(value) - whole) * 60:010.7f}"


def run_parser(script: str) -> Any:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (it comes with npm, which `make` needs)")
    program = (
        f"const N = require({json.dumps(str(NMEA_JS))});\nconsole.log(JSON.stringify(({script})));"
    )
    result = subprocess.run([node, "-e", program], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_nmea_gga_and_gst_parse_to_the_position_fix_and_accuracy(tmp_path: Path) -> None:
    lon, lat = 120.1359472, 30.2661234
    gga = nmea(f"GNGGA,023015.00,{dm(lat, 2)},N,{dm(lon, 3)},E,4,21,0.7,14.2,M,7.0,M,1.2,0001")
    gst = nmea("GNGST,023015.00,0.8,0.02,0.01,30.0,0.009,0.012,0.03")
    other_epoch = nmea("GNGST,023012.00,0.8,0.02,0.01,30.0,0.5,0.5,0.9")
    text = "\n".join(["junk line", other_epoch, gga, gst])
    parsed = run_parser(f"N.parse({json.dumps(text)})")
    g = parsed["gga"]
    assert (g["lon"], g["lat"]) == pytest.approx((lon, lat), abs=1e-9)
    assert (g["talker"], g["quality"], g["fix"], g["satellites"], g["hdop"]) == (
        "GN",
        4,
        "rtk_fixed",
        21,
        0.7,
    )
    assert g["valid"] is True and g["altitude"] == 14.2
    assert parsed["gst"]["accuracy"] == pytest.approx(0.015, abs=1e-12)  # sqrt(.009² + .012²)
    assert parsed["errors"] == [{"line": 1, "code": "not_nmea"}]

    # The GST of another epoch does not describe this position.
    alone = run_parser(f"N.parse({json.dumps(gga + chr(10) + other_epoch)})")
    assert alone["gst"] is None and alone["gga"]["satellites"] == 21


def test_nmea_hemispheres_checksums_and_fix_types() -> None:
    south_west = nmea("GPGGA,120000,3351.1234,S,07037.5000,W,1,07,1.5,500.0,M,,M,,")
    parsed = run_parser(f"N.parseSentence({json.dumps(south_west)})")
    assert parsed["lat"] == pytest.approx(-(33 + 51.1234 / 60), abs=1e-12)
    assert parsed["lon"] == pytest.approx(-(70 + 37.5 / 60), abs=1e-12)
    assert parsed["fix"] == "autonomous" and parsed["satellites"] == 7

    broken = south_west[:-2] + ("00" if not south_west.endswith("00") else "01")
    error = run_parser(
        f"(() => {{ try {{ N.parseSentence({json.dumps(broken)}); return null; }}"
        " catch (e) { return e.code; } })()"
    )
    assert error == "checksum"
    bad_minutes = nmea("GNGGA,120000,3075.0000,N,12010.0000,E,1,07,1.5,5.0,M,,M,,")
    assert run_parser(f"N.parse({json.dumps(bad_minutes)}).errors")[0]["code"] == "bad_coordinate"
    no_fix = nmea("GNGGA,120000,,,,,0,00,99.9,,M,,M,,")
    parsed = run_parser(f"N.parse({json.dumps(no_fix)}).gga")
    assert parsed["valid"] is False and parsed["fix"] == "none" and parsed["lat"] is None
    fixes = run_parser("[0,1,2,3,4,5,6,7,8,9,42].map(N.fixOf)")
    assert fixes == [
        "none",
        "autonomous",
        "dgps",
        "autonomous",
        "rtk_fixed",
        "rtk_float",
        "none",
        "none",
        "none",
        "dgps",
        "none",
    ]


def test_nmea_time_takes_the_date_of_the_reading() -> None:
    gga = {"time": {"h": 23, "m": 59, "s": 58.5}}
    # Read a few seconds after midnight UTC: the fix is from the day before.
    after_midnight = dt.datetime(2024, 6, 1, 0, 0, 3, tzinfo=dt.UTC).isoformat()
    got = run_parser(f"N.timeOf({json.dumps(gga)}, {json.dumps(after_midnight)})")
    assert got == "2024-05-31T23:59:58.500Z"
    same_day = dt.datetime(2024, 6, 1, 23, 59, 59, tzinfo=dt.UTC).isoformat()
    assert run_parser(f"N.timeOf({json.dumps(gga)}, {json.dumps(same_day)})") == (
        "2024-06-01T23:59:58.500Z"
    )


# --- where the editor opens ------------------------------------------------------------------


def _extent(points: list[list[float]]) -> list[float]:
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [min(lons), min(lats), max(lons), max(lats)]


@pytest.mark.django_db
def test_the_editor_opens_on_the_components_the_user_may_edit() -> None:
    from tests.components_helpers import Api, inside, manhole
    from tests.ogc_data import gas_cover

    admin = Api("district_admin")
    busy = [inside("330106003001", 1), inside("330106003001", 2)]
    alone = inside("330106001002", 1)
    for at in [*busy, alone]:
        assert admin.create(manhole("0101", at)).status_code == 201
    # not the water surveyor's: another class (a gas cover), and a retired cover
    assert admin.create(gas_cover(inside("330106004001", 1))).status_code == 201
    retired = admin.create(manhole("0101", inside("330106005001", 1))).json()["id"]
    Component.objects.filter(identifier=retired).update(currency="retired")

    html = logged_in("surveyor_water").get(URL).content.decode()
    work = page_config(html)["extra"]["work"]
    assert work["count"] == 3
    assert work["bounds"] == pytest.approx(_extent([*busy, alone]), abs=1e-7)
    assert work["focus"] == pytest.approx(_extent(busy), abs=1e-7)  # the busiest community
    assert work["point"] in [pytest.approx(p, abs=1e-7) for p in busy]
    # the map's first centre is that component (the page then fits the view to the screen)
    centre = json.loads(re.search(r"data-sc-map='([^']+)'", html).group(1))["center"]
    assert centre == pytest.approx([work["point"][1], work["point"][0]], abs=1e-7)

    # the green surveyor has none of these: the page frames their area instead
    green = page_config(logged_in("surveyor_green").get(URL).content.decode())["extra"]
    assert green["work"] is None
    district = AdminArea.objects.get(code="330106").boundary.extent
    assert green["areaBounds"] == pytest.approx(list(district), abs=1e-6)
