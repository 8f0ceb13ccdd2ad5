"""The surveyors' editor page and its service worker: thin views around the services."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from component_catalog.inputs import ORGANIZATION_FIELDS
from gis_app import access
from gis_app.roles import Action
from map_ui import plugins, vendor
from map_ui.builder import MapOptions, render_map
from survey import landing, services, strings

#: The editor's own modules, in load order (after the common map's).
PAGE_JS = [
    "survey/nmea.js",
    "survey/store.js",
    "survey/queue.js",
    "survey/form.js",
    "survey/editor.js",
    "survey/drawing.js",
    "survey/editform.js",
    "survey/gnss.js",
    "survey/history.js",
    "survey/sync.js",
]
PAGE_CSS = ["survey/survey.css"]
#: Placing points between kerbs needs one zoom more than the other map pages.
MAX_ZOOM = 20
#: Vendored files of the app shell (besides those of the common map).
SHELL_VENDOR = [
    "leaflet.js",
    "leaflet.css",
    "vectorgrid.js",
    "draw.js",
    "draw.css",
    "locate.js",
    "locate.css",
]
SHELL_STATIC = [
    "gis_app/base.css",
    "gis_app/safe_html.js",
    "gis_app/favicon.svg",  # linked from the base template
    "gis_app/site.js",
    "map_ui/map.css",
    "map_ui/map.js",
    "map_ui/boot.js",
    "map_ui/chinacoords.js",
    "map_ui/labels.js",
    "map_ui/labels.css",
]


def _map_options(**options: Any) -> MapOptions:
    """The common map's options, with the editor's deeper zoom."""
    return MapOptions(max_zoom=MAX_ZOOM, **options)


def _owner_labels() -> list[tuple[str, str]]:
    labels = {
        "competent_department": pgettext("component field", "Competent department"),
        "owner": pgettext("component field", "Owner"),
        "maintainer": pgettext("component field", "Maintainer"),
    }
    return [(name, labels[name]) for name in ORGANIZATION_FIELDS]


@login_required
@ensure_csrf_cookie
@require_GET
def editor(request: HttpRequest) -> HttpResponse:
    """The editor: for users who may create components somewhere (surveyors, community
    workers, administrators); others get 403."""
    if not access.can_anywhere(request.user, Action.CREATE):
        raise PermissionDenied
    english = (get_language() or "").startswith("en")
    config = services.editor_config(request.user, english=english)
    work = landing.work_area(request.user, config.class_filter)
    extra = config.as_json(english)
    extra.update(
        {
            "strings": strings.survey_strings(),
            "serviceWorker": reverse("survey:service-worker"),
            "scope": reverse("survey:editor"),
            "maxZoom": MAX_ZOOM,
            # where the user's own components are: the map opens there (editor.js)
            "work": work.as_json() if work else None,
        }
    )
    added = plugins.for_page(plugins.SURVEY, request)  # apps' page extensions
    extra.update(added.extra)
    rendered = render_map(
        _map_options(
            label=_("Survey map"),
            center=(work.point[1], work.point[0]) if work else config.center,
            zoom=16,
            legend=False,
            page_js=[vendor.url("draw.js"), *[static(p) for p in PAGE_JS], *added.scripts],
            page_css=[vendor.url("draw.css"), *[static(p) for p in PAGE_CSS], *added.styles],
            extra=extra,
        )
    )
    context = {
        "map": rendered,
        "classes": extra["classes"],
        "choices": extra["choices"],
        "organizations": extra["organizations"],
        "owner_fields": _owner_labels(),
    }
    return render(request, "survey/editor.html", context)


def shell_urls() -> list[str]:
    """What the service worker stores on install so the editor opens without a network."""
    return [
        reverse("survey:editor"),
        reverse("map_ui:basemaps"),
        "/api/v1/layers/",
        *[vendor.url(name) for name in SHELL_VENDOR],
        *[static(path) for path in SHELL_STATIC + PAGE_JS + PAGE_CSS],
        *[static(path) for path in plugins.static_files(plugins.SURVEY)],
    ]


def shell_version() -> str:
    """A hash of the shell's static files (the apps' extensions of the editor included): a
    new release installs a new worker (and drops the old caches)."""
    return _shell_version(tuple(plugins.static_files(plugins.SURVEY)))


@lru_cache(maxsize=4)
def _shell_version(extension_files: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    names = [vendor.FILES[n] for n in SHELL_VENDOR] + SHELL_STATIC + PAGE_JS + PAGE_CSS
    names += extension_files
    for name in names:
        found = finders.find(name)
        if isinstance(found, str):
            with open(found, "rb") as handle:
                digest.update(handle.read())
        digest.update(name.encode())
    digest.update(render_to_string("survey/sw.js", {"config": "{}"}).encode())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served under /survey/ so that its scope is the editor."""
    config = json.dumps({"version": shell_version(), "shell": shell_urls()})
    body = render_to_string("survey/sw.js", {"config": config})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
