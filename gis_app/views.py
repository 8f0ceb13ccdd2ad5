"""Pages and endpoints of the core: health check, login/logout (the home page is the
residents' map, in map_ui)."""

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gis_app import access, auth
from gis_app.audit import source_address
from gis_app.errors import Throttled
from gis_app.roles import Action, Role
from gis_app.types import User

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Is the database reachable: ``{"status": "ok"}`` or a 503, for load balancers. The
    PostgreSQL and PostGIS versions (which help an attacker pick an exploit) only for
    administrators (a grant that may manage, logged in by session); the error's text
    for nobody (it names hosts and ports; the server's log has it)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version(), current_setting('server_version')")
            postgis, server = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("health check: the database is unreachable: %s", exc)
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    body = {"status": "ok", "database": "ok"}
    if access.can_anywhere(request.user, Action.MANAGE):
        body.update(postgresql=server, postgis=postgis)
    return JsonResponse(body)


class ThrottledAuthenticationForm(AuthenticationForm):
    """The admin's and the UI's login form, through the same throttled, audited service."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        try:
            self.user_cache = auth.login(
                username,
                password,
                address=source_address(self.request),
                channel="session",
                request=self.request,
            )
        except Throttled as exc:
            raise forms.ValidationError(
                _("Too many failed attempts. Try again in %(minutes)d minutes.")
                % {"minutes": max(1, round(exc.retry_after / 60))},
                code="throttled",
            ) from None
        except auth.InvalidCredentials:
            raise self.get_invalid_login_error() from None
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


# Where each role works: the first role of a user's active grants found here, in this
# order, decides the page after login (a surveyor who also plans lands in the editor).
LANDING_PAGES = (
    (Role.SURVEYOR, "/survey/"),
    (Role.GRID_WORKER, "/survey/"),  # patrols its cell and records what it finds
    (Role.PLANNER, "/reports/"),
)


def landing_page(user: User) -> str:
    """The page a user lands on after login when no ``next`` was asked for."""
    roles = {grant.role for grant in access.grants(user)}
    for role, page in LANDING_PAGES:
        if role in roles:
            return page
    return str(settings.LOGIN_REDIRECT_URL)


def local_path(url: str) -> bool:
    """A path on this site (``/survey/?x=1``), never a scheme, host or protocol-relative
    URL, even one naming this host."""
    return url.startswith("/") and not url.startswith(("//", "/\\")) and "\\" not in url


class PlatformLoginView(LoginView):
    template_name = "gis_app/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_redirect_url(self) -> str:
        """An explicit ``next`` wins, if it is a local path (Django's check would also let
        an absolute URL naming an allowed host through)."""
        url = super().get_redirect_url()
        return url if url and local_path(url) else ""

    def get_default_redirect_url(self) -> str:
        return landing_page(self.request.user)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")
