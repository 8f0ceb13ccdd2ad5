"""The admin's own "not allowed" page: in the admin's frame (header, breadcrumbs, the
user's links) and language, saying what happened and what to do, instead of the site's
page or Django's bare "403 Forbidden"."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _


def is_admin_page(request: HttpRequest) -> bool:
    """A page of the admin, asked for by a signed-in member of staff."""
    user = getattr(request, "user", None)
    admin_root = reverse("admin:index")
    return bool(
        request.path_info.startswith(admin_root)
        and user is not None
        and user.is_active
        and user.is_staff
    )


def permission_denied(request: HttpRequest) -> HttpResponse:
    """The translated 403 page of the admin."""
    context = {
        **admin.site.each_context(request),
        "title": _("Not allowed"),
        "message": _("You do not have permission to open this page."),
        "advice": _(
            "Your role and area do not include it. If your work needs it, ask an "
            "administrator of your district or city to extend your role."
        ),
    }
    response = TemplateResponse(request, "gis_app/errors/admin_403.html", context, status=403)
    return response.render()
