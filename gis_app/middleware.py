"""Refuses control characters in query strings and posted form fields before any view
sees them: JSON ``{"error", "detail", "field"}`` on the API paths, the plain 400 page
elsewhere. JSON bodies are checked by the API's parser (``gis_app.parsers``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

from gis_app import parsing
from gis_app.error_pages import error_response, wants_json
from gis_app.errors import InvalidInput

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refusal(request: HttpRequest, error: InvalidInput) -> HttpResponse:
    if wants_json(request):
        return error_response(request, error, style="json")
    raise BadRequest(str(error.message))


class ControlCharacterMiddleware(MiddlewareMixin):
    """Query parameters (names and values) and form fields of a POST hold no C0 control
    character other than tab, CR and LF."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            parsing.check_fields(request.GET)
        except InvalidInput as exc:
            return _refusal(request, exc)
        except TooManyFieldsSent as exc:
            return _refusal(request, InvalidInput(str(exc), field="query"))
        return None

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: Any,
        kwargs: Any,
    ) -> HttpResponse | None:
        if request.method != "POST" or not (request.content_type or "").startswith(FORM_TYPES):
            return None
        if getattr(view, "cls", None) is not None:  # DRF: its form parsers check
            return None
        if getattr(view, "checks_own_fields", False):  # refuses in its own format (Open311)
            return None
        try:
            parsing.check_fields(request.POST)
        except InvalidInput as exc:
            return _refusal(request, exc)
        return None
