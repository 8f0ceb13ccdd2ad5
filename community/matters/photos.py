"""Photos of a request: the component photos' checks (``component_catalog.photos``: type
by content, size and pixel limits, EXIF position and time), at most ``MAX_PHOTOS`` per
request. The reporter adds them by tracking code; staff who see the request through a
grant (the handler's proof of the work) by id. The same photo twice is kept once."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from community.matters import representation, services
from community.matters.models import RequestPhoto, ServiceRequest
from component_catalog.photos import ALLOWED_FORMATS, exif_position_and_time, read_image
from gis_app import audit, editing
from gis_app.editing import EditContext
from gis_app.errors import InvalidInput, PermissionDenied
from gis_app.roles import Action

MAX_PHOTOS = 9


def add(
    ctx: EditContext, upload: Any, *, pk: int | None = None, tracking_code: str | None = None
) -> RequestPhoto:
    """Attach ``upload`` (multipart field ``image``) to the request."""
    obj: ServiceRequest = services.find(ctx, "photo", pk, tracking_code)
    reporter = tracking_code is not None
    if not reporter and not representation.staff(ctx.user, obj, Action.CHANGE):
        raise editing.deny(ctx, services.REQUESTS, "photo", PermissionDenied(), str(obj.pk))
    if upload is None:
        raise InvalidInput(_("Send the photo as multipart form field 'image'."), field="image")
    data, image, fmt = read_image(upload)
    digest = hashlib.sha256(data).hexdigest()
    existing = obj.photos.filter(sha256=digest).first()
    if existing is not None:
        return existing
    lon, lat, taken = exif_position_and_time(image)
    extension, content_type = ALLOWED_FORMATS[fmt]
    with transaction.atomic():
        ServiceRequest.objects.select_for_update().filter(pk=obj.pk).get()
        if obj.photos.count() >= MAX_PHOTOS:
            raise InvalidInput(
                _("A request has at most %(n)d photos.") % {"n": MAX_PHOTOS}, field="image"
            )
        photo = RequestPhoto(
            request=obj,
            sha256=digest,
            extension=extension,
            content_type=content_type,
            width=image.width,
            height=image.height,
            taken_at=taken,
            exif_lon=lon,
            exif_lat=lat,
            by_reporter=reporter,
            uploaded_by=ctx.actor if not reporter else None,
        )
        photo.image.save(f"{digest[:16]}.{extension}", ContentFile(data), save=False)
        photo.save()
        audit.record(
            "request.photo",
            actor=ctx.user,
            object_type=services.REQUESTS.object_type,
            object_id=str(obj.pk),
            address=ctx.address,
            detail={"photo": photo.pk, "sha256": digest, "reporter": reporter},
        )
    return photo


def photo_json(photo: RequestPhoto, base: str) -> dict[str, Any]:
    """A photo as listed; ``base`` is the request's URL (by id or by tracking code)."""
    return {
        "id": photo.pk,
        "url": f"{base}photos/{photo.pk}/",
        "width": photo.width,
        "height": photo.height,
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "by_reporter": photo.by_reporter,
        "uploaded_at": photo.uploaded_at.isoformat(),
    }
