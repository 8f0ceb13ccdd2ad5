"""The main navigation: each app registers its pages (``AppConfig.ready``) with the action a
user needs somewhere to see the link, so the menu shows what a person can use, and the
core names no page of the apps above it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise

from gis_app import access
from gis_app.roles import Action


@dataclass(frozen=True)
class Page:
    url_name: str
    label: str | Promise
    order: int
    action: Action | None = None  # None: everyone, signed in or not


_PAGES: list[Page] = []


def register(page: Page) -> None:
    if all(p.url_name != page.url_name for p in _PAGES):
        _PAGES.append(page)
        _PAGES.sort(key=lambda p: p.order)


def links(user: Any, path: str) -> list[dict[str, Any]]:
    """The pages the user may use: url, label, and whether it is the current one."""
    found = []
    for page in _PAGES:
        if page.action is not None and not (
            user.is_authenticated and access.can_anywhere(user, page.action)
        ):
            continue
        url = reverse(page.url_name)
        current = path == url if url == "/" else path.startswith(url)
        found.append({"url": url, "label": page.label, "current": current})
    return found


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``nav_links`` for the base template."""
    return {"nav_links": links(request.user, request.path)}
