"""Photos of a request: the component photos' checks (``component_catalog.photos``: type
by content, size and pixel limits, EXIF position and time), at most ``MAX_PHOTOS`` per
request. The reporter adds them by tracking code; staff who see the request through a
grant (the handler's proof of the work) by id. The same photo twice is kept once."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from community.matters import representation, services
from community.matters.models import RequestPhoto, ServiceRequest
from component_catalog.photos import check_photo
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
    checked = check_photo(upload)
    digest = checked.sha256
    existing = obj.photos.filter(sha256=digest).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        ServiceRequest.objects.select_for_update().filter(pk=obj.pk).get()
        if obj.photos.count() >= MAX_PHOTOS:
            raise InvalidInput(
                _("A request has at most %(n)d photos.") % {"n": MAX_PHOTOS}, field="image"
            )
        photo = RequestPhoto(
            request=obj,
            by_reporter=reporter,
            uploaded_by=ctx.actor if not reporter else None,
            **checked.fields,
        )
        checked.save_into(photo)
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
