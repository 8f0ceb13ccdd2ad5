"""Photos of a request: the reporter by tracking code, staff who may change by id; the
component photos' checks (type by content), visible to whoever sees the request."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from community.matters.models import RequestPhoto
from tests.components_helpers import Api
from tests.test_matters_requests import submitted

pytestmark = pytest.mark.django_db


def jpeg(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    image = Image.new("RGB", (64, 48), color)
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (30, 15, 27.36), 3: "E", 4: (120, 9, 18.36)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def upload(api: Api, url: str, data: bytes, name: str = "photo.jpg") -> Any:
    return api.client.post(url, {"image": SimpleUploadedFile(name, data, "image/jpeg")})


def test_the_reporter_adds_a_photo_by_tracking_code_and_staff_see_it() -> None:
    made = submitted()
    base = f"/api/v1/requests/track/{made['tracking_code']}/"
    added = upload(Api(None), base + "photos/", jpeg())
    assert added.status_code == 201, added.content
    photo = RequestPhoto.objects.get(pk=added.json()["id"])
    assert photo.by_reporter and photo.exif_lat is not None and abs(photo.exif_lat - 30.2576) < 1e-3
    again = upload(Api(None), base + "photos/", jpeg())  # the same photo is kept once
    assert again.json()["id"] == photo.pk
    tracked = Api(None).get(base).json()
    assert [p["id"] for p in tracked["photos"]] == [photo.pk]
    image = Api(None).get(tracked["photos"][0]["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    detail = Api("community_worker").get(f"/api/v1/requests/{made['id']}/").json()
    assert [p["id"] for p in detail["photos"]] == [photo.pk]


def test_a_text_file_named_jpg_is_refused_naming_image() -> None:
    made = submitted()
    url = f"/api/v1/requests/track/{made['tracking_code']}/photos/"
    refused = upload(Api(None), url, b"not an image at all")
    assert refused.status_code == 400 and refused.json()["field"] == "image"
    assert not RequestPhoto.objects.filter(request_id=made["id"]).exists()


@pytest.mark.parametrize(
    ("actor", "status"),
    [("community_worker", 201), ("planner", 403), ("auditor", 403), (None, 403)],
)
def test_staff_who_may_change_add_photos_by_id(actor: str | None, status: int) -> None:
    made = submitted()
    response = upload(Api(actor), f"/api/v1/requests/{made['id']}/photos/", jpeg((1, 2, 3)))
    assert response.status_code == status, response.content
    assert RequestPhoto.objects.filter(request_id=made["id"]).count() == (status == 201)


def test_a_photo_of_a_hidden_request_is_404() -> None:
    made = submitted("0401")  # not public
    added = upload(Api(None), f"/api/v1/requests/track/{made['tracking_code']}/photos/", jpeg())
    assert added.status_code == 201
    url = f"/api/v1/requests/{made['id']}/photos/{added.json()['id']}/"
    assert Api(None).get(url).status_code == 404
    assert Api("community_worker").get(url).status_code == 200
