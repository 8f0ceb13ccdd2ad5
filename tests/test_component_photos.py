"""Photo upload: EXIF GPS and time extracted, limits enforced, access checked."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import ExifTags, Image

from component_catalog.models import ComponentPhoto
from tests.components_helpers import Api, manhole

pytestmark = pytest.mark.django_db


def jpeg_with_exif(
    lat=(30, 15, 27.36),
    lon=(120, 9, 18.36),
    when="2024:05:31 09:30:00",
    offset="+08:00",
    size=(64, 48),
):
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Test"
    if lat:
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: lat, 3: "E", 4: lon}
    exif[ExifTags.IFD.Exif] = {
        ExifTags.Base.DateTimeOriginal: when,
        **({ExifTags.Base.OffsetTimeOriginal: offset} if offset else {}),
    }
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture
def cover():
    water = Api("surveyor_water")
    response = water.create(manhole())
    return water, response.json()["id"]


def upload(api, ident, data, name="photo.jpg", content_type="image/jpeg"):
    return api.client.post(
        f"/api/v1/components/{ident}/photos/",
        {"image": SimpleUploadedFile(name, data, content_type=content_type), "caption": "现场照片"},
    )


def test_upload_extracts_exif_gps_and_time(cover):
    water, ident = cover
    response = upload(water, ident, jpeg_with_exif())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["exif_position"]["lat"] == pytest.approx(30 + 15 / 60 + 27.36 / 3600, abs=1e-9)
    assert body["exif_position"]["lon"] == pytest.approx(120 + 9 / 60 + 18.36 / 3600, abs=1e-9)
    assert body["taken_at"] == "2024-05-31T09:30:00+08:00"
    assert (body["width"], body["height"]) == (64, 48)
    image = water.get(body["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    # listed, and the same photo twice is kept once
    assert upload(water, ident, jpeg_with_exif()).json()["id"] == body["id"]
    assert len(water.get(f"/api/v1/components/{ident}/photos/").json()) == 1


def test_time_without_offset_is_local_and_missing_gps_is_none(cover):
    water, ident = cover
    body = upload(water, ident, jpeg_with_exif(lat=None, offset=None)).json()
    assert body["exif_position"] is None
    assert body["taken_at"] == "2024-05-31T09:30:00+08:00"


def test_a_renamed_text_file_is_refused(cover):
    water, ident = cover
    response = upload(water, ident, b"<html>not an image</html>", name="x.jpg")
    assert response.status_code == 400 and response.json()["field"] == "image"
    gif = io.BytesIO()
    Image.new("P", (8, 8)).save(gif, "GIF")
    response = upload(water, ident, gif.getvalue(), name="x.gif", content_type="image/gif")
    assert response.status_code == 400 and "GIF" in response.json()["detail"]
    assert not ComponentPhoto.objects.exists()


@override_settings(PHOTO_MAX_BYTES=2000)
def test_size_limit(cover):
    water, ident = cover
    big = jpeg_with_exif(size=(800, 600))
    assert len(big) > 2000
    response = upload(water, ident, big)
    assert response.status_code == 400 and response.json()["field"] == "image"
    assert not ComponentPhoto.objects.exists()


def test_only_those_who_may_change_upload_and_only_those_who_see_download(cover):
    water, ident = cover
    photo = upload(water, ident, jpeg_with_exif()).json()
    planner = Api("planner")
    assert planner.get(photo["url"]).status_code == 200
    assert upload(planner, ident, jpeg_with_exif(when="2024:06:01 10:00:00")).status_code == 403
    anonymous = Api(None)
    assert anonymous.get(photo["url"]).status_code == 404  # manholes are not public
    green = Api("surveyor_green")
    assert upload(green, ident, jpeg_with_exif()).status_code == 404
