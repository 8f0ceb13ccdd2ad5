"""A shorter way through Django for anonymous vector-tile requests.

A cached tile costs one statement (about 0.3 ms in-process); Django's full request
handling around it (the middleware stack, URL resolution) costs more than that again. For
``GET /tiles/{layer}/{z}/{x}/{y}.mvt`` and ``/tiles/components/{z}/{x}/{y}.mvt`` from a
caller that is anonymous by construction (no session cookie, no ``Authorization`` header),
:class:`TileFastPath`, a WSGI wrapper around the Django application (``gis_app.wsgi``),
calls the tile view itself — the same function Django routes to, so the same service
(``tiles.vector``, with ``AnonymousUser``) and the same response (``tiles.http``) — and
runs only the middleware that acts on such a request, the same classes Django would run:

* ``SecurityMiddleware`` (HTTPS redirect, HSTS, nosniff, Referrer-Policy, COOP),
* ``LocaleMiddleware`` (the request's language: error texts, ``Content-Language``, Vary),
* ``CommonMiddleware`` (host validation, ``Content-Length``),
* ``CsrfViewMiddleware`` (checks no GET, but replaces a malformed CSRF cookie),
* ``XFrameOptionsMiddleware``,
* ``gis_app.csp.ContentSecurityPolicyMiddleware`` (a tile is no document and gets no
  policy, but an HTML error page would).
* ``ControlCharacterMiddleware`` (refuses a control character in the query string).

The others add nothing to an anonymous GET of a tile: no session cookie means no session
(the tile views vary on ``Cookie`` themselves), authentication gives ``AnonymousUser``
(set here), messages are never read, WhiteNoise serves only ``STATIC_URL``.
``tests/test_tiles_fastpath.py`` checks that both ways give the same status, headers and
bytes. Everything else goes to Django unchanged, and so does a request that one of these
middleware answers by itself (a redirect) or refuses (a bad host). When ``MIDDLEWARE`` is
not the stack this module was written for, the fast path stays off (a changed stack has to
be reviewed here first); ``TILES_FAST_PATH=0`` turns it off too.

Database connections live as in Django's own request cycle: ``request_started`` is sent
before the view, and the response's ``close()`` (called by the WSGI server) sends
``request_finished``; both run ``close_old_connections``, so a connection is reused for
``CONN_MAX_AGE`` seconds and closed after an error. One difference: Django checks a reused
connection (``CONN_HEALTH_CHECKS``: a ``SELECT 1``) before the first query of every
request, a round trip that costs as much as a cached tile's statement. Here the tile's
statements run first; when one fails on a reused connection that is then found unusable
(the server restarted, a network cut), the connection is closed and the view runs once
more on a new one: the same guarantee, checked after a failure instead of before every
request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signals
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import set_script_prefix, set_urlconf
from django.utils.log import log_response

from gis_app import timeouts
from gis_app.csp import ContentSecurityPolicyMiddleware
from gis_app.middleware import ControlCharacterMiddleware
from tiles import views

# The stack the fast path stands in for (gis_app.settings.MIDDLEWARE).
EXPECTED_MIDDLEWARE: Final = (
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gis_app.csp.ContentSecurityPolicyMiddleware",
    "gis_app.middleware.ControlCharacterMiddleware",
    "gis_app.timeouts.StatementTimeoutMiddleware",
)
# tiles/urls.py under /tiles/ (slug and int converters); tests check both agree.
TILE_PATH: Final = re.compile(
    r"/tiles/(?P<layer>[-a-zA-Z0-9_]+)/(?P<z>[0-9]+)/(?P<x>[0-9]+)/(?P<y>[0-9]+)\.mvt"
)
COMBINED: Final = "components"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def enabled() -> bool:
    if not settings.TILES_FAST_PATH:
        return False
    return tuple(settings.MIDDLEWARE) == EXPECTED_MIDDLEWARE


def _unused(request: HttpRequest) -> HttpResponse:  # middleware need a get_response
    raise AssertionError("the fast path calls the middleware's hooks, not the chain")


class TileFastPath:
    """WSGI application: anonymous vector-tile GETs through the short way, the rest to
    ``app`` (the Django application)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.enabled = enabled()
        self.security = SecurityMiddleware(_unused)
        self.locale = LocaleMiddleware(_unused)
        self.common = CommonMiddleware(_unused)
        self.csrf = CsrfViewMiddleware(_unused)
        self.xframe = XFrameOptionsMiddleware(_unused)
        self.csp = ContentSecurityPolicyMiddleware(_unused)
        self.control = ControlCharacterMiddleware(_unused)

    def route(
        self, environ: dict[str, Any]
    ) -> tuple[Callable[..., HttpResponse], dict[str, Any]] | None:
        """The tile view and its arguments, when the fast path may answer the request."""
        if not self.enabled or environ.get("REQUEST_METHOD") != "GET":
            return None
        match = TILE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or "HTTP_AUTHORIZATION" in environ:
            return None
        cookies = environ.get("HTTP_COOKIE")
        if cookies and settings.SESSION_COOKIE_NAME in cookies:  # maybe signed in: Django
            return None
        layer = match["layer"]
        z, x, y = int(match["z"]), int(match["x"]), int(match["y"])
        if layer == COMBINED:
            return views.components_tile, {"z": z, "x": x, "y": y}
        return views.layer_tile, {"layer": layer, "z": z, "x": x, "y": y}

    def respond(
        self, view: Callable[..., HttpResponse], request: HttpRequest, kwargs: dict[str, Any]
    ) -> Any:
        """The view's response; an exception becomes Django's error response (a 500 and
        its log). A reused connection is checked only when a statement failed on it. The
        read limit of ``gis_app.timeouts`` applies as under its middleware."""
        reused = connection.connection is not None
        if reused:
            connection.health_check_done = True  # type: ignore[attr-defined]
        limit = timeouts.read_ms()
        try:
            with timeouts.limited(limit):  # sent only when the connection lacks it
                return view(request, **kwargs)
        except DatabaseError as exc:
            if timeouts.is_timeout(exc):
                return timeouts.timeout_response(request, limit)
            if not (reused and connection.connection is not None and not connection.is_usable()):
                return response_for_exception(request, exc)
            connection.close()  # dead: once more on a new connection
        except Exception as exc:  # noqa: BLE001
            return response_for_exception(request, exc)
        try:
            with timeouts.limited(limit):
                return view(request, **kwargs)
        except Exception as exc:  # noqa: BLE001
            if timeouts.is_timeout(exc):
                return timeouts.timeout_response(request, limit)
            return response_for_exception(request, exc)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        found = self.route(environ)
        if found is None:
            return self.app(environ, start_response)
        view, kwargs = found
        set_script_prefix(get_script_name(environ))
        request = WSGIRequest(environ)
        try:
            # Django's order of process_request: Security, Locale, Common, Csrf, Control
            # (the others do nothing here). One that answers (redirect) or refuses (bad
            # host, control character): Django.
            hooks: tuple[Any, ...] = (
                self.security,
                self.locale,
                self.common,
                self.csrf,
                self.control,
            )
            for hook in hooks:
                if hook.process_request(request) is not None:
                    return self.app(environ, start_response)
        except Exception:  # noqa: BLE001 (Django answers it, with its own logging)
            return self.app(environ, start_response)
        signals.request_started.send(sender=self.__class__, environ=environ)
        set_urlconf(settings.ROOT_URLCONF)
        request.user = AnonymousUser()
        response: Any = self.respond(view, request, kwargs)
        # Django's order of process_response (the reverse of MIDDLEWARE).
        for after in (self.csp, self.xframe, self.csrf, self.common, self.locale, self.security):
            response = after.process_response(request, response)
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response(
                "%s: %s", response.reason_phrase, request.path, response=response, request=request
            )
        response._handler_class = self.__class__  # close() sends request_finished
        status = f"{response.status_code} {response.reason_phrase}"
        cookies = [("Set-Cookie", c.output(header="")) for c in response.cookies.values()]
        start_response(status, [*response.items(), *cookies])
        return response
