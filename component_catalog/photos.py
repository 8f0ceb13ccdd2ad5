"""Component photos: upload with limits, type check by content (not by name or header),
EXIF GPS position and capture time extracted."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, UnidentifiedImageError

from component_catalog.models import Component, ComponentPhoto
from component_catalog.services import EditContext, get_for_edit
from gis_app import audit
from gis_app.errors import InvalidInput
from gis_app.roles import Action

# Pillow's format name -> (file extension, content type)
ALLOWED_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
MAX_PIXELS = 60_000_000  # a 60-megapixel phone photo; larger is refused (decompression bombs)


def _rational(value: Any) -> float:
    return float(value)


def _dms(values: Any, ref: str, positive: str) -> float | None:
    try:
        degrees, minutes, seconds = (_rational(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(result):
        return None
    return result if ref.upper() == positive else -result


def exif_position_and_time(
    image: Image.Image,
) -> tuple[float | None, float | None, dt.datetime | None]:
    """(lon, lat, taken_at) from EXIF, each None when absent or unreadable. A capture time
    without an offset is taken as the platform's time zone (phones here run on +08:00)."""
    exif = image.getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lon = lat = None
    if gps:
        lat = _dms(gps.get(2), str(gps.get(1, "N")), "N")
        lon = _dms(gps.get(4), str(gps.get(3, "E")), "E")
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lon = lat = None
    taken = None
    details = exif.get_ifd(ExifTags.IFD.Exif)
    raw = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if isinstance(raw, str):
        try:
            taken = dt.datetime.strptime(raw.strip(), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            taken = None
    if taken is not None:
        offset = details.get(ExifTags.Base.OffsetTimeOriginal)
        try:
            zone: dt.tzinfo = (
                dt.datetime.strptime(offset, "%z").tzinfo if offset else None
            ) or zoneinfo.ZoneInfo(settings.TIME_ZONE)
        except ValueError:
            zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        taken = taken.replace(tzinfo=zone)
    return lon, lat, taken


def read_image(upload: UploadedFile) -> tuple[bytes, Image.Image, str]:
    """The upload's bytes and decoded image, or InvalidInput naming the problem."""
    limit = settings.PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise InvalidInput(
            _("The photo is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"size": upload.size / 1e6, "limit": limit / 1e6},
            field="image",
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(_("The photo is larger than the limit."), field="image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise InvalidInput(_("The photo has too many pixels."), field="image")
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput(
            _("The file is not a readable JPEG, PNG or WebP image."), field="image"
        ) from None
    if image.format not in ALLOWED_FORMATS:
        raise InvalidInput(
            _("Photos must be JPEG, PNG or WebP, not %(format)s.") % {"format": image.format},
            field="image",
        )
    return data, image, image.format


@dataclass(frozen=True)
class CheckedPhoto:
    """An uploaded photo that passed :func:`read_image`: its bytes, its file name, and the
    fields every photo model shares (``sha256``, format, size, EXIF position and time)."""

    data: bytes
    sha256: str
    fields: dict[str, Any]

    @property
    def file_name(self) -> str:
        return f"{self.sha256[:16]}.{self.fields['extension']}"

    def save_into(self, photo: Any) -> None:
        """Store the bytes in ``photo.image`` (the row itself is saved by the caller)."""
        photo.image.save(self.file_name, ContentFile(self.data), save=False)


def check_photo(upload: Any) -> CheckedPhoto:
    """The upload (multipart field ``image``) read and checked, ready for a photo row."""
    if upload is None:
        raise InvalidInput(_("Send the photo as multipart form field 'image'."), field="image")
    data, image, fmt = read_image(upload)
    lon, lat, taken = exif_position_and_time(image)
    digest = hashlib.sha256(data).hexdigest()
    extension, content_type = ALLOWED_FORMATS[fmt]
    fields = {
        "sha256": digest,
        "extension": extension,
        "content_type": content_type,
        "width": image.width,
        "height": image.height,
        "taken_at": taken,
        "exif_lon": lon,
        "exif_lat": lat,
    }
    return CheckedPhoto(data, digest, fields)


def add_photo(ctx: EditContext, identifier: str, upload: Any, caption: str = "") -> ComponentPhoto:
    """Attach a photo to a component the user may change. The same photo twice is kept once."""
    component: Component = get_for_edit(ctx, identifier, Action.CHANGE, "photo")
    checked = check_photo(upload)
    digest = checked.sha256
    existing = component.photos.filter(sha256=digest).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        photo = ComponentPhoto(
            component=component,
            caption=(caption or "")[:200],
            uploaded_by=ctx.user if ctx.user.is_authenticated else None,
            **checked.fields,
        )
        checked.save_into(photo)
        photo.save()
        audit.record(
            "component.photo",
            actor=ctx.user,
            object_type="component_catalog.component",
            object_id=identifier,
            address=ctx.address,
            detail={"photo": photo.pk, "sha256": digest},
        )
    return photo
