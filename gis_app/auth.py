"""Login with a failed-attempt throttle, shared by the token API and the session login."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone

from gis_app import audit
from gis_app.errors import AuthenticationFailed, Throttled
from gis_app.models import AuditEvent, AuditResult

LOGIN_ACTION = "auth.login"


def _retry_after(username: str, address: str | None) -> int:
    """Seconds until another attempt is allowed; 0 when not throttled. The failures
    counted are the audit log's own records of wrong passwords in the window."""
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    now = timezone.now()
    failures = AuditEvent.objects.filter(
        action=LOGIN_ACTION,
        result=AuditResult.DENIED,
        time__gte=now - window,
        detail__reason="bad_credentials",
    )
    limit = settings.LOGIN_MAX_FAILURES
    checks = [(failures.filter(detail__username=username.lower()), limit)]
    if address:
        # Addresses are shared (NAT, a community office): allow them more attempts.
        checks.append((failures.filter(source_address=address), limit * 4))
    retry = 0
    for rows, cap in checks:
        times = list(rows.order_by("-time").values_list("time", flat=True)[:cap])
        if len(times) >= cap:
            retry = max(retry, math.ceil((times[-1] + window - now).total_seconds()))
    return max(retry, 0)


def login(
    username: str, password: str, *, address: str | None, channel: str, request: Any = None
) -> Any:
    """Check credentials; return the user or raise ``AuthenticationFailed``/``Throttled``.
    Every attempt is audited; throttled attempts do not even check the password."""
    username = (username or "").strip()
    retry = _retry_after(username, address)
    if retry:
        audit.record(
            LOGIN_ACTION,
            result=AuditResult.DENIED,
            address=address,
            detail={"username": username.lower(), "channel": channel, "reason": "throttled"},
        )
        raise Throttled(retry)
    user = authenticate(request, username=username, password=password)
    if user is None:
        # Recorded (and committed) before raising: the failure must survive the error,
        # it is what the throttle counts.
        audit.record(
            LOGIN_ACTION,
            result=AuditResult.DENIED,
            address=address,
            detail={"username": username.lower(), "channel": channel, "reason": "bad_credentials"},
        )
        raise AuthenticationFailed()
    audit.record(
        LOGIN_ACTION,
        actor=user,
        obj=user,
        address=address,
        detail={"username": username.lower(), "channel": channel},
    )
    return user
