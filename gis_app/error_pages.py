"""What a caller sees when a request fails outside a DRF view's own error handling (unknown
URL, a refused or malformed request, an unexpected exception), with debug off: JSON in the
API's ``{"error", "detail"}`` shape under the machine-readable prefixes, a plain translated
page elsewhere. Never a traceback, a settings dump or the list of URL patterns.

Wired in ``gis_app/urls.py`` (``handler400`` ... ``handler500``) and ``CSRF_FAILURE_VIEW``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import requires_csrf_token

from gis_app.errors import DomainError, InvalidInput, NotFound, PermissionDenied

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


def wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith(MACHINE_PREFIXES)


def respond(
    request: HttpRequest, error: DomainError, *, full_page: bool, page_message: Any = None
) -> HttpResponse:
    """``error`` as JSON for programs, else as a page (saying ``page_message`` if given).
    ``full_page`` uses the site's base template (navigation, login state); otherwise a page
    that needs no context at all, for requests that may have failed before the middleware
    set the user up, or while the database is down."""
    status = error.status_code
    if wants_json(request):
        return JsonResponse(error.as_dict(), status=status)
    context: dict[str, Any] = {
        "status": status,
        "title": TITLES.get(status, TITLES[400]),
        "message": page_message or error.message,
    }
    template = "gis_app/errors/page.html" if full_page else "gis_app/errors/minimal.html"
    html = render_to_string(template, context, request=request if full_page else None)
    return HttpResponse(html, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(request, BadRequest(), full_page=False)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from gis_app import admin_errors  # the admin's own page, in the admin's frame

    if admin_errors.is_admin_page(request):
        return admin_errors.permission_denied(request)
    return respond(
        request,
        PermissionDenied(),
        full_page=True,
        page_message=_("You do not have permission to open this page."),
    )


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(
        request,
        NotFound(),
        full_page=True,
        page_message=_(
            "There is no page at this address. Check the address or start again from the map."
        ),
    )


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return respond(request, ServerError(), full_page=False)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The refused CSRF check, without Django's explanation of the mechanism."""
    return respond(request, CsrfFailed(), full_page=False)
