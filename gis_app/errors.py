"""Typed domain errors; ``gis_app.error_pages.error_response`` maps them to HTTP for every
surface (the DRF exception handler here, OGC, tiles, pages)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response


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


class InvalidToken(DomainError):
    """An ``Authorization: Token`` header whose key is unknown, or whose user is inactive:
    401, whichever surface (REST, OGC, tiles) it was sent to."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "authentication_failed"
    default_message = _("Invalid token.")


class Throttled(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "throttled"
    default_message = _("Too many failed attempts. Try again later.")

    def __init__(self, retry_after: int, message: Any = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class TooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "too_large"
    default_message = _("The request body is too large.")


# DRF's own exceptions (and Django's Http404 / PermissionDenied, which DRF converts) get
# the platform's stable codes; anything else keeps DRF's ``default_code``.
_DRF_CODES = {
    drf.ValidationError: "invalid",
    drf.ParseError: "invalid",
    drf.NotFound: "not_found",
    drf.PermissionDenied: "permission_denied",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "throttled",
}


def _first_message(detail: Any, path: str = "") -> tuple[str, str]:
    """The first message of a DRF error detail (text, list or dict) and the field it names
    (dotted for nested serializers, ``[i]`` for items of a list of objects)."""
    if isinstance(detail, dict | list):
        items = detail.items() if isinstance(detail, dict) else enumerate(detail)
        for key, value in items:
            if isinstance(detail, list):
                sub = f"{path}[{key}]" if isinstance(value, dict) else path
            elif key == "non_field_errors":
                sub = path
            else:
                sub = f"{path}.{key}" if path else str(key)
            message, field = _first_message(value, sub)
            if message:
                return message, field
        return "", path
    return str(detail), path


def _reshaped(exc: drf.APIException, response: Response) -> Response:
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    message, field = _first_message(exc.detail)
    body: dict[str, Any] = {"error": code or exc.default_code, "detail": message}
    if isinstance(exc, drf.ParseError) and not field:
        field = "body"
    if field:
        body["field"] = field
    response.data = body
    return response


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every error becomes ``{"error", "detail", "field"}`` JSON
    with a stable ``error`` code: domain errors, DRF's own exceptions (validation, parse,
    404, 405, 406, 415, ...), an oversized body (413) and too many form fields or files."""
    if isinstance(exc, RequestDataTooBig):
        exc = TooLarge(field="body")
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = InvalidInput(str(exc), field="body")
    elif isinstance(exc, drf.APIException) and isinstance(exc.__cause__, DomainError):
        exc = exc.__cause__  # a domain error DRF had to see as its own (authentication)
    if isinstance(exc, DomainError):
        from gis_app.error_pages import error_response  # it imports this module

        answer = error_response(None, exc, style="drf")
        assert isinstance(answer, Response)
        return answer
    if isinstance(exc, Http404):
        exc = drf.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied(*exc.args)
    # imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES (gis_app.parsers,
    # which raise these errors) when it is first imported
    from rest_framework.views import exception_handler

    response: Response | None = exception_handler(exc, context)
    if response is None or not isinstance(exc, drf.APIException):
        return response
    return _reshaped(exc, response)
