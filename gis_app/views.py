"""Pages and endpoints of the core: health check, login/logout (the home page is the
residents' map, in map_ui)."""

from typing import Any

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gis_app import auth
from gis_app.audit import source_address
from gis_app.errors import AuthenticationFailed, Throttled


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachability and the PostGIS version, for load balancers and humans."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version(), current_setting('server_version')")
            postgis, server = cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse(
            {"status": "error", "database": "unreachable", "detail": str(exc).strip()}, status=503
        )
    return JsonResponse(
        {"status": "ok", "database": "ok", "postgresql": server, "postgis": postgis}
    )


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
        except AuthenticationFailed:
            raise self.get_invalid_login_error() from None
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PlatformLoginView(LoginView):
    template_name = "gis_app/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")
