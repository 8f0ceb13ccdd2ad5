"""The main navigation: each app registers its pages (``AppConfig.ready``) with the action a
user needs somewhere to see the link, so the menu shows what a person can use, and the
core names no page of the apps above it.

A page may carry a badge: a callable of the signed-in user that answers a count (unread
messages, open tasks); the menu shows it when it is above zero. Badges are computed for
signed-in users only, once per page view, so a badge callable must be one cheap query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise

from gis_app import access
from gis_app.roles import Action
from gis_app.types import User

Badge = Callable[[Any], int]  # called with a signed-in user


@dataclass(frozen=True)
class Page:
    url_name: str
    label: str | Promise
    order: int
    action: Action | None = None  # None: everyone, signed in or not
    signed_in: bool = False  # shown only to signed-in users (whatever their grants)
    badge: Badge | None = None


_PAGES: list[Page] = []


def register(page: Page) -> None:
    if all(p.url_name != page.url_name for p in _PAGES):
        _PAGES.append(page)
        _PAGES.sort(key=lambda p: p.order)


def _shown(page: Page, user: User) -> bool:
    if page.signed_in and not user.is_authenticated:
        return False
    return page.action is None or (user.is_authenticated and access.can_anywhere(user, page.action))


def links(user: User, path: str) -> list[dict[str, Any]]:
    """The pages the user may use: url, label, whether it is the current one, and its
    badge count (0 when the page has none or the visitor is anonymous)."""
    found = []
    for page in _PAGES:
        if not _shown(page, user):
            continue
        url = reverse(page.url_name)
        current = path == url if url == "/" else path.startswith(url)
        badge = page.badge(user) if page.badge is not None and user.is_authenticated else 0
        found.append({"url": url, "label": page.label, "current": current, "badge": badge})
    return found


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``nav_links`` for the base template."""
    return {"nav_links": links(request.user, request.path)}
