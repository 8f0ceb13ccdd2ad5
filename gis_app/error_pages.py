"""What a caller sees when a request fails: ``error_response`` maps a ``DomainError`` to
the answer of every surface (the DRF exception handler, OGC, tiles, pages), and Django's
handlers for what fails outside a view's own handling (unknown URL, a refused or malformed
request, an unexpected exception) use it too, with debug off: JSON in the API's
``{"error", "detail"}`` shape under the machine-readable prefixes, a plain translated page
elsewhere. Never a traceback, a settings dump or the list of URL patterns.

Wired in ``gis_app/urls.py`` (``handler400`` ... ``handler500``) and ``CSRF_FAILURE_VIEW``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, TypeVar, cast

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import requires_csrf_token

from gis_app.errors import DomainError, InvalidInput, NotFound, PermissionDenied, Throttled

# Paths whose callers are programs: they get JSON, not HTML.
MACHINE_PREFIXES = ("/api/", "/ogc/", "/tiles/")


class ServerError(DomainError):
    status_code = 500
    code = "server_error"
    default_message = _("Something went wrong on the server. It has been logged; try again later.")


class BadRequest(InvalidInput):
    code = "bad_request"
    default_message = _("The request could not be understood.")


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"
    default_message = _(
        "The form's security check failed (the page was open too long or cookies are "
        "blocked). Reload the page and try again."
    )


TITLES = {
    400: _("Bad request"),
    403: _("Not allowed"),
    404: _("Page not found"),
    500: _("Server error"),
}
# What a page says for these, rather than the error's own (terse, for programs) message.
PAGE_MESSAGES: dict[type[DomainError], Any] = {
    NotFound: _("There is no page at this address. Check the address or start again from the map."),
    PermissionDenied: _("You do not have permission to open this page."),
}
# The challenge of a 401: the platform's one way for a program to authenticate.
TOKEN_CHALLENGE = 'Token realm="api"'  # noqa: S105 (a header, not a secret)

Style = Literal["auto", "json", "ogc", "drf", "page"]


def wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith(MACHINE_PREFIXES)


def error_headers(error: DomainError) -> dict[str, str]:
    """Headers that go with an error: how to authenticate after a 401, when to try again
    after a 429."""
    headers: dict[str, str] = {}
    if error.status_code == 401:
        headers["WWW-Authenticate"] = TOKEN_CHALLENGE
    if isinstance(error, Throttled):
        headers["Retry-After"] = str(error.retry_after)
    return headers


def ogc_body(error: DomainError) -> dict[str, Any]:
    """OGC API's exception shape: ``code``, ``description``, ``parameter``."""
    body: dict[str, Any] = {"code": error.code, "description": str(error.message)}
    if error.field:
        body["parameter"] = error.field
    return body


def error_response(
    request: HttpRequest | None,
    error: DomainError,
    *,
    style: Style = "auto",
    full_page: bool = True,
    page_message: Any = None,
) -> HttpResponse:
    """The one answer to a domain error, whichever surface raised it: ``drf`` (a DRF
    ``Response``, rendered as the view negotiates), ``json`` (``{"error", "detail",
    "field"}``), ``ogc`` (the OGC exception shape), ``page`` (a translated HTML page) or
    ``auto`` (JSON under the machine-readable prefixes, a page elsewhere). The status and
    the headers (``error_headers``) are the same in every style.

    ``full_page`` uses the site's base template (navigation, login state); otherwise a page
    that needs no context at all, for requests that may have failed before the middleware
    set the user up, or while the database is down."""
    if style == "auto":
        style = "json" if request is not None and wants_json(request) else "page"
    status = error.status_code
    response: HttpResponse
    if style == "drf":
        from rest_framework.response import Response

        response = Response(error.as_dict(), status=status)
    elif style in ("json", "ogc"):
        body = ogc_body(error) if style == "ogc" else error.as_dict()
        response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        message = page_message or PAGE_MESSAGES.get(type(error), error.message)
        context: dict[str, Any] = {
            "status": status,
            "title": TITLES.get(status, TITLES[400]),
            "message": message,
        }
        template = "gis_app/errors/page.html" if full_page else "gis_app/errors/minimal.html"
        html = render_to_string(template, context, request=request if full_page else None)
        response = HttpResponse(html, status=status)
    for name, value in error_headers(error).items():
        response[name] = value
    return response


View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def domain_errors(style: Style = "auto", *, vary: str | None = None) -> Callable[[View], View]:
    """Decorator for views outside DRF: a ``DomainError`` they raise becomes
    ``error_response`` in ``style``; ``vary`` is set on it when what an error says depends
    on who asks (tiles)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, *args, **kwargs)
            except DomainError as exc:
                response = error_response(request, exc, style=style)
                if vary:
                    response["Vary"] = vary
                return response

        return cast(View, wrapped)

    return decorate


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, BadRequest(), full_page=False)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from gis_app import admin_errors  # the admin's own page, in the admin's frame

    if admin_errors.is_admin_page(request):
        return admin_errors.permission_denied(request)
    return error_response(request, PermissionDenied(), full_page=True)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, NotFound(), full_page=True)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, ServerError(), full_page=False)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The refused CSRF check, without Django's explanation of the mechanism."""
    return error_response(request, CsrfFailed(), full_page=False)
