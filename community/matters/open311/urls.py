"""Routes of ``/open311/v2/`` (mounted by ``gis_app/urls.py``): each path ends in ``.json``
or ``.xml``, the answer's format."""

from __future__ import annotations

from django.urls import re_path

from community.matters.open311 import views

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, views.services_list, name="open311-services"),
    re_path(
        r"^services/(?P<code>[^/]{1,64})" + FMT,
        views.service_definition,
        name="open311-service",
    ),
    re_path(r"^requests" + FMT, views.requests_view, name="open311-requests"),
    re_path(r"^requests/(?P<ident>[^/]{1,64})" + FMT, views.request_detail, name="open311-request"),
    re_path(r"^tokens/(?P<token>[^/]{1,64})" + FMT, views.token_view, name="open311-token"),
]
