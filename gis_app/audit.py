"""Writing the append-only audit log. Services call ``record`` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from gis_app.models import AuditEvent, AuditResult
from gis_app.types import User


def source_address(request: HttpRequest | None) -> str | None:
    """The client's address; X-Forwarded-For is trusted only behind TRUSTED_PROXIES proxies."""
    if request is None:
        return None
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: User | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    result: str = AuditResult.SUCCESS,
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. ``actor`` may be anonymous or None (system jobs)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    signed_in = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor_id=signed_in.pk if signed_in else None,
        actor_username=signed_in.get_username() if signed_in else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        result=result,
        source_address=address,
        detail=detail or {},
    )
