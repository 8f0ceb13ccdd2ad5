"""Importer readers and upload unpacking, on the real files in ../shared/data and on hostile
files made here. No database needed."""

from __future__ import annotations

import math
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from openpyxl import Workbook
from pyproj import Geod, Transformer

from importers.files import unpack
from importers.readers import (
    ImportFileError,
    ReadOptions,
    SourceInfo,
    crs_hint,
    open_reader,
    supported_extensions,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CITIES = DATA / "china_cities_shp_gbk_nocpg"
TAIHU = DATA / "taihu_basin_shp_gbk_ldid936"
HZ_UTF8 = DATA / "hangzhou_districts_shp_utf8_nocpg"
BIKES = DATA / "hangzhou_public_bike_stations_bd09" / "hangzhou_bike_stations_bd09.csv"
ARTESIA = DATA / "la_artesia_street_trees"
HZ_ADMIN = DATA / "hangzhou_admin"
XIACHENG = DATA / "hangzhou_xiacheng_community"

needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared real-data folder not present at {DATA}"
)


def read_all(path: Path, **options: Any) -> tuple[SourceInfo, list[Any]]:
    """info, and rows as (row number, geometry, {column: value}, error or None)."""
    reader = open_reader(path, ReadOptions(**options))
    info = reader.info()
    rows = []
    for batch in reader.batches(size=100):
        for i, number in enumerate(batch.row_numbers):
            values = {name: column[i] for name, column in batch.columns.items()}
            rows.append((int(number), batch.geometries[i], values, batch.errors.get(int(number))))
    return info, rows


def copy_set(source: Path, stem: str, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in source.parent.glob(stem + ".*"):
        shutil.copy(part, target / part.name)
    return target / (stem + ".shp")


# --- Shapefile encodings -------------------------------------------------------------------


@needs_data
def test_gbk_shapefile_without_cpg_is_detected_and_has_no_crs() -> None:
    info, rows = read_all(CITIES / "res2_4m.shp")
    assert (info.encoding, info.encoding_source) == ("GB18030", "detected")
    assert (info.crs, info.crs_source) == (None, "none")
    assert info.count == len(rows) == 331
    hangzhou = [r for r in rows if r[2]["NAME"] == "杭州"]
    assert len(hangzhou) == 1
    number, point, values, error = hangzhou[0]
    assert number == 85  # FID 84: rows count from 1
    assert values["ADCODE99"] == 330101 and error is None
    assert point.x == pytest.approx(120.159248, abs=1e-6)
    assert point.y == pytest.approx(30.265995, abs=1e-6)
    hint = crs_hint(info)
    assert "--crs EPSG:4490" in hint and "--crs BD09" in hint and "GCJ02" in hint


@needs_data
def test_gbk_shapefile_with_explicit_crs_and_fids() -> None:
    reader = open_reader(CITIES / "res2_4m.shp", ReadOptions(crs="epsg:4490"))
    info = reader.info()
    assert (info.crs, info.crs_source) == ("EPSG:4490", "option")
    batch = next(reader.batches(size=100))
    assert batch.fids is not None and int(batch.fids[84]) == 84
    assert batch.columns["NAME"][84] == "杭州"


@needs_data
def test_gbk_shapefile_with_gbk_cpg(tmp_path: Path) -> None:
    shp = copy_set(CITIES / "res2_4m.shp", "res2_4m", tmp_path)
    (tmp_path / "res2_4m.cpg").write_text("GBK")
    info, rows = read_all(shp)
    assert info.encoding_source == "cpg" and info.encoding == "GBK"
    assert "杭州" in {r[2]["NAME"] for r in rows}


@needs_data
def test_utf8_cpg_over_gbk_bytes_is_refused_not_mojibake(tmp_path: Path) -> None:
    shp = copy_set(CITIES / "res2_4m.shp", "res2_4m", tmp_path)
    (tmp_path / "res2_4m.cpg").write_text("UTF-8\n")
    with pytest.raises(ImportFileError) as caught:
        open_reader(shp).info()
    message = str(caught.value)
    assert "says UTF-8 but the attribute table is not UTF-8" in message
    assert "looks like GB18030" in message and "encoding=GB18030" in message
    assert caught.value.field == "encoding"
    # the explicit option overrides the wrong .cpg
    info, rows = read_all(shp, encoding="GB18030")
    assert info.encoding_source == "option"
    assert "杭州" in {r[2]["NAME"] for r in rows}


@needs_data
def test_wrong_encoding_option_is_refused() -> None:
    with pytest.raises(ImportFileError, match="encoding option says UTF-8"):
        open_reader(CITIES / "res2_4m.shp", ReadOptions(encoding="utf8")).info()
    with pytest.raises(ImportFileError, match="Unknown encoding"):
        open_reader(CITIES / "res2_4m.shp", ReadOptions(encoding="klingon")).info()


@needs_data
def test_ldid_byte_decodes_taihu() -> None:
    assert (TAIHU / "taihu.dbf").read_bytes()[29] == 0x4D
    info, rows = read_all(TAIHU / "taihu.shp")
    assert info.encoding_source == "ldid" and info.encoding == "GBK"
    names = {r[2]["ENNM"] for r in rows}
    assert {"太湖区", "浙西区", "湖西区", "武澄锡虞区"} <= names
    assert len(rows) == 7 and all(r[1].geom_type in ("Polygon", "MultiPolygon") for r in rows)


@needs_data
def test_utf8_shapefile_with_chinese_file_name_and_no_cpg() -> None:
    info, rows = read_all(HZ_UTF8 / "杭州市.shp")
    assert (info.encoding, info.encoding_source) == ("UTF-8", "detected")
    assert info.layer == "杭州市" and info.crs is None
    names = {r[2]["name"] for r in rows}
    assert {"西湖区", "上城区", "余杭区"} <= names and len(rows) == 13


@needs_data
def test_zipped_shapefile_set_with_chinese_names(tmp_path: Path) -> None:
    upload = tmp_path / "upload.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in HZ_UTF8.glob("杭州市.*"):
            zf.write(part, f"districts/{part.name}")
        zf.writestr("__MACOSX/districts/._杭州市.shp", b"junk")
        zf.writestr("districts/readme.txt", "about")
    main = unpack(upload, tmp_path / "work")
    assert main.name == "杭州市.shp" and main.is_relative_to(tmp_path / "work")
    info, rows = read_all(main)
    assert "西湖区" in {r[2]["name"] for r in rows}


# --- CRS from files ------------------------------------------------------------------------


@needs_data
def test_artesia_shapefile_and_geojson_crs_and_positions() -> None:
    shp_info, shp_rows = read_all(ARTESIA / "artesia.shp")
    assert (shp_info.crs, shp_info.crs_source) == ("EPSG:2229", "prj")
    assert shp_info.encoding_source == "cpg"
    assert len(shp_rows) == 2950
    json_info, json_rows = read_all(ARTESIA / "artesia.geojson")
    assert (json_info.crs, json_info.crs_source) == ("EPSG:4269", "metadata")
    assert len(json_rows) == 2950
    # the same trees: feet in the Shapefile, NAD83 degrees in the GeoJSON
    by_id = {r[2]["INVENTORYI"]: r[1] for r in json_rows}
    to_nad83 = Transformer.from_crs("EPSG:2229", "EPSG:4269", always_xy=True)
    geod = Geod(ellps="GRS80")
    for _, point, values, _ in shp_rows[::300]:
        lon, lat = to_nad83.transform(point.x, point.y)
        other = by_id[values["INVENTORYI"]]
        assert geod.inv(lon, lat, other.x, other.y)[2] < 0.5


@needs_data
def test_esri_wgs84_prj_means_epsg_4326(tmp_path: Path) -> None:
    shp = copy_set(TAIHU / "taihu.shp", "taihu", tmp_path)
    (tmp_path / "taihu.prj").write_text(
        'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,'
        '298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
    )
    info = open_reader(shp).info()
    assert (info.crs, info.crs_source) == ("EPSG:4326", "prj")
    (tmp_path / "taihu.prj").write_text("this is not a WKT")
    info = open_reader(shp).info()
    assert info.crs is None and "taihu.prj" in crs_hint(info)


@needs_data
def test_geojson_without_crs_member_is_crs84() -> None:
    info, rows = read_all(HZ_ADMIN / "330100_full.json")
    assert (info.crs, info.crs_source) == ("CRS84", "format")
    assert len(rows) == 13 and rows[4][2]["name"] == "西湖区"
    assert rows[0][2]["center"] == [120.171465, 30.250236]  # JSON arrays stay lists


@needs_data
def test_topojson_keeps_null_geometry_rows() -> None:
    info, rows = read_all(HZ_ADMIN / "330100_mca.topojson")
    assert info.format == "TopoJSON" and info.layer == "330100"
    assert (info.crs, info.crs_source) == ("CRS84", "metadata")
    assert len(rows) == info.count == 27
    assert [r[0] for r in rows if r[1] is None] == [7, 11]
    xihu = next(r for r in rows if r[2]["NAME"] == "西湖区")
    city = next(r for r in rows if r[2]["NAME"] == "杭州市")
    assert xihu[1].geom_type == "Polygon" and xihu[1].is_valid
    # a cartographic sheet (urban districts drawn ~15 km off their true place), but
    # consistent: the district lies inside the city outline of the same sheet
    assert city[1].buffer(0.01).contains(xihu[1])
    assert xihu[2]["QUHUADAIMA"] == "330106"


@needs_data
def test_3d_points_become_2d_but_keep_rows() -> None:
    info, rows = read_all(XIACHENG / "xiacheng_manhole_covers.geojson")
    assert len(rows) == 3
    assert not any(shapely.has_z(r[1]) for r in rows)
    assert rows[0][2]["lx"] == "下水道"


# --- CSV -----------------------------------------------------------------------------------


@needs_data
def test_bd09_bike_csv() -> None:
    info, rows = read_all(BIKES)
    assert info.format == "CSV" and len(rows) == 1732
    assert info.geometry_fields == ["lng_bd09", "lat_bd09"]
    assert (info.encoding, info.encoding_source) == ("UTF-8", "detected")
    assert info.crs is None and info.crs_suggestion == "BD09"
    assert "--crs BD09 if that is right" in crs_hint(info)
    assert info.header_rows == 1
    assert not any(r[3] for r in rows)  # no unreadable row: range checks are the pipeline's
    lines = BIKES.read_text(encoding="utf-8").splitlines()
    expected = next(i for i, line in enumerate(lines) if line.startswith("4074,"))
    number, point, values, _ = next(r for r in rows if r[2]["station_id"] == "4074")
    assert number == expected  # header is line 0 of the list: data row n is list index n
    assert point.x == pytest.approx(1120.170269)
    assert values["lng_bd09"] == "1120.170269"
    typo = next(r for r in rows if r[2]["station_id"] == "3279")
    assert typo[1].x == pytest.approx(1120.231779)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_bad_numbers_are_row_errors_naming_the_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "points.csv",
        "id,name,经度,纬度\n"
        "1,a,120.1,30.2\n"
        "2,b,NaN,30.2\n"
        "\n"
        "4,d,120.1,inf\n"
        "5,e,12O.1,30.2\n"
        "6,f,,\n"
        '7,"g, with comma",120.3,30.4,extra\n'
        "8,h,120.5,30.6\n",
    )
    info, rows = read_all(path)
    assert info.geometry_fields == ["经度", "纬度"]
    errors = {r[0]: r[3] for r in rows if r[3]}
    assert errors[2] == ("经度", "not a finite number: 'NaN'")
    assert errors[4] == ("纬度", "not a finite number: 'inf'")
    assert errors[5] == ("经度", "not a number: '12O.1'")
    assert errors[6] == ("经度", "empty; 纬度: empty")
    assert errors[7] == ("", "has 5 values but the header has 4 columns")
    assert [r[0] for r in rows] == [1, 2, 4, 5, 6, 7, 8]  # the blank line 3 keeps its number
    good = {r[0]: r[1] for r in rows}
    assert good[1].equals(shapely.Point(120.1, 30.2)) and good[8].x == 120.5
    assert good[2] is None and good[6] is None


def test_csv_gb18030_bom_and_semicolons(tmp_path: Path) -> None:
    gbk = write(tmp_path / "gbk.csv", "名称,lng,lat\n西湖,120.1,30.2\n", "gb18030")
    info, rows = read_all(gbk)
    assert (info.encoding, info.encoding_source) == ("GB18030", "detected")
    assert rows[0][2]["名称"] == "西湖"
    bom = write(tmp_path / "bom.csv", "\ufeffname;Longitude;Latitude\nx;120,5;30\n")
    info, rows = read_all(bom, encoding=None)
    assert info.fields == ["name", "Longitude", "Latitude"]
    assert rows[0][3] == ("Longitude", "not a number: '120,5'")


def test_csv_wkt_column_and_explicit_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wkt.csv",
        'id,WKT\n1,"POLYGON Z ((0 0 1, 1 0 1, 1 1 1, 0 0 1))"\n2,"POINT (1 2)"\n3,nonsense\n'
        '4,"POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"\n5,"POINT EMPTY"\n',
    )
    info, rows = read_all(path)
    assert info.geometry_fields == ["WKT"]
    assert rows[0][1].geom_type == "Polygon" and not shapely.has_z(rows[0][1])
    assert rows[1][1].geom_type == "Point"
    assert rows[2][1] is None and rows[2][3][0] == "WKT"
    assert not rows[3][1].is_valid  # invalid geometries come as they are
    assert rows[4][1].is_empty
    two = write(tmp_path / "two.csv", "lng_bd09,lat_bd09,lng_gcj02,lat_gcj02\n1,2,3,4\n")
    with pytest.raises(ImportFileError, match="Several columns could hold the longitude"):
        open_reader(two).info()
    info, rows = read_all(two, lon_field="lng_gcj02", lat_field="lat_gcj02")
    assert rows[0][1].equals(shapely.Point(3, 4))
    with pytest.raises(ImportFileError, match="no column 'nope'"):
        open_reader(two, ReadOptions(lon_field="nope", lat_field="lat_gcj02")).info()
    none = write(tmp_path / "none.csv", "a,b\n1,2\n")
    with pytest.raises(ImportFileError, match="No coordinate columns found"):
        open_reader(none).info()


# --- GeoPackage, KML, XLSX made here -------------------------------------------------------


def _write_gpkg(path: Path, layer: str, names: list[str], *, append: bool = False) -> None:
    points = [shapely.Point(120.15 + i / 100, 30.27) for i in range(len(names))]
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array(points, dtype=object)),
        [np.array(names, dtype=object)],
        ["name"],
        layer=layer,
        driver="GPKG",
        crs="EPSG:4490",
        geometry_type="Point",
        append=append,
    )


def test_geopackage_crs_from_metadata_and_layer_choice(tmp_path: Path) -> None:
    path = tmp_path / "parts.gpkg"
    _write_gpkg(path, "manholes", ["井盖1", "井盖2", "井盖3"])
    info, rows = read_all(path)
    assert (info.crs, info.crs_source) == ("EPSG:4490", "metadata")
    assert info.layer == "manholes" and info.count == 3
    assert [r[2]["name"] for r in rows] == ["井盖1", "井盖2", "井盖3"]
    assert rows[1][1].equals_exact(shapely.Point(120.16, 30.27), 1e-9)
    _write_gpkg(path, "toilets", ["公厕"], append=True)
    with pytest.raises(ImportFileError, match="has 2 layers: 'manholes', 'toilets'"):
        open_reader(path).info()
    info, rows = read_all(path, layer="toilets")
    assert [r[2]["name"] for r in rows] == ["公厕"]
    with pytest.raises(ImportFileError, match="no layer 'trees'"):
        open_reader(path, ReadOptions(layer="trees")).info()


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>survey</name>
<Folder><name>covers</name>
<Placemark><name>井盖 A</name><ExtendedData><Data name="kind"><value>water</value></Data>
</ExtendedData><Point><coordinates>120.1550,30.2741,12.5</coordinates></Point></Placemark>
<Placemark><name>路线</name><LineString><coordinates>120.15,30.27,0 120.16,30.28,0
</coordinates></LineString></Placemark>
</Folder></Document></kml>
"""


def test_kml_and_kmz_are_crs84_and_2d(tmp_path: Path) -> None:
    path = write(tmp_path / "survey.kml", KML)
    info, rows = read_all(path)
    assert (info.crs, info.crs_source) == ("CRS84", "format")
    assert len(rows) == 2
    assert rows[0][2]["Name"] == "井盖 A" and rows[0][2]["kind"] == "water"
    assert rows[0][1].equals(shapely.Point(120.155, 30.2741))  # altitude dropped
    assert rows[1][1].geom_type == "LineString"  # mixed types come as they are
    kmz = tmp_path / "survey.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", KML)
        zf.writestr("files/icon.png", b"\x89PNG....")
    main = unpack(kmz, tmp_path / "work")
    assert main.name == "doc.kml"
    assert len(read_all(main)[1]) == 2


def test_xlsx_lonlat_with_bad_cell(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "设施"
    sheet.append(["编号", "名称", "经度", "纬度"])
    sheet.append(["A1", "公厕", 120.155, 30.274])
    sheet.append(["A2", "停车场", "120.16", "30.28"])
    sheet.append(["A3", "井盖", "东经120度", 30.28])
    sheet.append([None, None, None, None])
    sheet.append(["A5", "长椅", 120.17, "NaN"])
    book.create_sheet("说明").append(["notes"])
    path = tmp_path / "facilities.xlsx"
    book.save(path)
    assert unpack(path, tmp_path / "work") == path
    info, rows = read_all(path)
    assert info.format == "XLSX" and info.layer == "设施" and info.header_rows == 1
    assert info.geometry_fields == ["经度", "纬度"]
    assert any("说明" in note for note in info.notes)
    assert [r[0] for r in rows] == [1, 2, 3, 5]  # Excel rows 2, 3, 4, 6
    assert rows[0][1].equals(shapely.Point(120.155, 30.274))
    assert rows[1][1].equals(shapely.Point(120.16, 30.28))
    assert rows[2][3] == ("经度", "not a number: '东经120度'") and rows[2][1] is None
    assert rows[3][3] == ("纬度", "not a finite number: 'NaN'")
    info, rows = read_all(path, layer="说明", lon_field="notes", lat_field="notes")
    assert rows == []


# --- geometry edge cases -------------------------------------------------------------------


def test_geojson_empty_null_invalid_mixed_and_projected(tmp_path: Path) -> None:
    path = write(
        tmp_path / "edge.geojson",
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"n":1},"geometry":{"type":"Point","coordinates":[1,2]}},'
        '{"type":"Feature","properties":{"n":2},"geometry":null},'
        '{"type":"Feature","properties":{"n":3},"geometry":'
        '{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}},'
        '{"type":"Feature","properties":{"n":4},"geometry":'
        '{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}},'
        '{"type":"Feature","properties":{"n":5},"geometry":{"type":"LineString","coordinates":[]}}'
        "]}",
    )
    info, rows = read_all(path)
    assert info.crs == "CRS84"
    assert [r[2]["n"] for r in rows] == [1, 2, 3, 4, 5]
    geometries = [r[1] for r in rows]
    assert geometries[1] is None
    assert not geometries[2].is_valid
    assert [g.geom_type for g in geometries if g is not None] == [
        "Point",
        "Polygon",
        "MultiPoint",
        "LineString",
    ]
    assert geometries[4].is_empty
    projected = write(
        tmp_path / "feet.geojson",
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Point","coordinates":[6538172.7,1774550.9]}}]}',
    )
    info = open_reader(projected).info()
    assert info.crs is None and "not longitude/latitude" in crs_hint(info)
    assert open_reader(projected, ReadOptions(crs="EPSG:2229")).info().crs == "EPSG:2229"
    with pytest.raises(ImportFileError, match="Unknown CRS") as caught:
        open_reader(projected, ReadOptions(crs="EPSG:999999")).info()
    assert caught.value.field == "crs"


# --- hostile uploads -----------------------------------------------------------------------


def test_empty_file_is_refused(tmp_path: Path) -> None:
    for name in ("empty.csv", "empty.zip", "empty.geojson"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(ImportFileError, match="is empty"):
            unpack(tmp_path / name, tmp_path / "work")


def test_zip_with_path_traversal_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "evil.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        zf.writestr("data.csv", "lon,lat\n1,2\n")
        zf.writestr("../evil.txt", "owned")
    work = tmp_path / "a" / "work"
    with pytest.raises(ImportFileError, match="path traversal") as caught:
        unpack(upload, work)
    assert "../evil.txt" in str(caught.value)
    assert not (tmp_path / "a" / "evil.txt").exists() and not list(work.rglob("*.csv"))
    absolute = tmp_path / "abs.zip"
    with zipfile.ZipFile(absolute, "w") as zf:
        zf.writestr("/etc/evil.csv", "lon,lat\n1,2\n")
    with pytest.raises(ImportFileError, match="absolute path"):
        unpack(absolute, work)


def test_zip_with_symlink_or_nested_zip_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("data.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ImportFileError, match="symbolic link"):
        unpack(link, tmp_path / "work")
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as zf:
        zf.writestr("inner.zip", b"PK\x05\x06" + b"\x00" * 18)
    with pytest.raises(ImportFileError, match="nested archives"):
        unpack(nested, tmp_path / "work")


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    zeros = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("data.csv", "w") as member,  # streamed: 200 MB never held in memory
    ):
        for _ in range(200):
            member.write(zeros)
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(ImportFileError, match="zip bomb"):
        unpack(bomb, tmp_path / "work")
    with pytest.raises(ImportFileError, match="would unpack to 200.0 MB; the limit is 50.0 MB"):
        unpack(bomb, tmp_path / "work", max_bytes=50 * 1024 * 1024)
    assert not list((tmp_path / "work").rglob("*.csv"))


def test_upload_limits(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "lon,lat\n1,2\n")
    with pytest.raises(ImportFileError, match="the limit is 10 bytes"):
        unpack(path, tmp_path / "work", max_bytes=10)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(5):
            zf.writestr(f"f{i}.csv", "lon,lat\n1,2\n")
    with pytest.raises(ImportFileError, match="holds 5 files; the limit is 2"):
        unpack(many, tmp_path / "work", max_files=2)
    with pytest.raises(ImportFileError, match="holds 5 data files"):
        unpack(many, tmp_path / "work2")
    assert unpack(many, tmp_path / "work3", member="f3.csv").name == "f3.csv"


@needs_data
def test_truncated_or_incomplete_shapefile_is_refused(tmp_path: Path) -> None:
    shp = copy_set(CITIES / "res2_4m.shp", "res2_4m", tmp_path / "cut")
    data = shp.read_bytes()
    shp.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFileError, match="truncated"):
        unpack(shp, tmp_path / "work")
    with pytest.raises(ImportFileError, match="truncated"):
        open_reader(shp).info()
    dbf_cut = copy_set(CITIES / "res2_4m.shp", "res2_4m", tmp_path / "dbf")
    dbf = dbf_cut.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:20000])
    with pytest.raises(ImportFileError, match="res2_4m.dbf is truncated"):
        unpack(dbf_cut, tmp_path / "work")
    incomplete = copy_set(CITIES / "res2_4m.shp", "res2_4m", tmp_path / "nodbf")
    incomplete.with_suffix(".dbf").unlink()
    with pytest.raises(ImportFileError, match=r"incomplete: \.dbf missing"):
        unpack(incomplete, tmp_path / "work")


def test_content_that_contradicts_the_extension(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="is not a Shapefile .shp"):
        unpack(write(tmp_path / "fake.shp", "hello"), tmp_path / "work")
    with pytest.raises(ImportFileError, match="is not an Excel .xlsx workbook"):
        unpack(write(tmp_path / "fake.xlsx", "a,b\n1,2\n"), tmp_path / "work")
    ole = tmp_path / "old.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(ImportFileError, match=r"old-format Excel \(\.xls\)"):
        unpack(ole, tmp_path / "work")
    with pytest.raises(ImportFileError, match="is not a GeoPackage"):
        unpack(write(tmp_path / "fake.gpkg", "{}"), tmp_path / "work")
    zipped = tmp_path / "fake.geojson"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("x.txt", "x")
    with pytest.raises(ImportFileError, match="it is a zip archive"):
        unpack(zipped, tmp_path / "work")
    binary = tmp_path / "fake.csv"
    binary.write_bytes(b"lon,lat\x00\x01\x02")
    with pytest.raises(ImportFileError, match="is not CSV text"):
        unpack(binary, tmp_path / "work")


def test_unsupported_extension_lists_supported_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "points.txt", "lon,lat\n1,2\n")
    with pytest.raises(ImportFileError) as caught:
        unpack(path, tmp_path / "work")
    message = str(caught.value)
    assert "Unsupported file type .txt" in message
    for extension in (".shp", ".gpkg", ".geojson", ".topojson", ".csv", ".kml", ".xlsx", ".zip"):
        assert extension in message
    assert set(supported_extensions()) >= {".shp", ".gpkg", ".geojson", ".json", ".csv"}
    with pytest.raises(ImportFileError, match="Unsupported file type .txt"):
        open_reader(path)
    with pytest.raises(ImportFileError, match="save it as .xlsx"):
        unpack(write(tmp_path / "old.xls", "x"), tmp_path / "work")


def test_json_topology_is_read_as_topojson(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.json",
        '{"type":"Topology","objects":{"pts":{"type":"GeometryCollection","geometries":['
        '{"type":"Point","coordinates":[120.1,30.2],"id":7,"properties":{"n":"a"}},'
        '{"type":null,"properties":{"n":"b"}},'
        '{"type":"LineString","arcs":[0],"properties":{"n":"c"}},'
        '{"type":"LineString","arcs":[5],"properties":{"n":"d"}}]}},'
        '"arcs":[[[120,30],[120.5,30.5]]]}',
    )
    info, rows = read_all(path)
    assert info.format == "TopoJSON" and info.fields == ["id", "n"]
    assert (info.crs, info.crs_source) == ("CRS84", "format")
    assert rows[0][2] == {"id": 7, "n": "a"} and rows[0][1].equals(shapely.Point(120.1, 30.2))
    assert rows[1][1] is None and rows[1][3] is None
    assert rows[2][1].equals(shapely.LineString([(120, 30), (120.5, 30.5)]))
    assert rows[3][1] is None and rows[3][3][0] == "geometry"
    assert math.isclose(rows[2][1].length, math.hypot(0.5, 0.5))


# --- encoding helpers ----------------------------------------------------------------------


def test_cpg_and_ldid_names() -> None:
    from importers.readers import _encoding as enc

    assert enc.from_cpg("UTF-8\r\n") == enc.from_cpg("utf8") == enc.from_cpg("65001") == "UTF-8"
    assert enc.from_cpg("936") == enc.from_cpg("CP936") == enc.from_cpg("GB2312") == "GBK"
    assert enc.from_cpg("GB18030") == "GB18030"
    assert enc.from_cpg("ANSI 1252") == enc.from_cpg("1252") == "CP1252"
    assert enc.from_cpg("88591") == enc.from_cpg("8859-1") == "ISO-8859-1"
    assert enc.from_cpg("Big5") == "BIG5"
    assert enc.from_cpg("ANSI") is None and enc.from_cpg("") is None
    with pytest.raises(LookupError):
        enc.from_cpg("klingon")
    assert enc.from_ldid(0x4D) == enc.from_ldid(0x7A) == "GBK"
    assert enc.from_ldid(0x4F) == enc.from_ldid(0x78) == "BIG5"
    assert enc.from_ldid(0x57) is None and enc.from_ldid(0) is None


def _block(*values: bytes) -> np.ndarray:
    width = max(len(v) for v in values)
    return np.frombuffer(b"".join(v.ljust(width) for v in values), dtype=np.uint8).reshape(
        len(values), width
    )


def test_detection_between_utf8_and_gb18030() -> None:
    from importers.readers import _encoding as enc

    utf8 = "西湖区".encode()
    truncated = utf8[:-1]  # a fixed-width DBF field may cut the last character
    check = enc.check([_block(utf8, truncated)], [enc.UTF8, enc.GB18030])
    assert enc.detect(check) == "UTF-8" and check.non_ascii == 2
    gbk = "西湖区".encode("gbk")
    check = enc.check([_block(gbk, "湖州".encode("gbk"), gbk[:-1])], [enc.UTF8, enc.GB18030])
    assert enc.detect(check) == "GB18030" and check.failures["UTF-8"] == gbk
    neither = enc.check([_block(b"\x80\x80\xff")], [enc.UTF8, enc.GB18030])
    assert enc.detect(neither) is None


@needs_data
def test_ldid_0x57_and_ascii_only_tables_are_detected(tmp_path: Path) -> None:
    shp = copy_set(TAIHU / "taihu.shp", "taihu", tmp_path / "ansi")
    dbf = bytearray(shp.with_suffix(".dbf").read_bytes())
    dbf[29] = 0x57
    shp.with_suffix(".dbf").write_bytes(bytes(dbf))
    info, rows = read_all(shp)
    assert (info.encoding, info.encoding_source) == ("GB18030", "detected")
    assert any("0x57" in note for note in info.notes)
    assert "太湖区" in {r[2]["ENNM"] for r in rows}
    ascii_shp = tmp_path / "ascii" / "plain.shp"
    ascii_shp.parent.mkdir()
    pyogrio.raw.write(
        ascii_shp,
        shapely.to_wkb(np.array([shapely.Point(1, 2)], dtype=object)),
        [np.array(["plain"], dtype=object)],
        ["name"],
        driver="ESRI Shapefile",
        geometry_type="Point",
        crs="EPSG:4490",
    )
    ascii_shp.with_suffix(".cpg").unlink(missing_ok=True)
    info, rows = read_all(ascii_shp)
    assert (info.encoding, info.encoding_source) == ("UTF-8", "detected")
    assert (info.crs, info.crs_source) == ("EPSG:4490", "prj")
    assert rows[0][2]["name"] == "plain"


def test_zip_member_names_in_gbk_without_utf8_flag(tmp_path: Path) -> None:
    """Windows zip tools write GBK names without the zip's UTF-8 flag."""
    name = "杭州".encode("gbk")  # 4 bytes, like the placeholder below
    upload = tmp_path / "windows.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        zf.writestr("zzzz.csv", "名称,lng,lat\n西湖,120.1,30.2\n".encode())
    upload.write_bytes(upload.read_bytes().replace(b"zzzz.csv", name + b".csv"))
    main = unpack(upload, tmp_path / "work")
    assert main.name == "杭州.csv"
    assert read_all(main)[1][0][2]["名称"] == "西湖"
