"""Typed domain errors, mapped to HTTP once (``api_exception_handler``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """Base of the errors services raise. ``code`` is stable for clients."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_message: Any = _("The request is invalid.")

    def __init__(self, message: Any = None, *, field: str | None = None, **extra: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        self.extra = extra
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": str(self.message)}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class InvalidInput(DomainError):
    code = "invalid"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    """Only for objects the user may see but not change; hidden objects are NotFound."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = _("The object was changed by someone else.")


class NotAuthenticated(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"
    default_message = _("Log in first.")


class AuthenticationFailed(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_credentials"
    default_message = _("The user name or password is wrong.")


class Throttled(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "throttled"
    default_message = _("Too many failed attempts. Try again later.")

    def __init__(self, retry_after: int, message: Any = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: domain errors become JSON with a stable ``error`` code."""
    if isinstance(exc, DomainError):
        response = Response(exc.as_dict(), status=exc.status_code)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    return exception_handler(exc, context)
