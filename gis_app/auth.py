"""Who a request acts for (``request_user``: an API token, else the session), and login
with a failed-attempt throttle, shared by the token API and the session login.

Failures count per account *and* source address together (a stranger guessing a staff
member's password locks out only themselves, never the staff member at their own desk), and
per source address across all accounts with a larger cap (one address guessing many
accounts). The check, the password evaluation and the record of its outcome run under one
lock per source address, so parallel guesses cannot evaluate more passwords than the limit.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import authentication, status
from rest_framework import exceptions as drf
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from gis_app import audit, sql
from gis_app.error_pages import TOKEN_CHALLENGE
from gis_app.errors import AuthenticationFailed, DomainError, InvalidToken, Throttled
from gis_app.models import AuditEvent, AuditResult
from gis_app.types import User

LOGIN_ACTION = "auth.login"
# Addresses are shared (NAT, a community office): an address gets this many times the
# per-account limit across all accounts.
ADDRESS_FACTOR = 4


class InvalidCredentials(DomainError):
    """A wrong user name or password: 401 (the credentials sent were refused), with the
    stable code and message of ``AuthenticationFailed``."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = AuthenticationFailed.code
    default_message = AuthenticationFailed.default_message


TOKEN_SCHEME = "token"  # noqa: S105 (the scheme name of the Authorization header)


def token_user(request: HttpRequest) -> User | None:
    """The user of an ``Authorization: Token <key>`` header; None without such a header
    (another scheme, or none: the caller is whoever the session says). An unknown key, a
    malformed header or an inactive user is ``InvalidToken`` (401), never a silent
    fall-back to anonymous."""
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != TOKEN_SCHEME:
        return None
    key = credentials.strip()
    if not key or " " in key or not key.isascii():
        raise InvalidToken(field="Authorization")
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        raise InvalidToken(field="Authorization")
    return token.user


def request_user(request: HttpRequest) -> User:
    """Who a request acts for: the user of its API token, else the session's user (the
    anonymous visitor when there is neither). Used by OGC and tiles views; the REST API
    gets the same through ``TokenAuthentication``."""
    user = token_user(request)
    if user is not None:
        return user
    return request.user


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF authentication by ``token_user``, so REST answers a bad token as OGC and tiles
    do (401, ``WWW-Authenticate``, the JSON error shape naming ``Authorization``). A
    subclass of DRF's, so the OpenAPI schema describes it as DRF's token scheme."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        try:
            user = token_user(request._request)
        except InvalidToken as error:
            # DRF leaves the request anonymous only for its own exceptions; the handler
            # (gis_app.errors) answers with the domain error it carries.
            raise drf.AuthenticationFailed(str(error.message)) from error
        return None if user is None else (user, None)

    def authenticate_header(self, request: Request) -> str:
        return TOKEN_CHALLENGE


def _recent_failures() -> QuerySet[AuditEvent]:
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    return AuditEvent.objects.filter(
        action=LOGIN_ACTION,
        result=AuditResult.DENIED,
        time__gte=timezone.now() - window,
        detail__reason="bad_credentials",
    )


def _retry_after(username: str, address: str | None) -> int:
    """Seconds until another attempt is allowed; 0 when not throttled. The failures
    counted are the audit log's own records of wrong passwords in the window."""
    failures = _recent_failures()
    limit = settings.LOGIN_MAX_FAILURES
    account = failures.filter(detail__username=username)
    if address:
        checks = [
            (account.filter(source_address=address), limit),
            (failures.filter(source_address=address), limit * ADDRESS_FACTOR),
        ]
    else:  # no address known (not over HTTP): the account alone
        checks = [(account.filter(source_address__isnull=True), limit)]
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    now = timezone.now()
    retry = 0
    for rows, cap in checks:
        times = list(rows.order_by("-time").values_list("time", flat=True)[:cap])
        if len(times) >= cap:
            retry = max(retry, math.ceil((times[-1] + window - now).total_seconds()))
    return max(retry, 0)


def login(
    username: str, password: str, *, address: str | None, channel: str, request: Any = None
) -> Any:
    """Check credentials; return the user or raise ``InvalidCredentials``/``Throttled``.
    Every attempt is audited; throttled attempts do not even check the password."""
    name = (username or "").strip()
    key = name.lower()
    detail = {"username": key, "channel": channel}
    error: DomainError | None = None
    with transaction.atomic():
        # One attempt at a time per address (per account when there is none): the next
        # one sees this one's recorded failure.
        sql.lock_for_transaction(LOGIN_ACTION, address or f"account:{key}")
        retry = _retry_after(key, address)
        if retry:
            audit.record(
                LOGIN_ACTION,
                result=AuditResult.DENIED,
                address=address,
                detail={**detail, "reason": "throttled"},
            )
            error = Throttled(retry)
        else:
            user = authenticate(request, username=name, password=password)
            if user is None:
                audit.record(
                    LOGIN_ACTION,
                    result=AuditResult.DENIED,
                    address=address,
                    detail={**detail, "reason": "bad_credentials"},
                )
                error = InvalidCredentials()
            else:
                audit.record(LOGIN_ACTION, actor=user, obj=user, address=address, detail=detail)
    # Raised after the commit: the failure must survive the error, it is what is counted.
    if error is not None:
        raise error
    return user
